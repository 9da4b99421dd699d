"""A room given as one closed shell: its faces are walls, floor and ceiling, not a solid.

Sionna RT's box scenes, and many exported rooms, are one closed mesh with everything inside.
Read as a solid, every floor cell would lie inside it and every link would travel through
it. The shell that holds the whole scene is instead split by face direction into thin
surfaces wound with their normals into the room, and its floor becomes the area maps are
computed over.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from twinloc.geometry.scene import ObjectKind, Region, RegionType, Scene, SceneObject

#: A face whose outward normal has |z| at least this (45 degrees from level) is floor or ceiling.
LEVEL_NORMAL_MIN_Z = 0.7071
#: How far another object may reach out of the shell's bounding box, as a share of the
#: shell's largest extent.
ENCLOSE_MARGIN = 0.02


def with_room_envelope(scene: Scene) -> Scene:
    """``scene`` with the closed shell that encloses it turned into the room's envelope.

    The envelope is the largest SOLID object, when its bounding box holds every other object
    (give or take ``ENCLOSE_MARGIN``) and every default device (a scene of one closed object
    is its envelope).
    It is replaced by up to three SURFACE objects of its material, ``"<name> floor"``,
    ``"<name> ceiling"`` and ``"<name> walls"`` (faces whose outward normal points down, up,
    or sideways), each wound with normals into the room and marked ``envelope``. When the
    scene has no evaluation region, the outline of the envelope's floor becomes one (named
    like the floor object).

    Returns
    -------
    Scene
        ``scene`` itself when no object encloses the rest.
    """
    shell = _enclosing_solid(scene)
    if shell is None:
        return scene
    names = {obj.name for obj in scene.objects}
    parts = {}
    for label, faces in _faces_by_direction(shell).items():
        used, faces = np.unique(faces[:, ::-1], return_inverse=True)  # reversed: normals into the room
        parts[label] = SceneObject(
            name=_unused(f"{shell.name} {label}", names),
            kind=ObjectKind.SURFACE,
            material=shell.material,
            vertices=shell.vertices[used],
            faces=faces.reshape(-1, 3).astype(np.int64),
            envelope=True,
        )
    objects = []
    for obj in scene.objects:
        objects.extend(parts.values() if obj is shell else [obj])
    regions = scene.regions
    floor = parts.get("floor")
    if floor is not None and not scene.evaluation_regions():
        regions += tuple(
            Region(name=floor.name if index == 0 else f"{floor.name} {index + 1}", type=RegionType.EVALUATION, polygon=outline)
            for index, outline in enumerate(floor_outlines(floor.vertices, floor.faces))
        )
    return replace(scene, objects=tuple(objects), regions=regions)


def floor_outlines(vertices: np.ndarray, faces: np.ndarray) -> list[np.ndarray]:
    """The outer boundaries of an upward-facing floor mesh, seen from above.

    Parameters
    ----------
    vertices : (V, 3) float64, metres, coincident vertices merged
    faces : (F, 3) int64, wound counter-clockwise seen from above

    Returns
    -------
    list of (K, 2) float64, metres
        One counter-clockwise polygon per boundary loop that encloses floor (holes, which
        run clockwise, are left out). Where the boundary cannot be followed (a vertex
        where two loops touch), the floor's bounding rectangle.
    """
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    count = len(vertices)
    forward = edges[:, 0] * count + edges[:, 1]
    backward = edges[:, 1] * count + edges[:, 0]
    boundary = edges[~np.isin(forward, backward)]
    following = dict(zip(boundary[:, 0].tolist(), boundary[:, 1].tolist()))
    if len(following) != len(boundary):
        return [_rectangle(vertices[np.unique(faces)])]
    outlines = []
    while following:
        start, loop = next(iter(following)), []
        vertex = start
        while vertex in following:
            loop.append(vertex)
            vertex = following.pop(vertex)
        polygon = vertices[loop, :2]
        if vertex == start and len(loop) >= 3 and _signed_area(polygon) > 0.0:
            outlines.append(polygon)
    return outlines or [_rectangle(vertices[np.unique(faces)])]


def _enclosing_solid(scene: Scene) -> SceneObject | None:
    """The largest SOLID, if its bounding box holds the rest of the scene; else None.

    The rest is every other object's bounding box, which may stick out by
    ``ENCLOSE_MARGIN`` of the shell's largest extent (Sionna's screens reach a centimetre
    through the box they stand in), and every default device.
    """
    solids = [obj for obj in scene.objects if obj.kind is ObjectKind.SOLID]
    if not solids:
        return None
    shell = max(solids, key=lambda obj: float(np.prod(np.ptp(obj.vertices, axis=0))))
    margin = ENCLOSE_MARGIN * float(np.ptp(shell.vertices, axis=0).max())
    corners = [obj.bounds for obj in scene.objects if obj is not shell]
    points = np.vstack([*corners, *([device.position] for device in (*scene.anchors, *scene.base_stations, *scene.access_points)), np.empty((0, 3))])
    low, high = shell.bounds
    return shell if np.all((points >= low - margin) & (points <= high + margin)) else None


def _faces_by_direction(shell: SceneObject) -> dict[str, np.ndarray]:
    """The shell's outward-wound faces grouped into floor, ceiling and walls (empty groups left out)."""
    corners = shell.vertices[shell.faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    up = normals[:, 2] / np.linalg.norm(normals, axis=1)
    groups = {
        "floor": shell.faces[up <= -LEVEL_NORMAL_MIN_Z],
        "ceiling": shell.faces[up >= LEVEL_NORMAL_MIN_Z],
        "walls": shell.faces[np.abs(up) < LEVEL_NORMAL_MIN_Z],
    }
    return {label: faces for label, faces in groups.items() if len(faces)}


def _unused(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} {number}", number + 1
    taken.add(candidate)
    return candidate


def _signed_area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _rectangle(points: np.ndarray) -> np.ndarray:
    (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
