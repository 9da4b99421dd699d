"""How a feature plugs into the main window: one registration, built from the shell's shared objects.

A feature folder (``twinloc/gui/features/<name>/``) exports ``FEATURE = Feature(name, build)``;
``build(context)`` makes the feature's controller and dock from a :class:`FeatureContext`
(the document, the task runner, the viewport, the floor stack) and returns
:class:`FeatureParts`, the declarations the window collects: where the dock goes, which
actions go in the View menu and the tool bar, a section in another feature's dock, a part
of the status-bar summary, a readout under the cursor and what to do when the window closes.
The window iterates :data:`twinloc.gui.features.FEATURES`; features never reach each other's
objects, and placements name other features only by their names, so the order of the
registrations does not matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from twinloc.gui.document import ProjectDocument
from twinloc.gui.tasks import JobRunner
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.gui.viewport.widget import SceneViewport


@dataclass(frozen=True)
class FeatureContext:
    """The shell's shared objects a feature is built from.

    window : the main window, parent of the feature's widgets and objects.
    document : the open project; edits go through it.
    runner : runs the feature's jobs and hands back their tasks.
    viewport : the 3D view.
    floor : the floor stack; the feature registers and publishes its floor layers there.
    show_message : ``show_message(text, milliseconds)`` puts a short note in the status bar.
    """

    window: QMainWindow
    document: ProjectDocument
    runner: JobRunner
    viewport: SceneViewport
    floor: FloorStack
    show_message: Callable[[str, int], None]


@dataclass(frozen=True)
class DockPlacement:
    """Where a feature's dock goes.

    area : the window edge, for a dock placed on its own.
    below : the name of the feature whose dock this one is split below ("" for none).
    tab_with : the name of the feature whose dock this one shares tabs with ("" for none);
        the first dock of a group of tabs is raised.
    width, height : initial size in pixels along the edge's direction (0: Qt's choice).
    """

    area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea
    below: str = ""
    tab_with: str = ""
    width: int = 0
    height: int = 0

    @property
    def beside(self) -> str:
        """The feature whose dock must be placed first, or ""."""
        return self.below or self.tab_with


@dataclass(frozen=True)
class Section:
    """A page a feature adds to another feature's dock (whose dock has ``add_section(title, widget)``)."""

    host: str
    title: str
    widget: QWidget


@dataclass(frozen=True)
class FeatureParts:
    """What a feature built, for the window to place and wire.

    controller : the feature's Qt-side logic (tests and scripts reach the feature through it).
    dock, placement : its dock and where the dock goes; the dock's toggle action joins the View menu.
    sections : pages it adds to other features' docks.
    view_actions, tool_actions : its actions in the View menu and in the tool bar.
    summary : ``summary() -> (text, tooltip)``, its part of the status-bar summary ("" for none);
        asked again when ``summary_changed`` fires and when the floor changes.
    readout : ``readout(x, y) -> str or None``, what the floor point (x, y) metres under the
        cursor shows (None: nothing).
    shutdown : called when the window closes, before the task lanes stop.
    """

    controller: QObject | None = None
    dock: QDockWidget | None = None
    placement: DockPlacement = DockPlacement()
    sections: tuple[Section, ...] = ()
    view_actions: tuple[QAction, ...] = ()
    tool_actions: tuple[QAction, ...] = ()
    summary: Callable[[], tuple[str, str]] | None = None
    summary_changed: SignalInstance | None = None
    readout: Callable[[float, float], str | None] | None = None
    shutdown: Callable[[], None] | None = None


@dataclass(frozen=True)
class Feature:
    """A registration: the feature's name (its folder's) and how to build it."""

    name: str
    build: Callable[[FeatureContext], FeatureParts]
