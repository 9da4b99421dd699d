"""Small scenes built in code for the UWB tests (no file loading involved)."""

import numpy as np

from twinloc.geometry.materials import Material
from twinloc.geometry.primitives import box_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Region, RegionType, Scene, SceneObject

CONCRETE = Material("concrete", 5.24, 0.2, "#a8a8a0")


def room_scene(*objects, width=4.0, depth=4.0):
    """A floor region of width x depth metres at the origin with the given objects."""
    region = Region(
        "floor", RegionType.EVALUATION, np.array([[0.0, 0.0], [width, 0.0], [width, depth], [0.0, depth]]), main_area=True
    )
    if not objects:  # a scene needs some geometry for its engine: a box far outside the region
        vertices, faces = box_mesh((0.5, 0.5, 0.5), (width + 20.0, depth + 20.0, 0.25))
        objects = (SceneObject("far box", ObjectKind.SOLID, "concrete", vertices, faces),)
    return Scene(name="room", objects=tuple(objects), materials={"concrete": CONCRETE}, regions=(region,), tag_height_m=1.0)


def thin_wall(name, start, end):
    vertices, faces = wall_mesh(start, end, base_z=0.0, height=3.0)
    return SceneObject(name, ObjectKind.SURFACE, "concrete", vertices, faces)
