"""Reading mesh files through trimesh and checking triangle meshes for the scene.

trimesh (with SciPy and networkx) takes about a third of a bare window's start-up to import,
so it is imported by the functions that need it; the solids of a scene descriptor's primitives,
closed by construction, are checked without it (:func:`closed_primitive`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from twinloc.geometry.errors import SceneError, read_scene_input
from twinloc.geometry.scene import ObjectKind, SceneObject
from twinloc.geometry.transforms import axis_angle_matrix
from twinloc.model.devices import MAX_COORDINATE_M
from twinloc.model.input_files import MIB, read_input_bytes

MESH_SUFFIXES = (".obj", ".stl", ".ply", ".glb", ".gltf")
#: Largest mesh file (and file a glTF refers to) that is read.
MAX_MESH_FILE_BYTES = 256 * MIB
#: A one-mesh file with more connected pieces than this stays one object.
MAX_PIECES = 10_000
#: Most triangles a scene may hold (Sionna's San Francisco has 268,000).
MAX_SCENE_TRIANGLES = 5_000_000
_MIN_TRIANGLE_AREA_M2 = 1e-12
# glTF is y-up; the scene is z-up. Rotating +90 degrees about x maps glTF +y onto +z.
_GLTF_TO_Z_UP = axis_angle_matrix((1, 0, 0), 90.0)


def mesh_parts(path: Path, where: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The triangle meshes in a mesh file, each with its node transform applied.

    OBJ objects and groups (``o``, ``g``) and glTF nodes are separate parts, named as in the
    file; a file of one unnamed mesh (STL, PLY, an OBJ without ``o``/``g``) is one part
    named after the file.

    Parameters
    ----------
    path : Path
        An .obj, .stl, .ply, .glb or .gltf file of at most ``MAX_MESH_FILE_BYTES``. glTF
        files are converted from y-up to z-up.
    where : str
        Prefix for error messages (the file, and the object that refers to it).

    Returns
    -------
    list of (name, vertices (V, 3) float64 metres, faces (F, 3) int64)

    Raises
    ------
    SceneError
        The file is missing, not a regular file, too large, unreadable, or holds no triangles
        or more than ``MAX_SCENE_TRIANGLES``.
    """
    import trimesh

    data = read_scene_input(path, MAX_MESH_FILE_BYTES, where, f"mesh file {str(path)!r}")
    is_gltf = path.suffix.lower() in (".glb", ".gltf")
    if path.suffix.lower() == ".gltf":
        try:  # trimesh reads a .gltf that is not JSON as a zip archive and reports a missing file
            json.loads(data)
        except (ValueError, RecursionError):
            raise SceneError(f"{where}: {str(path)!r} is not a glTF file (its text is not JSON)") from None
    parts = []
    try:
        # Broken files make numpy warn on their way to an exception; the exception is what counts.
        with np.errstate(all="ignore"):
            loaded = trimesh.load_scene(
                io.BytesIO(data),
                file_type=path.suffix.lower().lstrip("."),
                resolver=_limited_resolver(path.parent),
                process=False,
                split_objects=True,
                split_groups=True,
                skip_materials=True,
            )
            nodes = [(node, *loaded.graph[node]) for node in loaded.graph.nodes_geometry]
            # In the file's order of meshes (the graph lists nodes in no particular order).
            order = {name: index for index, name in enumerate(loaded.geometry)}
            nodes.sort(key=lambda entry: order[entry[2]])
            single = len(nodes) == 1
            for node, transform, geometry_name in nodes:
                geometry = loaded.geometry[geometry_name]
                if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
                    continue
                vertices = trimesh.transform_points(np.asarray(geometry.vertices, dtype=np.float64), transform)
                if is_gltf:
                    vertices = vertices @ _GLTF_TO_Z_UP.T
                name = path.stem if single and not is_gltf else str(node)
                parts.append((name, vertices, np.asarray(geometry.faces, dtype=np.int64)))
    except Exception as error:  # trimesh raises many unrelated types for bad files
        raise SceneError(f"{where}: cannot read mesh file {str(path)!r} ({type(error).__name__}: {error})") from None
    if not parts:
        raise SceneError(f"{where}: mesh file {str(path)!r} contains no triangles")
    if sum(len(faces) for _, _, faces in parts) > MAX_SCENE_TRIANGLES:
        raise SceneError(f"{where}: mesh file {str(path)!r} has more than the {MAX_SCENE_TRIANGLES:,} triangles a scene may hold")
    return parts


def connected_pieces(vertices, faces) -> list[tuple[np.ndarray, np.ndarray]]:
    """The pieces of a mesh that share no edge, in the order of their first triangle.

    Coincident vertices are merged first, so a triangle soup (STL) falls into its bodies.
    Edges shared by more than two triangles do not connect: two boxes touching along an
    edge stay two pieces. More than ``MAX_PIECES`` pieces leave the mesh whole.

    Parameters
    ----------
    vertices : (V, 3) float, metres
    faces : (F, 3) int

    Returns
    -------
    list of (vertices (V', 3) float64 metres, faces (F', 3) int64)
    """
    import trimesh

    with np.errstate(all="ignore"):
        mesh = trimesh.Trimesh(np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64), process=True)
        labels = trimesh.graph.connected_component_labels(mesh.face_adjacency, node_count=len(mesh.faces))
    by_label = np.argsort(labels, kind="stable")
    groups = np.split(by_label, np.flatnonzero(np.diff(labels[by_label])) + 1)
    if len(groups) > MAX_PIECES or len(groups) == 1:
        return [(np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64))]
    groups.sort(key=lambda group: group[0])
    return [
        (np.asarray(piece.vertices, dtype=np.float64), np.asarray(piece.faces, dtype=np.int64))
        for piece in mesh.submesh(groups, append=False, repair=False)
    ]


def _limited_resolver(folder: Path):
    """A trimesh resolver of the files a glTF or OBJ in ``folder`` refers to, read like the file
    itself: regular files within the size limit."""
    from trimesh.resolvers import FilePathResolver

    class LimitedResolver(FilePathResolver):
        def get(self, name: str) -> bytes:
            return read_input_bytes(self.absolute(name.strip()), MAX_MESH_FILE_BYTES)

    return LimitedResolver(folder)


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
    if vertices.size and np.abs(vertices).max() > MAX_COORDINATE_M:
        raise SceneError(
            f"{where}: a vertex lies {np.abs(vertices).max():.3g} m from the origin, beyond the "
            f"{MAX_COORDINATE_M:.0f} m TwinLoc accepts (move the model near the origin)"
        )
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
    import trimesh

    vertices, faces = surface_mesh(vertices, faces, where)
    with np.errstate(all="ignore"):  # slivers among the triangles have no unit normal
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


def closed_primitive(vertices, faces, where: str) -> tuple[np.ndarray, np.ndarray]:
    """A checked solid made from one primitive (a box, a cylinder): :func:`closed_solid`'s result
    without trimesh.

    A primitive is one closed body; a mirroring transform may have turned it inside out, which
    the sign of its volume tells, and then its triangles are turned. Anything that is not a
    closed, consistently wound mesh goes through :func:`closed_solid`, which says why or repairs it.

    Raises
    ------
    SceneError
        As :func:`closed_solid`.
    """
    vertices, faces = surface_mesh(vertices, faces, where)
    if not _closed_and_wound_one_way(vertices, faces):
        return closed_solid(vertices, faces, where)
    corners = vertices[faces]
    volume = np.einsum("ij,ij->i", corners[:, 0], np.cross(corners[:, 1], corners[:, 2])).sum() / 6.0
    return vertices, faces if volume > 0.0 else faces[:, ::-1]


def is_closed(vertices, faces) -> bool:
    """True when the mesh is watertight once coincident vertices are merged."""
    import trimesh

    with np.errstate(all="ignore"):
        return bool(trimesh.Trimesh(vertices, faces, process=True).is_watertight)


def as_scene_object(name: str, material: str, vertices, faces, where: str) -> SceneObject:
    """An object from an imported mesh: SOLID (wound outward) if closed, else SURFACE.

    Raises
    ------
    SceneError
        As ``surface_mesh``.
    """
    vertices, faces = surface_mesh(vertices, faces, where)
    if is_closed(vertices, faces):
        vertices, faces = closed_solid(vertices, faces, where)
        return SceneObject(name=name, kind=ObjectKind.SOLID, material=material, vertices=vertices, faces=faces)
    return SceneObject(name=name, kind=ObjectKind.SURFACE, material=material, vertices=vertices, faces=faces)


def _closed_and_wound_one_way(vertices: np.ndarray, faces: np.ndarray) -> bool:
    """Whether every vertex is used and none coincides with another (to 1e-8 m, as trimesh merges)
    and every edge is used by two triangles, once in each direction: a closed mesh that trimesh
    would keep as it is."""
    if len(np.unique(faces)) != len(vertices) or len(np.unique(np.round(vertices, 8), axis=0)) != len(vertices):
        return False
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    if len(np.unique(directed, axis=0)) != len(directed):
        return False
    return len(np.unique(np.vstack([directed, directed[:, ::-1]]), axis=0)) == len(directed)
