"""A matplotlib figure in a widget, made when first needed, with a Qt canvas made when first painted.

Most plots start out of sight (a dock behind another, a tab not chosen), yet a canvas draws
its figure once the event loop runs, seen or not: five plots drawn that way took about a
second of start-up, and building their axes a tenth more. A host builds its figure the first
time :attr:`FigureHost.figure` is asked for (a plot being filled, or painted) and makes the
canvas, which loads matplotlib's Qt backend, when it is first painted: a dock behind another
counts as shown but is never painted.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure
from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

DPI = 100


class FigureHost(QWidget):
    """A figure of ``size_in`` (width, height) inches at :data:`DPI`, laid out "constrained".

    ``setup(figure)`` adds its axes and artists when the figure is made; until then nothing of
    matplotlib's is built for it.
    """

    def __init__(self, size_in: tuple[float, float], setup: Callable[[Figure], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size_in = size_in
        self._setup = setup
        self._figure: Figure | None = None
        self._canvas = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def figure(self) -> Figure:
        """The figure, made (and set up) on first use."""
        if self._figure is None:
            self._figure = Figure(figsize=self._size_in, dpi=DPI, layout="constrained")
            self._setup(self._figure)
        return self._figure

    @property
    def canvas(self):
        """The figure's ``FigureCanvasQTAgg``, made on first use."""
        self._ensure_canvas()
        return self._canvas

    def draw_idle(self) -> None:
        """Redraw at the next event-loop turn; nothing before the canvas exists (it draws when made)."""
        if self._canvas is not None:
            self._canvas.draw_idle()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        if self._canvas is not None:
            return self._canvas.sizeHint()
        width, height = self._size_in
        return QSize(int(width * DPI), int(height * DPI))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        if self._canvas is None:  # made after this paint: a widget is not added while painting
            QTimer.singleShot(0, self, self._ensure_canvas)
        super().paintEvent(event)

    def _ensure_canvas(self) -> None:
        if self._canvas is None:
            from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

            self._canvas = FigureCanvasQTAgg(self.figure)
            self._layout.addWidget(self._canvas)
