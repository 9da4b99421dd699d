"""The Qt adaptor of the project document: owns the Project, applies edits as undo commands.

Docks and the viewport never change the project themselves: they call the edit methods
here, which push snapshot commands onto :attr:`ProjectDocument.undo_stack`, and they observe
the change signals. A signal is emitted only for the parts of the project that changed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.grid import adaptive_resolution, adaptive_resolution_note
from twinloc.geometry.materials import Material
from twinloc.geometry.scene import Scene
from twinloc.model.analysis import ErrorMapSettings, RangingModel
from twinloc.model.devices import AccessPoint, Anchor, BaseStation
from twinloc.model.mounting import MountingRegion
from twinloc.model.project import MaterialOverride, Project, ResultRecord, Settings
from twinloc.workspace import effective_scene

_MOVE_ANCHOR_ID = 1001
_SET_SETTINGS_ID = 1002
_SET_ERROR_MAP_ID = 1003
_MOVE_ACCESS_POINT_ID = 1004


class ProjectDocument(QObject):
    """The open project, its base scene and the effective scene (material overrides applied).

    Signals
    -------
    sceneChanged()
        A different base scene was loaded.
    anchorsChanged(), accessPointsChanged(), baseStationsChanged(), materialsChanged(), settingsChanged(), resultsChanged()
        That part of the project changed (by an edit, an undo, a redo or a load).
    mountingRegionsChanged()
        The user-drawn mounting regions (:class:`~twinloc.model.mounting.MountingRegion`) changed.
    errorMapSettingsChanged()
        The error map settings (:class:`~twinloc.model.analysis.ErrorMapSettings`) changed.
    selectionChanged(list)
        The selected anchor names changed.
    projectPathChanged(str)
        The file the project is saved in changed ("" when it has none).
    modifiedChanged(bool)
        The project started or stopped differing from its saved state.
    """

    sceneChanged = Signal()
    anchorsChanged = Signal()
    accessPointsChanged = Signal()
    baseStationsChanged = Signal()
    materialsChanged = Signal()
    settingsChanged = Signal()
    errorMapSettingsChanged = Signal()
    mountingRegionsChanged = Signal()
    resultsChanged = Signal()
    selectionChanged = Signal(list)
    projectPathChanged = Signal(str)
    modifiedChanged = Signal(bool)

    def __init__(self, project: Project, base_scene: Scene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self._base_scene = base_scene
        self._scene = effective_scene(base_scene, project)
        self._adaptive_resolution = (adaptive_resolution(base_scene), adaptive_resolution_note(base_scene))
        self._path: Path | None = None
        self._selection: list[str] = []
        self.geometry = GeometryCache()
        """Ray engines and floor grids of the scene's geometry, shared by every job the window
        runs: a drag step or a material edit reuses them instead of building them again."""
        self.undo_stack = QUndoStack(self)
        # A method, not a lambda: Qt drops the connection before the stack dies with this object.
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    # ------------------------------------------------------------------ state

    @property
    def project(self) -> Project:
        return self._project

    @property
    def scene(self) -> Scene:
        """The scene with the project's material overrides applied."""
        return self._scene

    @property
    def tag_height_m(self) -> float:
        """Height of the tag for floor maps, metres: the project's setting, or else the scene's."""
        return self._project.settings.tag_height_or(self._scene.tag_height_m)

    @property
    def grid_resolution_m(self) -> float:
        """Cell size of the floor maps, metres: the project's setting, or else the one adapted to the floor area."""
        chosen = self._project.settings.grid_resolution_m
        return self._adaptive_resolution[0] if chosen is None else chosen

    @property
    def grid_resolution_note(self) -> str:
        """How the adaptive cell size was chosen ("adapted to the 854 m × 676 m floor …"), or ""
        when the project sets the cell size."""
        return self._adaptive_resolution[1] if self._project.settings.grid_resolution_m is None else ""

    @property
    def base_scene(self) -> Scene:
        """The scene as loaded, without the project's material overrides."""
        return self._base_scene

    @property
    def path(self) -> Path | None:
        """The project file, or None for a project never saved."""
        return self._path

    @property
    def selection(self) -> list[str]:
        """Names of the selected anchors, in selection order."""
        return list(self._selection)

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        """The project file's stem, or the scene's name for an unsaved project."""
        return self._path.stem if self._path is not None else self._project.scene.name

    def anchor(self, name: str) -> Anchor:
        """The anchor called ``name``; KeyError when there is none."""
        for anchor in self._project.anchors:
            if anchor.name == name:
                return anchor
        raise KeyError(f"no anchor named {name!r}")

    def access_point(self, name: str) -> AccessPoint:
        """The access point called ``name``; KeyError when there is none."""
        for point in self._project.access_points:
            if point.name == name:
                return point
        raise KeyError(f"no access point named {name!r}")

    # ------------------------------------------------------------------ whole-document operations

    def load(self, project: Project, base_scene: Scene, path: Path | None = None, modified: bool = False) -> None:
        """Replace the document (New, Open, Recover); clears the undo history.

        modified : bool, default: False
            True for a project that differs from any saved file (a recovered autosave).
        """
        self._project = project
        self._base_scene = base_scene
        self._scene = effective_scene(base_scene, project)
        self._adaptive_resolution = (adaptive_resolution(base_scene), adaptive_resolution_note(base_scene))
        self.undo_stack.clear()
        if modified:
            self.undo_stack.resetClean()
        self.set_path(path)
        self._selection = []
        self.sceneChanged.emit()
        self.anchorsChanged.emit()
        self.accessPointsChanged.emit()
        self.baseStationsChanged.emit()
        self.materialsChanged.emit()
        self.settingsChanged.emit()
        self.errorMapSettingsChanged.emit()
        self.mountingRegionsChanged.emit()
        self.resultsChanged.emit()
        self.selectionChanged.emit([])
        self.modifiedChanged.emit(self.is_modified)

    def set_path(self, path: Path | None) -> None:
        if path != self._path:
            self._path = path
            self.projectPathChanged.emit(str(path) if path is not None else "")

    def mark_saved(self, path: Path) -> None:
        """Record that the project now matches the file at ``path``."""
        self.set_path(path)
        self.undo_stack.setClean()

    def set_selection(self, names: list[str]) -> None:
        """Select the named anchors (unknown names are ignored)."""
        known = {anchor.name for anchor in self._project.anchors}
        selection = list(dict.fromkeys(name for name in names if name in known))
        if selection != self._selection:
            self._selection = selection
            self.selectionChanged.emit(list(selection))

    # ------------------------------------------------------------------ undoable edits

    def add_anchor(self, position: tuple[float, float, float], name: str | None = None) -> str:
        """Add an anchor at ``position`` (metres) and select it; returns its name."""
        name = name or self._project.unique_anchor_name()
        if any(anchor.name == name for anchor in self._project.anchors):
            raise ValueError(f"an anchor named {name!r} already exists")
        self._refuse_access_point_name(name)
        anchor = Anchor(name, _as_position(position))
        self._push(f"Add anchor {name}", self._project.with_anchors((*self._project.anchors, anchor)))
        self.set_selection([name])
        return name

    def move_anchor(self, name: str, position: tuple[float, float, float]) -> None:
        """Move anchor ``name`` to ``position`` (metres). Successive moves of one anchor merge."""
        moved = self.anchor(name).moved_to(_as_position(position))
        after = self._project.with_anchors(tuple(moved if a.name == name else a for a in self._project.anchors))
        self._push(f"Move anchor {name}", after, merge_id=_MOVE_ANCHOR_ID, merge_key=name)

    def remove_anchors(self, names: list[str]) -> None:
        """Remove the named anchors in one undo step."""
        doomed = set(names)
        kept = tuple(a for a in self._project.anchors if a.name not in doomed)
        if len(kept) == len(self._project.anchors):
            return
        removed = [a.name for a in self._project.anchors if a.name in doomed]
        text = f"Remove anchor {removed[0]}" if len(removed) == 1 else f"Remove {len(removed)} anchors"
        self._push(text, self._project.with_anchors(kept))

    def rename_anchor(self, old: str, new: str) -> None:
        """Rename an anchor; ValueError for an empty or taken name."""
        new = new.strip()
        if new == old:
            return
        if not new:
            raise ValueError("An anchor name must not be empty.")
        if any(a.name == new for a in self._project.anchors):
            raise ValueError(f"An anchor named {new!r} already exists.")
        self._refuse_access_point_name(new)
        renamed = replace(self.anchor(old), name=new)
        after = self._project.with_anchors(tuple(renamed if a.name == old else a for a in self._project.anchors))
        self._push(f"Rename anchor {old} to {new}", after)

    def set_anchor_enabled(self, name: str, enabled: bool) -> None:
        anchor = self.anchor(name)
        if anchor.enabled == enabled:
            return
        changed = replace(anchor, enabled=bool(enabled))
        after = self._project.with_anchors(tuple(changed if a.name == name else a for a in self._project.anchors))
        self._push(f"{'Enable' if enabled else 'Disable'} anchor {name}", after)

    def add_access_point(self, position: tuple[float, float, float], name: str | None = None) -> str:
        """Add an access point at ``position`` (metres), 2.4 GHz and 20 dBm; returns its name
        (the first free ``AP1, AP2, ...`` when none is given). ValueError for a taken name."""
        taken = self._transmitter_names()
        if name is None:
            name = next(f"AP{index}" for index in range(1, len(taken) + 2) if f"AP{index}" not in taken)
        if name in taken:
            raise ValueError(f"A transmitter named {name!r} already exists.")
        point = AccessPoint(name, _as_position(position))
        self._push(f"Add access point {name}", self._project.with_access_points((*self._project.access_points, point)))
        return name

    def move_access_point(self, name: str, position: tuple[float, float, float]) -> None:
        """Move access point ``name`` to ``position`` (metres). Successive moves of one access point merge."""
        moved = self.access_point(name).moved_to(_as_position(position))
        self._change_access_point(name, moved, f"Move access point {name}", merge_id=_MOVE_ACCESS_POINT_ID)

    def remove_access_points(self, names: list[str]) -> None:
        """Remove the named access points in one undo step."""
        doomed = set(names)
        kept = tuple(p for p in self._project.access_points if p.name not in doomed)
        removed = [p.name for p in self._project.access_points if p.name in doomed]
        if removed:
            text = f"Remove access point {removed[0]}" if len(removed) == 1 else f"Remove {len(removed)} access points"
            self._push(text, self._project.with_access_points(kept))

    def rename_access_point(self, old: str, new: str) -> None:
        """Rename an access point; ValueError for an empty name or one another transmitter (access
        point or anchor) has: the radio map and surveys name transmitters."""
        new = new.strip()
        if new == old:
            return
        if not new:
            raise ValueError("An access point name must not be empty.")
        if new in self._transmitter_names():
            raise ValueError(f"A transmitter named {new!r} already exists.")
        self._change_access_point(old, replace(self.access_point(old), name=new), f"Rename access point {old} to {new}")

    def set_access_point_enabled(self, name: str, enabled: bool) -> None:
        point = self.access_point(name)
        if point.enabled != bool(enabled):
            text = f"{'Enable' if enabled else 'Disable'} access point {name}"
            self._change_access_point(name, replace(point, enabled=bool(enabled)), text)

    def set_access_point_radio(self, name: str, frequency_hz: float | None = None, power_dbm: float | None = None) -> None:
        """Give access point ``name`` another carrier (hertz) and/or transmit power (dBm); ValueError
        outside :class:`~twinloc.model.devices.AccessPoint`'s limits (nothing changes then)."""
        point = self.access_point(name)
        changed = replace(
            point,
            frequency_hz=point.frequency_hz if frequency_hz is None else frequency_hz,
            power_dbm=point.power_dbm if power_dbm is None else power_dbm,
        )
        if changed != point:
            self._change_access_point(name, changed, f"Edit access point {name}")

    def set_material(self, name: str, material: Material) -> None:
        """Give scene material ``name`` new properties, stored as a project override."""
        self.set_materials({name: material}, f"Edit material {name}")

    def set_materials(self, materials: dict[str, Material], text: str = "Edit materials",
                      ranging: RangingModel | None = None) -> None:
        """Give several scene materials new properties (by name) in one undo step named ``text``.

        ``ranging``: also make this the error maps' ranging model in the same step (a
        calibration that fitted the NLOS bias with the permittivities). KeyError for a name the
        scene lacks.
        """
        overrides = dict(self._project.material_overrides)
        for name, material in materials.items():
            base = self._base_scene.materials.get(name)
            if base is None:
                raise KeyError(f"the scene has no material named {name!r}")
            override = MaterialOverride(
                relative_permittivity=_differing(material.relative_permittivity, base.relative_permittivity),
                thickness_m=_differing(material.thickness_m, base.thickness_m),
                color=_differing(material.color.lower(), base.color.lower()),
            )
            if override == MaterialOverride():
                overrides.pop(name, None)
            else:
                overrides[name] = override
        error_map = self._project.error_map if ranging is None else replace(self._project.error_map, ranging=ranging)
        if overrides != self._project.material_overrides or error_map != self._project.error_map:
            self._push(text, replace(self._project, material_overrides=overrides, error_map=error_map))

    def set_settings(self, settings: Settings) -> None:
        """Replace the project settings. Successive settings edits merge into one undo step."""
        if settings != self._project.settings:
            self._push("Change settings", self._project.with_settings(settings), merge_id=_SET_SETTINGS_ID)

    def set_error_map(self, settings: ErrorMapSettings) -> None:
        """Replace how error maps are computed. Successive edits merge into one undo step."""
        if settings != self._project.error_map:
            self._push("Change error map settings", self._project.with_error_map(settings), merge_id=_SET_ERROR_MAP_ID)

    def replace_anchors(self, anchors: tuple[Anchor, ...], text: str = "Replace anchors") -> None:
        """Make ``anchors`` the project's anchors in one undo step named ``text``; ValueError for repeated names."""
        anchors = tuple(anchors)
        names = [anchor.name for anchor in anchors]
        if len(set(names)) != len(names):
            raise ValueError("anchor names must be unique")
        if anchors != self._project.anchors:
            self._push(text, self._project.with_anchors(anchors))

    def set_mounting_regions(self, regions: tuple[MountingRegion, ...], text: str = "Edit mounting regions") -> None:
        """Replace the user-drawn mounting regions (one undo step); ValueError for a name used twice
        or already used by a region of the scene."""
        regions = tuple(regions)
        names = [region.name for region in regions]
        if len(set(names)) != len(names):
            raise ValueError("mounting region names must be unique")
        clashes = sorted(set(names) & {region.name for region in self._scene.regions})
        if clashes:
            raise ValueError(f"the scene already has region(s) named {', '.join(map(repr, clashes))}")
        if regions != self._project.mounting_regions:
            self._push(text, self._project.with_mounting_regions(regions))

    def replace_base_stations(self, stations: tuple[BaseStation, ...], text: str = "Edit base stations") -> None:
        """Make ``stations`` the project's base stations in one undo step named ``text``; ValueError for repeated names."""
        stations = tuple(stations)
        names = [station.name for station in stations]
        if len(set(names)) != len(names):
            raise ValueError("base station names must be unique")
        if stations != self._project.base_stations:
            self._push(text, self._project.with_base_stations(stations))

    def add_result(self, record: ResultRecord) -> None:
        """Keep a result summary with the project (an explicit user action, hence undoable)."""
        self._push(f"Record {record.kind.replace('_', ' ')}", self._project.with_result(record))

    # ------------------------------------------------------------------ internals

    def _refuse_access_point_name(self, name: str) -> None:
        """ValueError when an access point is called ``name`` (anchors and access points are the
        radio map's transmitters, named alike in its columns and in survey files)."""
        if any(point.name == name for point in self._project.access_points):
            raise ValueError(f"An access point named {name!r} already exists.")

    def _transmitter_names(self) -> set[str]:
        return {device.name for device in (*self._project.access_points, *self._project.anchors)}

    def _change_access_point(self, name: str, changed: AccessPoint, text: str, merge_id: int = -1) -> None:
        points = tuple(changed if p.name == name else p for p in self._project.access_points)
        self._push(text, self._project.with_access_points(points), merge_id=merge_id, merge_key=name)

    @Slot(bool)
    def _on_clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    def _push(self, text: str, after: Project, merge_id: int = -1, merge_key: object = None) -> None:
        self.undo_stack.push(_ProjectEdit(self, text, self._project, after, merge_id, merge_key))

    def _apply(self, project: Project) -> None:
        """Make ``project`` current and announce what differs (called by undo commands)."""
        before, self._project = self._project, project
        if project.material_overrides != before.material_overrides:
            self._scene = effective_scene(self._base_scene, project)
            self.materialsChanged.emit()
        if project.anchors != before.anchors:
            self.anchorsChanged.emit()
            self._prune_selection(before)
        if project.access_points != before.access_points:
            self.accessPointsChanged.emit()
        if project.base_stations != before.base_stations:
            self.baseStationsChanged.emit()
        if project.settings != before.settings:
            self.settingsChanged.emit()
        if project.error_map != before.error_map:
            self.errorMapSettingsChanged.emit()
        if project.mounting_regions != before.mounting_regions:
            self.mountingRegionsChanged.emit()
        if project.results != before.results:
            self.resultsChanged.emit()

    def _prune_selection(self, before: Project) -> None:
        """Keep the selection on anchors that still exist, following a rename."""
        names_now = [a.name for a in self._project.anchors]
        if len(before.anchors) == len(self._project.anchors):
            renames = {old.name: new.name for old, new in zip(before.anchors, self._project.anchors, strict=True)}
            self.set_selection([renames.get(name, name) for name in self._selection])
        else:
            self.set_selection([name for name in self._selection if name in names_now])


class _ProjectEdit(QUndoCommand):
    """A snapshot command: the whole (immutable) Project before and after one edit."""

    def __init__(
        self, document: ProjectDocument, text: str, before: Project, after: Project, merge_id: int, merge_key: object
    ) -> None:
        super().__init__(text)
        self._document = document
        self._before = before
        self._after = after
        self._merge_id = merge_id
        self._merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self._merge_id

    def redo(self) -> None:
        self._document._apply(self._after)

    def undo(self) -> None:
        self._document._apply(self._before)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, _ProjectEdit) or other._merge_key != self._merge_key:
            return False
        self._after = other._after
        return True


def _as_position(position: tuple[float, float, float]) -> tuple[float, float, float]:
    x, y, z = (float(c) for c in position)
    return (x, y, z)


def _differing(value, base):
    return None if value == base else value

