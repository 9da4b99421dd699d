"""The start / Cancel buttons and status line a dock section shows for its background task."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QWidget

from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import push_button


class TaskButtons:
    """A start button, a Cancel button and a status line for one kind of task.

    ``start`` (the start button) calls ``begin()``; a ValueError it raises (a bad setting, no
    input yet) gets a dialog titled ``refusal_title`` and nothing starts. While the task runs
    only Cancel is enabled and the status reads ``busy_text``; the section calls :meth:`ended`
    with the task's outcome ("finished", "failed" or "cancelled").
    """

    def __init__(self, parent: QWidget, start_text: str, start_tip: str, begin: Callable[[], None], refusal_title: str,
                 busy_text: str, cancel_tip: str, cancel: Callable[[], None], what: str) -> None:
        self._parent = parent
        self._begin = begin
        self._refusal_title = refusal_title
        self._busy_text = busy_text
        self._what = what
        self.start_button = push_button(start_text, start_tip, self.start)
        self.cancel_button = push_button("Cancel", cancel_tip, cancel)
        self.cancel_button.setEnabled(False)
        self.status = QLabel()
        self.status.setWordWrap(True)

    def start(self) -> None:
        try:
            self._begin()
        except ValueError as error:
            show_error(self._parent, self._refusal_title, str(error))
            return
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(self._busy_text)

    def ended(self, outcome: str) -> None:
        """The task ended: start again; a failed or cancelled one is said in the status ("Training cancelled.")."""
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if outcome != "finished":
            self.status.setText(f"{self._what} {outcome}.")
