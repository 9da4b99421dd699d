"""Opening a scene from whatever the user has: a shipped name, a descriptor, a mesh, a Mitsuba file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twinloc.geometry.envelope import with_room_envelope
from twinloc.geometry.errors import SceneError
from twinloc.geometry.materials import material_presets
from twinloc.geometry.meshes import MESH_SUFFIXES, as_scene_object, connected_pieces, mesh_parts, surface_mesh
from twinloc.geometry.scene import Scene, SceneObject
from twinloc.geometry.scene_file import load_scene_file

SHIPPED_SCENES: tuple[str, ...] = ("uwb_hall", "industrial_hall", "office_floor", "wifi_hall", "sector_hall")


def shipped_scene_path(name: str) -> Path:
    """The descriptor file of a shipped scene."""
    from twinloc._paths import scenes_dir

    return scenes_dir() / f"{name}.json"


def load_scene(source: str | Path) -> Scene:
    """Open a scene.

    Parameters
    ----------
    source : str or Path
        A shipped scene name (one of ``SHIPPED_SCENES``), a JSON scene descriptor, a mesh
        file (.obj .stl .ply .glb .gltf) or a Mitsuba .xml scene as Sionna RT writes it.
        In a mesh or Mitsuba scene, a closed object that encloses all the others is the
        room's envelope (``envelope.with_room_envelope``).

    Returns
    -------
    Scene

    Raises
    ------
    SceneError
        The source cannot be opened; the message names the file and the problem.
    """
    # Broken files make numpy warn on their way to a SceneError; the error is what counts.
    with np.errstate(all="ignore"):
        if isinstance(source, str) and source in SHIPPED_SCENES:
            return load_scene_file(shipped_scene_path(source))
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix == ".json":
            return load_scene_file(path)
        if suffix == ".xml":
            from twinloc.geometry.mitsuba import as_hollow_shells, load_mitsuba_scene  # lxml: loaded when first needed

            return as_hollow_shells(with_room_envelope(load_mitsuba_scene(path)))
        if suffix in MESH_SUFFIXES:
            presets = material_presets()
            scene = Scene(
                name=path.stem,
                objects=tuple(import_mesh_objects(path)),
                materials={"concrete": presets["concrete"]},
                source_path=path,
            )
            return with_room_envelope(scene)
    if not path.exists():
        raise SceneError(
            f"{path}: no such file, and not a shipped scene ({', '.join(SHIPPED_SCENES)})"
        )
    raise SceneError(
        f"{path}: unsupported scene file type {suffix!r} (use .json, .xml, {', '.join(MESH_SUFFIXES)})"
    )


def import_mesh_objects(path: str | Path, material: str = "concrete") -> list[SceneObject]:
    """The objects of a mesh file, for a new scene or to add to an open one.

    Each OBJ object or group and each glTF node becomes one object named as in the file. A
    file of one unnamed mesh (STL, PLY, an OBJ without ``o``/``g``) is split into its
    connected pieces, named after the file and numbered (``room 1``, ``room 2``, ...). Each
    object is SOLID if it is closed (wound outward here), SURFACE otherwise.

    Parameters
    ----------
    path : str or Path
        An .obj, .stl, .ply, .glb or .gltf file (glTF is converted from y-up to z-up).
    material : str, default: "concrete"
        Material name given to every object; the caller's scene must define it.

    Returns
    -------
    list of SceneObject

    Raises
    ------
    SceneError
        The file is missing, unreadable, or holds only degenerate geometry.
    """
    path = Path(path)
    parts = mesh_parts(path, str(path))
    if len(parts) == 1:
        name, vertices, faces = parts[0]
        pieces = connected_pieces(*surface_mesh(vertices, faces, f"{path}: mesh {name!r}"))
        if len(pieces) > 1:
            parts = [(f"{name} {number}", *piece) for number, piece in enumerate(pieces, start=1)]
    return [as_scene_object(name, material, vertices, faces, f"{path}: mesh {name!r}") for name, vertices, faces in parts]
