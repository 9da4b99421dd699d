"""The project document: which scene, which devices, which settings, which results."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from twinloc.model.analysis import ErrorMapSettings
from twinloc.model.devices import AccessPoint, Anchor, BaseStation
from twinloc.model.mounting import MountingRegion
from twinloc.model.scene_edits import SceneEdit


@dataclass(frozen=True)
class SceneRef:
    """Which scene a project uses: a shipped scene's name or a path to a scene file.

    path : the scene file; None for a shipped scene referenced by ``name``. The project
        file stores it relative to its own folder where possible; loading makes it
        absolute again (see :mod:`twinloc.model.project_file`).
    """

    name: str
    path: str | None = None


@dataclass(frozen=True)
class Settings:
    """Project-wide settings.

    tag_height_m : height of the tag above the floor for floor maps, metres (None: the scene's).
    grid_resolution_m : cell size of floor maps, metres; None (the default) adapts it to the
        floor area (:func:`twinloc.geometry.grid.adaptive_resolution`).
    mounting_height_m : height at which an anchor placed on the floor is mounted, metres.
    """

    tag_height_m: float | None = None
    grid_resolution_m: float | None = None
    mounting_height_m: float = 2.0

    def __post_init__(self) -> None:
        if self.tag_height_m is not None and not (math.isfinite(self.tag_height_m) and self.tag_height_m >= 0):
            raise ValueError(f"tag height must be a finite number >= 0 m, got {self.tag_height_m!r}")
        if self.grid_resolution_m is not None and not (
            math.isfinite(self.grid_resolution_m) and 0.01 <= self.grid_resolution_m <= 5.0
        ):
            raise ValueError(f"grid resolution must be between 0.01 m and 5 m, got {self.grid_resolution_m!r}")
        if not (math.isfinite(self.mounting_height_m) and self.mounting_height_m >= 0):
            raise ValueError(f"mounting height must be a finite number >= 0 m, got {self.mounting_height_m!r}")

    def tag_height_or(self, scene_tag_height_m: float) -> float:
        """The tag height floor maps use, metres: this project's, or else the scene's."""
        return self.tag_height_m if self.tag_height_m is not None else scene_tag_height_m


@dataclass(frozen=True)
class MaterialOverride:
    """A project's change to one scene material; None keeps the scene's value."""

    relative_permittivity: float | None = None
    thickness_m: float | None = None
    color: str | None = None


@dataclass(frozen=True)
class ResultRecord:
    """A summary of a computation kept with the project (e.g. an LOS map's statistics).

    kind : what was computed ("los_map", ...). created : ISO 8601 UTC timestamp.
    summary : JSON-serialisable numbers and strings.
    """

    kind: str
    created: str
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    """The whole document. Immutable: edits produce new projects (see ``replace``)."""

    scene: SceneRef
    anchors: tuple[Anchor, ...] = ()
    base_stations: tuple[BaseStation, ...] = ()
    access_points: tuple[AccessPoint, ...] = ()
    settings: Settings = Settings()
    error_map: ErrorMapSettings = ErrorMapSettings()
    material_overrides: dict[str, MaterialOverride] = field(default_factory=dict)
    results: tuple[ResultRecord, ...] = ()
    mounting_regions: tuple[MountingRegion, ...] = ()
    """Mounting regions the user drew, added to the scene's for the layout optimizer."""
    scene_edits: tuple[SceneEdit, ...] = ()
    """Objects the user moved, removed or re-materialled, applied to the scene in order."""

    def with_anchors(self, anchors: tuple[Anchor, ...]) -> Project:
        return replace(self, anchors=tuple(anchors))

    def with_base_stations(self, base_stations: tuple[BaseStation, ...]) -> Project:
        return replace(self, base_stations=tuple(base_stations))

    def with_access_points(self, access_points: tuple[AccessPoint, ...]) -> Project:
        return replace(self, access_points=tuple(access_points))

    def with_settings(self, settings: Settings) -> Project:
        return replace(self, settings=settings)

    def with_error_map(self, error_map: ErrorMapSettings) -> Project:
        return replace(self, error_map=error_map)

    def with_material_override(self, material: str, override: MaterialOverride) -> Project:
        return replace(self, material_overrides={**self.material_overrides, material: override})

    def with_mounting_regions(self, regions: tuple[MountingRegion, ...]) -> Project:
        return replace(self, mounting_regions=tuple(regions))

    def with_scene_edits(self, edits: tuple[SceneEdit, ...]) -> Project:
        return replace(self, scene_edits=tuple(edits))

    def with_result(self, record: ResultRecord) -> Project:
        return replace(self, results=(*self.results, record))

    def unique_anchor_name(self, stem: str = "A") -> str:
        """The first of ``A1, A2, ...`` not used by an anchor of this project."""
        taken = {anchor.name for anchor in self.anchors}
        index = 1
        while f"{stem}{index}" in taken:
            index += 1
        return f"{stem}{index}"
