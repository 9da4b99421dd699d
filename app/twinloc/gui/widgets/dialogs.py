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


def attempt(parent: QWidget | None, title: str, command) -> bool:
    """Run ``command()``; a ValueError or OSError (a refused input, an unreadable file) becomes an
    error dialog titled ``title`` and nothing else changes. True when the command succeeded."""
    try:
        command()
    except (ValueError, OSError) as error:
        show_error(parent, title, str(error))
        return False
    return True
