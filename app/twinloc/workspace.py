"""What the application works on: a project and its scene, opened from whatever the user named.

The GUI and the CLI open sources here, and both search the same mounting regions for an
anchor layout: the scene's and the project's drawn ones (:func:`scene_with_mounting_regions`).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinloc.geometry.errors import SceneError
from twinloc.geometry.loaders import SHIPPED_SCENES, load_scene
from twinloc.geometry.scene import Region, RegionType, Scene
from twinloc.geometry.scene_edits import apply_edits
from twinloc.model.mounting import MountingRegion
from twinloc.model.project import Project, SceneRef
from twinloc.model.project_file import PROJECT_SUFFIX, ProjectFileError, load_project
from twinloc.model.scene_edits import SceneEditError


@dataclass(frozen=True, eq=False)
class Workspace:
    """A project with the scenes it needs.

    base_scene : the scene as loaded from its file.
    scene : ``base_scene`` with the project's material overrides and scene edits applied; what computations use.
    project_path : the ``.twinloc`` file the project came from (None: not saved yet).
    """

    project: Project
    scene: Scene
    base_scene: Scene
    project_path: Path | None = None

    def with_project(self, project: Project) -> Workspace:
        """The workspace after an edit of the project; the effective scene follows its material overrides."""
        scene = self.scene
        if project.material_overrides != self.project.material_overrides:
            scene = effective_scene(self.base_scene, project)
        return dataclasses.replace(self, project=project, scene=scene)


class SceneFileMissing(SceneError):
    """A project's scene file is not where the project says: the project was copied without
    it or the scene moved. Open again with ``scene_path`` naming where it is now.

    project_path, scene_path : Path; the project file and where it expected the scene.
    """

    def __init__(self, project_path: Path, scene_path: Path) -> None:
        super().__init__(f"{project_path}: the project's scene file {scene_path} does not exist (moved, or not copied with the project)")
        self.project_path = project_path
        self.scene_path = scene_path


def open_source(source: str, scene_path: str | None = None) -> Workspace:
    """Open a shipped scene's name, a scene file (descriptor, mesh, Mitsuba XML) or a ``.twinloc`` project.

    A project's scene is loaded from its stored path (resolved against the project's
    folder) or by its shipped name; ``scene_path``, for a project, names the scene file to
    load instead (the project then refers to it, so saving records the new place).

    Raises
    ------
    ProjectFileError
        For a broken project file, or material overrides that do not fit its scene.
    SceneFileMissing
        For a project whose scene file does not exist (and no ``scene_path``).
    SceneError
        For a scene that cannot be loaded; a project's scene error names the project too.
    """
    path = Path(source)
    if path.suffix.lower() != PROJECT_SUFFIX:
        base_scene = load_scene(source)
        if source in SHIPPED_SCENES:  # referenced by its id, which is what loads it again
            scene_ref = SceneRef(name=source)
        else:
            scene_ref = SceneRef(name=base_scene.name, path=str(path.resolve()))
        project = new_project_for_scene(base_scene, scene_ref)
        return Workspace(project=project, scene=base_scene, base_scene=base_scene)
    project = load_project(path)
    if scene_path is not None:
        project = dataclasses.replace(project, scene=SceneRef(name=project.scene.name, path=str(Path(scene_path).resolve())))
    elif project.scene.path is not None and not os.path.exists(project.scene.path):
        raise SceneFileMissing(path, Path(project.scene.path))
    try:
        base_scene = load_scene(project.scene.path if project.scene.path is not None else project.scene.name)
    except SceneError as error:
        raise SceneError(f"{path}: cannot open the project's scene: {error}") from error
    try:
        scene = effective_scene(base_scene, project)
    except ProjectFileError as error:
        raise ProjectFileError(f"{path}: {error}") from None
    return Workspace(project=project, scene=scene, base_scene=base_scene, project_path=path.resolve())


def effective_scene(base_scene: Scene, project: Project) -> Scene:
    """``base_scene`` with the project's material overrides (fields left None keep the scene's)
    and then its scene edits applied.

    Raises
    ------
    ProjectFileError
        When an override names a material the scene lacks, or gives it an invalid value, or
        an edit names an object or material the scene lacks.
    """
    scene = _with_material_overrides(base_scene, project)
    try:
        return apply_edits(scene, project.scene_edits) if project.scene_edits else scene
    except SceneEditError as error:
        raise ProjectFileError(f"scene_edits: {error}") from None


def _with_material_overrides(base_scene: Scene, project: Project) -> Scene:
    if not project.material_overrides:
        return base_scene
    materials = {}
    for name, override in project.material_overrides.items():
        if name not in base_scene.materials:
            known = ", ".join(sorted(base_scene.materials))
            raise ProjectFileError(
                f"material override {name!r}: scene {base_scene.name!r} has no such material (it has: {known})"
            )
        changes = {
            field: value
            for field, value in dataclasses.asdict(override).items()
            if value is not None
        }
        try:
            materials[name] = dataclasses.replace(base_scene.materials[name], **changes)
        except ValueError as error:
            raise ProjectFileError(f"material override {name!r}: {error}") from None
    return base_scene.with_materials(materials)


def new_project_for_scene(scene: Scene, scene_ref: SceneRef) -> Project:
    """A fresh project on ``scene`` with the scene's default anchors, base stations and access points."""
    return Project(
        scene=scene_ref, anchors=tuple(scene.anchors), base_stations=tuple(scene.base_stations),
        access_points=tuple(scene.access_points),
    )


def scene_with_mounting_regions(scene: Scene, regions: tuple[MountingRegion, ...]) -> Scene:
    """``scene`` with the user's mounting ``regions`` added after its own.

    Raises
    ------
    ValueError
        A drawn region named like one of the scene's regions.
    """
    if not regions:
        return scene
    taken = {region.name for region in scene.regions}
    clashes = [region.name for region in regions if region.name in taken]
    if clashes:
        raise ValueError(f"mounting region name(s) already used by the scene: {', '.join(map(repr, clashes))}")
    added = tuple(
        Region(
            name=region.name,
            type=RegionType.MOUNTING,
            polygon=np.asarray(region.polygon, dtype=np.float64),
            z_range_m=region.z_range_m,
            is_polyline=region.is_polyline,
        )
        for region in regions
    )
    return dataclasses.replace(scene, regions=(*scene.regions, *added))
