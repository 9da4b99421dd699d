"""Scenes built in code for the reverse-ray-tracing tests."""

import numpy as np

from twinloc.geometry.materials import Material
from twinloc.geometry.primitives import box_mesh, plane_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject

CONCRETE = Material("concrete", 5.24, 0.2, "#a8a8a0")
ROOM = (6.0, 4.0, 3.0)
"""Box room size (x, y, z), metres, with a corner at the origin."""


def box_room(*extra: SceneObject) -> Scene:
    """An empty 6 m x 4 m x 3 m room of six surfaces (planes x=0, x=6, y=0, y=4, z=0, z=3)."""
    width, depth, height = ROOM
    objects = [
        SceneObject("floor", ObjectKind.SURFACE, "concrete", *plane_mesh((width, depth), (width / 2, depth / 2, 0.0))),
        SceneObject("ceiling", ObjectKind.SURFACE, "concrete", *plane_mesh((width, depth), (width / 2, depth / 2, height))),
        SceneObject("wall y0", ObjectKind.SURFACE, "concrete", *wall_mesh((0, 0), (width, 0), 0.0, height)),
        SceneObject("wall x6", ObjectKind.SURFACE, "concrete", *wall_mesh((width, 0), (width, depth), 0.0, height)),
        SceneObject("wall y4", ObjectKind.SURFACE, "concrete", *wall_mesh((width, depth), (0, depth), 0.0, height)),
        SceneObject("wall x0", ObjectKind.SURFACE, "concrete", *wall_mesh((0, depth), (0, 0), 0.0, height)),
    ]
    return Scene(name="box room", objects=tuple(objects) + extra, materials={"concrete": CONCRETE})


def block(name: str, size, center) -> SceneObject:
    return SceneObject(name, ObjectKind.SOLID, "concrete", *box_mesh(size, center))


PLANES = {
    "floor": (np.array([0.0, 0.0, 1.0]), 0.0),
    "ceiling": (np.array([0.0, 0.0, 1.0]), ROOM[2]),
    "wall y0": (np.array([0.0, 1.0, 0.0]), 0.0),
    "wall x6": (np.array([1.0, 0.0, 0.0]), ROOM[0]),
    "wall y4": (np.array([0.0, 1.0, 0.0]), ROOM[1]),
    "wall x0": (np.array([1.0, 0.0, 0.0]), 0.0),
}
"""Each surface of the box room as (unit normal, offset): the analytic mirror planes."""


def mirror(point, name):
    normal, offset = PLANES[name]
    point = np.asarray(point, dtype=np.float64)
    return point - 2.0 * (normal @ point - offset) * normal


def angles_deg(vector):
    x, y, z = vector
    return np.degrees(np.arctan2(y, x)), np.degrees(np.arctan2(z, np.hypot(x, y)))
