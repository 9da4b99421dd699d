"""Small scenes built in code for the layout-optimization tests."""

import numpy as np

from twinloc.geometry.materials import Material
from twinloc.geometry.primitives import box_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Region, RegionType, Scene, SceneObject

CONCRETE = Material("concrete", 5.24, 0.2, "#a8a8a0")
WIDTH, DEPTH = 6.0, 4.0


def room(with_column=True, with_ceiling=True, mounting=True):
    """A 6 m x 4 m room: four walls, optionally a 0.6 m column at (3, 2), wall bands at 2 m and a ceiling at 3 m."""
    corners = [(0.0, 0.0), (WIDTH, 0.0), (WIDTH, DEPTH), (0.0, DEPTH)]
    objects = []
    for index, (start, end) in enumerate(zip(corners, corners[1:] + corners[:1])):
        vertices, faces = wall_mesh(start, end, base_z=0.0, height=3.0)
        objects.append(SceneObject(f"wall {index}", ObjectKind.SURFACE, "concrete", vertices, faces))
    if with_column:
        vertices, faces = box_mesh((0.6, 0.6, 3.0), (3.0, 2.0, 1.5))
        objects.append(SceneObject("column", ObjectKind.SOLID, "concrete", vertices, faces))
    regions = [Region("floor", RegionType.EVALUATION, np.array(corners), main_area=True)]
    if mounting:
        for index, (start, end) in enumerate(zip(corners, corners[1:] + corners[:1])):
            regions.append(Region(f"band {index}", RegionType.MOUNTING, np.array([start, end]), z_range_m=(2.0, 2.0), is_polyline=True))
        if with_ceiling:
            regions.append(Region("ceiling", RegionType.MOUNTING, np.array(corners), z_range_m=(3.0, 3.0)))
    return Scene(name="test room", objects=tuple(objects), materials={"concrete": CONCRETE}, regions=tuple(regions), tag_height_m=1.0)
