"""A matplotlib figure in a widget whose Qt canvas is made when the widget is first shown.

Most plots start hidden (a dock behind another, a tab not chosen), yet a canvas draws its
figure once the event loop runs, shown or not: five plots drawn that way took about a second
of start-up. A host keeps the figure and its axes from the start, so a plot can be filled
while hidden, and makes the canvas (and loads matplotlib's Qt backend) the first time it is
shown; the canvas then draws what the figure holds.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from PySide6.QtCore import QSize
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget


class FigureHost(QWidget):
    """Holds ``figure``; its canvas exists once the host was shown or :attr:`canvas` was asked for."""

    def __init__(self, figure: Figure, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figure = figure
        self._canvas = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def canvas(self):
        """The figure's ``FigureCanvasQTAgg``, made on first use."""
        if self._canvas is None:
            self._make_canvas()
        return self._canvas

    def draw_idle(self) -> None:
        """Redraw at the next event-loop turn; nothing before the canvas exists (it draws when made)."""
        if self._canvas is not None:
            self._canvas.draw_idle()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        if self._canvas is not None:
            return self._canvas.sizeHint()
        width, height = self.figure.get_size_inches() * self.figure.dpi
        return QSize(int(width), int(height))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        if self._canvas is None:
            self._make_canvas()
        super().showEvent(event)

    def _make_canvas(self) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        self._canvas = FigureCanvasQTAgg(self.figure)
        self._layout.addWidget(self._canvas)
