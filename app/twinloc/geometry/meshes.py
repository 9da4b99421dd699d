"""Reading mesh files through trimesh and checking triangle meshes for the scene."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from twinloc.geometry.errors import SceneError
from twinloc.geometry.scene import ObjectKind, SceneObject
from twinloc.geometry.transforms import axis_angle_matrix

MESH_SUFFIXES = (".obj", ".stl", ".ply", ".glb", ".gltf")
_MIN_TRIANGLE_AREA_M2 = 1e-12
# glTF is y-up; the scene is z-up. Rotating +90 degrees about x maps glTF +y onto +z.
_GLTF_TO_Z_UP = axis_angle_matrix((1, 0, 0), 90.0)


def mesh_parts(path: Path, where: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The triangle meshes in a mesh file, each with its node transform applied.

    Parameters
    ----------
    path : Path
        An .obj, .stl, .ply, .glb or .gltf file. glTF files are converted from y-up to z-up.
    where : str
        Prefix for error messages (the file, and the object that refers to it).

    Returns
    -------
    list of (name, vertices (V, 3) float64 metres, faces (F, 3) int64)

    Raises
    ------
    SceneError
        The file is missing, unreadable or holds no triangles.
    """
    if not path.is_file():
        raise SceneError(f"{where}: mesh file {str(path)!r} not found")
    try:
        loaded = trimesh.load(str(path), force="scene", process=False)
    except Exception as error:  # trimesh raises many unrelated types for bad files
        raise SceneError(f"{where}: cannot read mesh file {str(path)!r} ({error})") from None
    parts = []
    for node in loaded.graph.nodes_geometry:
        transform, geometry_name = loaded.graph[node]
        geometry = loaded.geometry[geometry_name]
        if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
            continue
        vertices = trimesh.transform_points(np.asarray(geometry.vertices, dtype=np.float64), transform)
        if path.suffix.lower() in (".glb", ".gltf"):
            vertices = vertices @ _GLTF_TO_Z_UP.T
        parts.append((str(node), vertices, np.asarray(geometry.faces, dtype=np.int64)))
    if not parts:
        raise SceneError(f"{where}: mesh file {str(path)!r} contains no triangles")
    return parts


def load_mesh_file(path: Path, where: str) -> tuple[np.ndarray, np.ndarray]:
    """All triangles of a mesh file as one mesh: vertices (V, 3) float64, faces (F, 3) int64."""
    parts = mesh_parts(path, where)
    offsets = np.cumsum([0] + [len(vertices) for _, vertices, _ in parts[:-1]])
    vertices = np.vstack([vertices for _, vertices, _ in parts])
    faces = np.vstack([faces + offset for (_, _, faces), offset in zip(parts, offsets)])
    return vertices, faces


def surface_mesh(vertices, faces, where: str) -> tuple[np.ndarray, np.ndarray]:
    """A checked thin-surface mesh: finite vertices, zero-area triangles dropped.

    Raises
    ------
    SceneError
        Non-finite vertices, bad face indices, or no triangle with area left.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    if vertices.ndim != 2 or vertices.shape[1] != 3 or faces.ndim != 2 or faces.shape[1] != 3:
        raise SceneError(f"{where}: mesh must have (V, 3) vertices and (F, 3) faces")
    if not np.all(np.isfinite(vertices)):
        raise SceneError(f"{where}: mesh has NaN or infinite vertex coordinates")
    if len(faces) == 0:
        raise SceneError(f"{where}: mesh is empty (no triangles)")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise SceneError(f"{where}: mesh faces index missing vertices")
    corners = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1)
    keep = area > _MIN_TRIANGLE_AREA_M2
    if not keep.any():
        raise SceneError(f"{where}: degenerate geometry, every triangle has zero area")
    return vertices, faces[keep]


def closed_solid(vertices, faces, where: str) -> tuple[np.ndarray, np.ndarray]:
    """A checked solid: closed (watertight) and wound with outward normals.

    Returns
    -------
    vertices : (V, 3) float64, metres, duplicates merged
    faces : (F, 3) int64, outward normals

    Raises
    ------
    SceneError
        As ``surface_mesh``, or the mesh is not closed.
    """
    vertices, faces = surface_mesh(vertices, faces, where)
    mesh = trimesh.Trimesh(vertices, faces, process=True)
    if not mesh.is_watertight:
        raise SceneError(
            f"{where}: a solid must be a closed mesh but this one has holes or open edges "
            f"(make it kind 'surface' or close it)"
        )
    trimesh.repair.fix_normals(mesh, multibody=True)
    if mesh.volume <= 0.0:
        mesh.invert()
    return np.array(mesh.vertices, dtype=np.float64), np.array(mesh.faces, dtype=np.int64)


def as_scene_object(name: str, material: str, vertices, faces, where: str) -> SceneObject:
    """An object from an imported mesh: SOLID (wound outward) if closed, else SURFACE.

    Raises
    ------
    SceneError
        As ``surface_mesh``.
    """
    vertices, faces = surface_mesh(vertices, faces, where)
    if trimesh.Trimesh(vertices, faces, process=True).is_watertight:
        vertices, faces = closed_solid(vertices, faces, where)
        return SceneObject(name=name, kind=ObjectKind.SOLID, material=material, vertices=vertices, faces=faces)
    return SceneObject(name=name, kind=ObjectKind.SURFACE, material=material, vertices=vertices, faces=faces)
