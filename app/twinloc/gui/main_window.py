"""The main window: the 3D viewport in the middle, docks around it, menus, status bar.

The window is the composition root: it makes the shell's shared objects (the document, the
task runner with its lanes, the viewport and its floor stack), builds every registered
feature from them (:data:`twinloc.gui.features.FEATURES`), places the features' docks and
actions, and emits ``closing`` to shut them down. It owns the file operations and holds no
project state of its own: the document (:class:`ProjectDocument`) is the one source of
truth; the viewport and the docks show it and send edits to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStyle,
)

import twinloc
from twinloc.compute.jobs import ComputePool
from twinloc.geometry.loaders import SHIPPED_SCENES
from twinloc.gui.document import ProjectDocument
from twinloc.gui.feature import Feature, FeatureContext, FeatureParts
from twinloc.gui.features import FEATURES
from twinloc.gui.garbage import GuiThreadCollector
from twinloc.gui.tasks import JobRunner, Task, default_lanes
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.gui.viewport.widget import SceneViewport
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.job_progress import JobProgressArea
from twinloc.model.anchor_export import write_anchors
from twinloc.model.autosave import AutosaveStore, RecoveryCandidate
from twinloc.model.project_file import PROJECT_SUFFIX, save_project
from twinloc.workspace import SceneFileMissing, Workspace, open_source

MAX_RECENT = 8
AUTOSAVE_INTERVAL_MS = 60_000
#: How long the status bar shows a failure that was already shown in a dialog.
FAILURE_MESSAGE_MS = 10_000
_SCENE_PATTERNS = "*.json *.obj *.stl *.ply *.glb *.gltf *.xml"
OPEN_FILTER = f"Projects and scenes (*{PROJECT_SUFFIX} {_SCENE_PATTERNS});;TwinLoc projects (*{PROJECT_SUFFIX});;All files (*)"
SCENE_FILTER = f"Scenes and meshes ({_SCENE_PATTERNS});;All files (*)"
PROJECT_FILTER = f"TwinLoc projects (*{PROJECT_SUFFIX})"
_SETTINGS_GEOMETRY = "window/geometry"
_SETTINGS_STATE = "window/state"
_SETTINGS_RECENT = "recent/files"
_STATE_VERSION = 1


class MainWindow(QMainWindow):
    """The TwinLoc main window, showing ``workspace``.

    Parameters
    ----------
    workspace : Workspace
        The project to show first.
    settings : QSettings or None, default: None
        Where window geometry, dock layout and recent files persist; None uses the
        application's (organisation "TwinLoc", application "TwinLoc").
    autosave : AutosaveStore or None, default: None
        Where snapshots of unsaved work go; None uses the default autosave folder.
    lanes : mapping of str to ComputePool, or None, default: None
        The pools tasks run on, by lane (see :mod:`twinloc.gui.tasks`); None makes the
        default ones. The window shuts them down when it closes.
    features : sequence of Feature, default: FEATURES
        The features to build, in any order.

    Signals
    -------
    closing()
        The window is closing (the user did not cancel): every feature's ``shutdown`` runs,
        then the task lanes stop.
    """

    closing = Signal()

    def __init__(
        self,
        workspace: Workspace,
        settings: QSettings | None = None,
        autosave: AutosaveStore | None = None,
        lanes: Mapping[str, ComputePool] | None = None,
        features: Sequence[Feature] = FEATURES,
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.settings = settings if settings is not None else QSettings()
        self.autosave_store = autosave if autosave is not None else AutosaveStore()
        try:
            self.autosave_store.start_session()
        except OSError as error:  # an unwritable data folder must not keep TwinLoc from starting
            self.statusBar().showMessage(f"Autosave is off: {self.autosave_store.directory}: {error.strerror or error}")

        self.garbage = GuiThreadCollector(self)  # before any job runs: see twinloc.gui.garbage
        self.garbage.open()
        self.document = ProjectDocument(workspace.project, workspace.base_scene, self)
        self.document.set_path(workspace.project_path)
        self.runner = JobRunner(lanes if lanes is not None else default_lanes(), self)
        self.viewport = SceneViewport(self)
        self.setCentralWidget(self.viewport)
        self.floor = FloorStack(self.viewport, self)

        context = FeatureContext(self, self.document, self.runner, self.viewport, self.floor, self.statusBar().showMessage)
        self._features: dict[str, FeatureParts] = {feature.name: feature.build(context) for feature in features}
        self._place_docks()
        for parts in self._features.values():
            for section in parts.sections:
                self._features[section.host].dock.add_section(section.title, section.widget)
            if parts.shutdown is not None:
                self.closing.connect(parts.shutdown)
        self._build_actions()
        self._build_menus()
        self._build_tool_bar()
        self._build_status_bar()
        self._connect_document()
        self._connect_viewport()
        self._failures_shown: dict[str, str] = {}
        """The last failure shown in a dialog, per task name (forgotten when one succeeds)."""
        self.runner.taskStarted.connect(self._watch_task)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_INTERVAL_MS)
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.autosave_timer.start()

        self.resize(1440, 880)
        self._size_docks()
        self._restore_layout()
        self._show_document()

    def feature(self, name: str) -> FeatureParts:
        """What the feature ``name`` built (its controller, dock and actions)."""
        return self._features[name]

    @property
    def features(self) -> dict[str, FeatureParts]:
        """Every feature's parts by name, in the order they were built."""
        return dict(self._features)

    # ------------------------------------------------------------------ construction

    def _place_docks(self) -> None:
        """Put every feature's dock where its placement says, a dock placed beside another after it."""
        pending = {name: parts for name, parts in self._features.items() if parts.dock is not None}
        placed: set[str] = set()
        while pending:
            ready = [name for name, parts in pending.items() if not parts.placement.beside or parts.placement.beside in placed]
            if not ready:
                raise ValueError(f"docks placed beside docks no feature built: {sorted(pending)}")
            for name in ready:
                parts = pending.pop(name)
                placement = parts.placement
                if placement.below:
                    self.splitDockWidget(self._features[placement.below].dock, parts.dock, Qt.Orientation.Vertical)
                elif placement.tab_with:
                    self.tabifyDockWidget(self._features[placement.tab_with].dock, parts.dock)
                else:
                    self.addDockWidget(placement.area, parts.dock)
                placed.add(name)
        for parts in self._features.values():
            if parts.dock is not None and not parts.placement.tab_with:
                parts.dock.raise_()  # the first dock of a group of tabs is in front

    def _size_docks(self) -> None:
        """Give the docks the widths and heights their placements ask for."""
        docks = [parts for parts in self._features.values() if parts.dock is not None]
        for size, orientation in (("width", Qt.Orientation.Horizontal), ("height", Qt.Orientation.Vertical)):
            sized = [parts for parts in docks if getattr(parts.placement, size)]
            if sized:
                self.resizeDocks([p.dock for p in sized], [getattr(p.placement, size) for p in sized], orientation)

    def _build_actions(self) -> None:
        def action(text: str, slot, shortcut=None, tip: str = "") -> QAction:
            created = QAction(text, self)
            if shortcut is not None:
                created.setShortcut(QKeySequence(shortcut))
            if tip:
                created.setStatusTip(tip)
            created.triggered.connect(slot)
            return created

        self.action_new = action("&New…", self.new_project, QKeySequence.StandardKey.New, "Start a project on a shipped scene")
        self.action_open = action("&Open…", self.open_project, QKeySequence.StandardKey.Open, "Open a project or a scene")
        self.action_open_scene = action(
            "Open Scene / Import &Mesh…", self.open_scene, None, "Start a project on a scene file or a mesh"
        )
        self.action_save = action("&Save", self.save, QKeySequence.StandardKey.Save)
        self.action_save_as = action("Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs)
        self.action_export_csv = action("Export Anchors as &CSV…", lambda: self.export_anchors("csv"))
        self.action_export_json = action("Export Anchors as &JSON…", lambda: self.export_anchors("json"))
        self.action_export_png = action("Export &Screenshot (PNG)…", self.export_screenshot)
        self.action_quit = action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)

        self.action_undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.action_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.action_redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        self.action_redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.action_place = action("&Place Anchors", self._on_place_toggled, "P", "Click the floor to add anchors")
        self.action_place.setCheckable(True)
        self.action_delete = action(
            "&Delete Selected Anchors",
            lambda: self.document.remove_anchors(self.document.selection),
            QKeySequence.StandardKey.Delete,
        )

        self.action_view_top = action("&Top View", self.viewport.view_top, "Ctrl+1")
        self.action_view_iso = action("&Isometric View", self.viewport.view_iso, "Ctrl+2")
        self.action_view_fit = action("&Fit Scene", self.viewport.view_fit, "Ctrl+0")
        self.action_about = action("&About TwinLoc", self.show_about)
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.action_new, self.action_open, self.action_open_scene])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.action_save, self.action_save_as])
        file_menu.addSeparator()
        file_menu.addActions([self.action_export_csv, self.action_export_json, self.action_export_png])
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.action_undo, self.action_redo])
        edit_menu.addSeparator()
        edit_menu.addActions([self.action_place, self.action_delete])

        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.action_view_top, self.action_view_iso, self.action_view_fit])
        view_menu.addSeparator()
        view_menu.addActions([parts.dock.toggleViewAction() for parts in self._features.values() if parts.dock is not None])
        view_menu.addSeparator()
        view_menu.addActions(self.floor.actions())
        view_menu.addSeparator()
        view_menu.addActions([action for parts in self._features.values() for action in parts.view_actions])
        self.view_menu = view_menu

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.action_about)

    def _build_tool_bar(self) -> None:
        style = self.style()
        icons = {
            self.action_new: QStyle.StandardPixmap.SP_FileIcon,
            self.action_open: QStyle.StandardPixmap.SP_DialogOpenButton,
            self.action_save: QStyle.StandardPixmap.SP_DialogSaveButton,
            self.action_undo: QStyle.StandardPixmap.SP_ArrowBack,
            self.action_redo: QStyle.StandardPixmap.SP_ArrowForward,
        }
        for action, pixmap in icons.items():
            action.setIcon(style.standardIcon(pixmap))
        bar = self.addToolBar("Main")
        bar.setObjectName("MainToolBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addActions([self.action_new, self.action_open, self.action_save])
        bar.addSeparator()
        bar.addActions([self.action_undo, self.action_redo])
        bar.addSeparator()
        bar.addAction(self.action_place)
        bar.addSeparator()
        bar.addActions([self.action_view_top, self.action_view_iso, self.action_view_fit])
        bar.addSeparator()
        bar.addActions([action for parts in self._features.values() for action in parts.tool_actions])
        self.tool_bar = bar
        # Short labels on the bar; the menus keep the full ones (features set their own).
        for action, label in (
            (self.action_new, "New"), (self.action_open, "Open"), (self.action_view_top, "Top"),
            (self.action_view_iso, "Iso"), (self.action_view_fit, "Fit"), (self.action_place, "Place Anchors"),
        ):
            action.setIconText(label)

    def _build_status_bar(self) -> None:
        self.summary_label = QLabel()
        self.statusBar().addWidget(self.summary_label)
        self.floor.shownChanged.connect(self._update_summary)
        for parts in self._features.values():
            if parts.summary_changed is not None:
                parts.summary_changed.connect(self._update_summary)
        self.document.settingsChanged.connect(self._update_summary)
        self.cursor_label = QLabel()
        self.cursor_label.setMinimumWidth(260)
        self.progress_area = JobProgressArea(self.runner, self)
        self.statusBar().addPermanentWidget(self.progress_area)
        self.statusBar().addPermanentWidget(self.cursor_label)

    def _connect_document(self) -> None:
        document = self.document
        document.sceneChanged.connect(self._show_scene)
        document.materialsChanged.connect(lambda: self.viewport.update_materials(document.scene))
        document.objectsChanged.connect(lambda: self.viewport.set_scene(document.scene))
        document.anchorsChanged.connect(self._show_anchors)
        document.accessPointsChanged.connect(self._show_access_points)
        document.selectionChanged.connect(self._show_anchors)
        document.selectionChanged.connect(lambda names: self.action_delete.setEnabled(bool(names)))
        document.settingsChanged.connect(
            lambda: self.viewport.set_mounting_height(document.project.settings.mounting_height_m)
        )
        document.modifiedChanged.connect(self.setWindowModified)
        document.projectPathChanged.connect(self._update_title)

    def _connect_viewport(self) -> None:
        self.viewport.placeRequested.connect(self._on_place_requested)
        self.viewport.anchorDragFinished.connect(self._on_drag_finished)
        self.viewport.anchorClicked.connect(self._on_anchor_clicked)
        self.viewport.accessPointDragFinished.connect(self._on_access_point_dragged)
        self.viewport.cursorMoved.connect(self._show_cursor)

    # ------------------------------------------------------------------ file menu

    def new_project(self) -> None:
        """Start a project on a shipped scene chosen from a list."""
        if not self._maybe_save():
            return
        name, ok = QInputDialog.getItem(self, "New Project", "Scene:", list(SHIPPED_SCENES), 0, False)
        if ok and name:
            self.open_source(name)

    def open_project(self) -> None:
        """Ask for a project or scene file and open it."""
        if not self._maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open", self._last_folder(), OPEN_FILTER)
        if path:
            self.open_source(path)

    def open_scene(self) -> None:
        """Ask for a scene descriptor, mesh or Mitsuba XML and start a project on it."""
        if not self._maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open Scene or Mesh", self._last_folder(), SCENE_FILTER)
        if path:
            self.open_source(path)

    def open_source(self, source: str) -> bool:
        """Open ``source`` (project, scene file or shipped scene) in place of the current project.

        A project whose scene file is missing (copied without it, or the scene moved) asks
        where the scene is now; the project opens on it, modified, so that saving records the
        new place. On failure an error dialog names the problem; on failure or cancel the
        current project stays as it was.
        """
        scene_path = None
        try:
            try:
                workspace = _open_waiting(source)
            except SceneFileMissing as missing:
                scene_path = self._locate_scene(missing)
                if scene_path is None:
                    self.statusBar().showMessage(f"Not opened: the scene of {missing.project_path.name} was not located", 6000)
                    return False
                workspace = _open_waiting(source, scene_path)
        except Exception as error:  # loaders raise SceneError/ProjectFileError/OSError; show any of them
            show_error(self, "Could not open", str(error) or type(error).__name__)
            return False
        self.document.load(workspace.project, workspace.base_scene, workspace.project_path, modified=scene_path is not None)
        if Path(source).exists():
            self._add_recent(str(Path(source).resolve()))
        self.statusBar().showMessage(f"Opened {source}", 4000)
        return True

    def _locate_scene(self, missing: SceneFileMissing) -> str | None:
        """Ask where the missing scene file is now; None when the user cancels."""
        caption = f"Locate the scene {missing.scene_path.name} of {missing.project_path.name} (not found at {missing.scene_path.parent})"
        path, _ = QFileDialog.getOpenFileName(self, caption, str(missing.project_path.parent), SCENE_FILTER)
        return path or None

    def save(self) -> bool:
        """Save to the project's file (asking for one the first time); False when not saved."""
        if self.document.path is None:
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self) -> bool:
        """Ask for a file name and save there; False when cancelled or failed."""
        suggestion = str(Path(self._last_folder()) / f"{self.document.display_name}{PROJECT_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save Project As", suggestion, PROJECT_FILTER)
        if not path:
            return False
        target = Path(path)
        if target.suffix.lower() != PROJECT_SUFFIX:
            target = target.with_name(target.name + PROJECT_SUFFIX)
        return self._write(target)

    def export_anchors(self, kind: str) -> None:
        """Write the anchors as ``kind`` ("csv" or "json") to a file the user picks."""
        suggestion = str(Path(self._last_folder()) / f"{self.document.display_name}-anchors.{kind}")
        label = "CSV files (*.csv)" if kind == "csv" else "JSON files (*.json)"
        path, _ = QFileDialog.getSaveFileName(self, "Export Anchors", suggestion, label)
        if not path:
            return
        target = Path(path) if Path(path).suffix.lower() == f".{kind}" else Path(f"{path}.{kind}")
        try:
            write_anchors(self.document.project.anchors, self.document.scene.name, target)
        except OSError as error:
            show_error(self, "Could not export anchors", f"{target}: {error.strerror or error}")
            return
        self.statusBar().showMessage(f"Exported {len(self.document.project.anchors)} anchors to {target}", 4000)

    def export_screenshot(self) -> None:
        """Save the 3D view as a PNG file the user picks."""
        suggestion = str(Path(self._last_folder()) / f"{self.document.display_name}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Export Screenshot", suggestion, "PNG images (*.png)")
        if not path:
            return
        target = Path(path) if Path(path).suffix.lower() == ".png" else Path(f"{path}.png")
        try:
            self.viewport.screenshot(target)
        except (OSError, RuntimeError, ValueError) as error:
            show_error(self, "Could not export the screenshot", f"{target}: {error}")
            return
        self.statusBar().showMessage(f"Saved screenshot {target}", 4000)

    # ------------------------------------------------------------------ autosave and recovery

    def autosave_now(self) -> None:
        """Snapshot the project if it has unsaved changes (the autosave timer calls this)."""
        if not self.document.is_modified:
            return
        try:
            self.autosave_store.write(self.document.project, self.document.path)
        except (OSError, ValueError) as error:
            self.statusBar().showMessage(f"Autosave failed: {error}", 8000)

    def offer_recovery(self) -> bool:
        """Offer the snapshot a crashed session left, if any; True when it was recovered."""
        candidate = self.autosave_store.recoverable()
        if candidate is None:
            return False
        if not self._ask_recovery(candidate):
            self.autosave_store.discard(candidate)
            return False
        try:
            workspace = open_source(str(candidate.autosave_path))
        except Exception as error:  # a damaged snapshot must not stop the application
            show_error(self, "Could not recover", str(error))
            return False
        self.autosave_store.discard(candidate)
        self.document.load(workspace.project, workspace.base_scene, candidate.original_path, modified=True)
        self.statusBar().showMessage("Recovered unsaved work", 6000)
        return True

    def _ask_recovery(self, candidate: RecoveryCandidate) -> bool:
        what = str(candidate.original_path) if candidate.original_path else "an unsaved project"
        box = QMessageBox(QMessageBox.Icon.Question, "Recover Unsaved Work", "", parent=self)
        box.setText("TwinLoc did not shut down properly last time.")
        box.setInformativeText(f"Unsaved changes to {what} (autosaved {candidate.saved}) can be recovered.")
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(recover)
        box.exec()
        return box.clickedButton() is recover

    # ------------------------------------------------------------------ other actions

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About TwinLoc",
            f"<h3>TwinLoc {twinloc.__version__}</h3>"
            "<p>A desktop digital twin for indoor wireless positioning: place UWB anchors in a 3D "
            "scene and see line of sight, ranging errors and positioning errors before installing.</p>",
        )

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if not self._maybe_save():
            event.ignore()
            return
        self.settings.setValue(_SETTINGS_GEOMETRY, self.saveGeometry())
        self.settings.setValue(_SETTINGS_STATE, self.saveState(_STATE_VERSION))
        self.settings.sync()
        self.autosave_timer.stop()
        self.closing.emit()
        self.runner.shutdown()
        self.autosave_store.end_session()
        self.viewport.close()
        self.garbage.close()
        event.accept()

    def _maybe_save(self) -> bool:
        """Ask what to do with unsaved changes; False when the user cancels."""
        if not self.document.is_modified:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved Changes",
            f"Save the changes to {self.document.display_name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # ------------------------------------------------------------------ document → views

    def _show_document(self) -> None:
        self._show_scene()
        self.viewport.set_mounting_height(self.document.project.settings.mounting_height_m)
        self.action_delete.setEnabled(bool(self.document.selection))
        self.setWindowModified(self.document.is_modified)
        self._update_title()

    def _show_scene(self) -> None:
        self.viewport.set_scene(self.document.scene)
        self._show_anchors()
        self._show_access_points()
        self._update_title()

    def _show_anchors(self) -> None:
        self.viewport.set_anchors(self.document.project.anchors, set(self.document.selection))
        self._update_summary()

    def _show_access_points(self) -> None:
        self.viewport.set_access_points(self.document.project.access_points)
        self._update_summary()

    def _update_summary(self) -> None:
        """Status-bar line: the scene's size, the anchors, the floor grid and what the features add (the LOS coverage)."""
        scene, anchors = self.document.scene, self.document.project.anchors
        enabled = sum(anchor.enabled for anchor in anchors)
        grid = f"floor grid {self.document.grid_resolution_m:g} m"
        if self.document.grid_resolution_note:
            grid += f", {self.document.grid_resolution_note}"
        parts = [f"{len(scene.objects)} objects", f"{enabled} of {len(anchors)} anchors on", grid]
        access_points = self.document.project.access_points
        if access_points:
            parts.insert(2, f"{sum(point.enabled for point in access_points)} of {len(access_points)} access points on")
        tips = []
        for feature in self._features.values():
            text, tip = feature.summary() if feature.summary is not None else ("", "")
            parts += [text] if text else []
            tips += [tip] if tip else []
        self.summary_label.setToolTip(tips[0] if tips else "")
        self.summary_label.setText("   ·   ".join(parts))

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — TwinLoc")

    def _show_cursor(self, point) -> None:
        """The first feature's readout of the floor point under the mouse, else its coordinates."""
        if point is None:
            self.cursor_label.setText("")
            return
        x, y, z = point
        readouts = (feature.readout(x, y) for feature in self._features.values() if feature.readout is not None)
        readout = next((text for text in readouts if text is not None), None)
        self.cursor_label.setText(readout if readout is not None else f"x {x:.2f} m  y {y:.2f} m  z {z:.2f} m")

    # ------------------------------------------------------------------ viewport → document

    def _on_place_toggled(self, checked: bool) -> None:
        self.viewport.set_mode("place_anchor" if checked else "navigate")
        if checked:
            self.statusBar().showMessage("Click the floor or a wall to place an anchor; press P to stop", 6000)

    def _on_place_requested(self, position) -> None:
        try:
            name = self.document.add_anchor(tuple(position))
        except ValueError as error:
            show_error(self, "Cannot place the anchor", str(error))
            return
        self.statusBar().showMessage(f"Placed {name}", 3000)

    def _on_drag_finished(self, name: str, position) -> None:
        try:
            self.document.move_anchor(name, tuple(position))
        except (KeyError, ValueError) as error:
            show_error(self, f"Cannot move anchor {name}", str(error))

    def _on_access_point_dragged(self, name: str, position) -> None:
        try:
            self.document.move_access_point(name, tuple(position))
        except (KeyError, ValueError) as error:
            show_error(self, f"Cannot move access point {name}", str(error))

    def _on_anchor_clicked(self, name: str, extend: bool) -> None:
        selection = self.document.selection
        if not extend:
            self.document.set_selection([name])
        elif name in selection:
            self.document.set_selection([n for n in selection if n != name])
        else:
            self.document.set_selection([*selection, name])

    def _watch_task(self, task: Task) -> None:
        name = task.name  # not the task itself: a connection holding its own sender keeps it alive
        task.failed.connect(lambda message: self._on_task_failed(name, message))
        task.finished.connect(lambda _result: self._failures_shown.pop(name, None))
        task.cancelled.connect(lambda: self.statusBar().showMessage(f"{name}: cancelled", 4000))

    def _on_task_failed(self, name: str, message: str) -> None:
        """Show a failure in a dialog once; the same failure again (the next edit recomputes with
        the same settings) only goes to the status bar, so a bad setting never traps the user in
        a dialog after every edit."""
        title = f"{name} failed"
        if self._failures_shown.get(name) == message:
            self.statusBar().showMessage(f"{title}: {message}", FAILURE_MESSAGE_MS)
            return
        self._failures_shown[name] = message
        show_error(self, title, message)

    # ------------------------------------------------------------------ persistence helpers

    def _restore_layout(self) -> None:
        geometry = self.settings.value(_SETTINGS_GEOMETRY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.value(_SETTINGS_STATE)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, _STATE_VERSION)

    def recent_files(self) -> list[str]:
        """Recently opened or saved files, newest first."""
        value = self.settings.value(_SETTINGS_RECENT, [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-element list
            value = [value]
        return [str(item) for item in value or []][:MAX_RECENT]

    def _add_recent(self, path: str) -> None:
        files = [path, *(item for item in self.recent_files() if item != path)][:MAX_RECENT]
        self.settings.setValue(_SETTINGS_RECENT, files)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for number, path in enumerate(files, start=1):
            entry = self.recent_menu.addAction(f"&{number} {Path(path).name}")
            entry.setStatusTip(path)
            entry.triggered.connect(lambda _checked=False, p=path: self._open_recent(p))
        if not files:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear List", lambda: self.settings.remove(_SETTINGS_RECENT))

    def _open_recent(self, path: str) -> None:
        if self._maybe_save():
            self.open_source(path)

    def _last_folder(self) -> str:
        files = self.recent_files()
        return str(Path(files[0]).parent) if files else str(Path.home())

    def _write(self, path: Path) -> bool:
        try:
            save_project(self.document.project, path)
        except (OSError, ValueError) as error:  # ProjectFileError is a ValueError
            show_error(self, "Could not save", str(error))
            return False
        self.document.mark_saved(path.resolve())
        self._add_recent(str(path.resolve()))
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True



def _open_waiting(source: str, scene_path: str | None = None) -> Workspace:
    """:func:`~twinloc.workspace.open_source` under the wait cursor."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        return open_source(source, scene_path)
    finally:
        QApplication.restoreOverrideCursor()
