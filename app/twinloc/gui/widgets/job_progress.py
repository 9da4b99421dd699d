"""The status-bar area that shows the running task: its name and text, a progress bar and Cancel."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from twinloc.gui.tasks import JobRunner, Task

SHOW_DELAY_MS = 300
"""Jobs that finish sooner never show the area, so quick recomputations do not flicker."""


class JobProgressArea(QWidget):
    """Progress of the tasks of a :class:`JobRunner`; hidden while the runner is idle.

    Shows the task that reported last; Cancel cancels that task.
    """

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._task: Task | None = None

        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(160)
        self.bar.setFixedHeight(12)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(self._cancel)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)

        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(SHOW_DELAY_MS)
        self._show_timer.timeout.connect(self._show_if_busy)

        runner.taskStarted.connect(lambda task: task.progress.connect(self._on_progress))
        runner.idleChanged.connect(self._on_idle_changed)
        self.hide()

    def _on_progress(self, fraction: float, text: str) -> None:
        # The sender, not a lambda holding the task: a connection holding its own sender keeps it alive.
        task = self._task = self.sender()
        self.label.setText(f"{task.name}: {text}" if text else task.name)
        self.bar.setValue(round(fraction * 1000))

    def _on_idle_changed(self, idle: bool) -> None:
        if idle:
            self._show_timer.stop()
            self.hide()
            self._task = None
        else:
            self.bar.setValue(0)
            self._show_timer.start()

    def _show_if_busy(self) -> None:
        if not self._runner.is_idle:
            self.show()

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
