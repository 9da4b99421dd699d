"""Starting the desktop application."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import twinloc
from twinloc._paths import resources_dir
from twinloc.compute.jobs import ComputePool
from twinloc.gui.main_window import MainWindow
from twinloc.gui.tasks import default_lanes
from twinloc.gui.widgets.dialogs import show_error
from twinloc.workspace import SceneFileMissing, open_source

DEFAULT_SCENE = "uwb_hall"
STYLESHEET = "twinloc.qss"
QUIT_WHEN_SHOWN = "TWINLOC_QUIT_WHEN_SHOWN"
"""Environment variable: quit as soon as the window has been shown and rendered (start-up benchmark)."""
FIRST_FRAME_WAIT_MS = 2000
"""The longest the first maps' jobs wait for the window's first frame."""


def run_gui(source: str | None = None) -> int:
    """Run TwinLoc's window on ``source`` (default: the shipped "uwb_hall" scene) until it closes.

    Returns
    -------
    int
        The exit status of the Qt event loop.
    """
    app = _application()
    lanes = default_lanes()
    # The window first: the first maps' jobs (and the ray engine's compiled loops they load)
    # would otherwise share the GIL with its construction and its first frame.
    for pool in lanes.values():
        pool.hold()
    window = create_main_window(source, lanes)
    window.show()
    _release_after_first_frame(window, lanes)
    if os.environ.get(QUIT_WHEN_SHOWN):
        QTimer.singleShot(0, lambda: _render_and_quit(window))
    else:
        QTimer.singleShot(0, window.offer_recovery)
    return app.exec()


def _release_after_first_frame(window: MainWindow, lanes: Mapping[str, ComputePool]) -> None:
    """Start the held ``lanes`` once the viewport has drawn its first frame, or after
    FIRST_FRAME_WAIT_MS whatever happens (a window opened minimized draws nothing)."""
    render_window = window.viewport.plotter.render_window
    observer = None

    def release(*_args) -> None:
        nonlocal observer
        if observer is not None:
            render_window.RemoveObserver(observer)
            observer = None
        for pool in lanes.values():
            pool.release()

    observer = render_window.AddObserver("EndEvent", release)
    QTimer.singleShot(FIRST_FRAME_WAIT_MS, release)


def _render_and_quit(window: MainWindow) -> None:
    window.viewport.plotter.render()
    QApplication.processEvents()
    window.close()
    QApplication.quit()


def create_main_window(source: str | None = None, lanes: Mapping[str, ComputePool] | None = None) -> MainWindow:
    """A main window showing ``source``, a shipped scene's name or a file (not shown yet).

    ``lanes``: the compute pools of its jobs (default: new ones, see :class:`MainWindow`).

    When ``source`` cannot be opened, an error dialog says why and the default scene opens;
    for a project whose scene file is missing, the window asks where the scene is (see
    :meth:`MainWindow.open_source`). Needs a QApplication (tests get one from pytest-qt).
    """
    _application()
    try:
        workspace = open_source(source or DEFAULT_SCENE)
    except SceneFileMissing:
        window = MainWindow(open_source(DEFAULT_SCENE), lanes=lanes)
        window.open_source(source)
        return window
    except Exception as error:  # the default scene is shipped; anything else may be broken
        if source is None or source == DEFAULT_SCENE:
            raise
        show_error(None, "Could not open", str(error))
        workspace = open_source(DEFAULT_SCENE)
    return MainWindow(workspace, lanes=lanes)


def _application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        QApplication.setOrganizationName("TwinLoc")
        QApplication.setApplicationName("TwinLoc")
        QApplication.setApplicationVersion(twinloc.__version__)
        app = QApplication(sys.argv[:1])
        stylesheet = resources_dir() / STYLESHEET
        if stylesheet.is_file():
            app.setStyleSheet(stylesheet.read_text(encoding="utf-8"))
        sys.excepthook = _report_unexpected
    return app


def _report_unexpected(kind, error, trace) -> None:
    """Last resort for an exception that escaped a slot: say so instead of aborting silently."""
    traceback.print_exception(kind, error, trace)
    show_error(QApplication.activeWindow(), "Unexpected error", f"{kind.__name__}: {error}")
