"""The one way the GUI reports an error to the user."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """Show a modal error dialog.

    Parameters
    ----------
    parent : QWidget or None
        The window the dialog belongs to.
    title : str
        What failed, in the user's words ("Could not open project").
    message : str
        Why it failed; loaders' messages already name the file and the problem.
    """
    QMessageBox.critical(parent, title, message)
