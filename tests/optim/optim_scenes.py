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


METAL = Material("metal", 1.0, 0.002, "#8090a0", opaque=True)


def two_rooms(partition=True):
    """Two 4 m x 3 m rooms side by side (x 0-4 and 4-8 m), concrete outer walls 3 m high, each
    with its own ceiling mounting area at 2.5 m; ``partition``: a metal wall at x = 4 m that
    blocks every link between the rooms (without it the floor is one open 8 m x 3 m room)."""
    corners = [(0.0, 0.0), (8.0, 0.0), (8.0, 3.0), (0.0, 3.0)]
    walls = list(zip(corners, corners[1:] + corners[:1]))
    objects = [SceneObject(f"wall {index}", ObjectKind.SURFACE, "concrete", *wall_mesh(start, end, base_z=0.0, height=3.0))
               for index, (start, end) in enumerate(walls)]
    if partition:
        objects.append(SceneObject("partition", ObjectKind.SURFACE, "metal", *wall_mesh((4.0, 0.0), (4.0, 3.0), base_z=0.0, height=3.0)))
    regions = [Region("floor", RegionType.EVALUATION, np.array(corners), main_area=True)]
    for name, x0 in (("west ceiling", 0.2), ("east ceiling", 4.2)):
        outline = np.array([(x0, 0.2), (x0 + 3.6, 0.2), (x0 + 3.6, 2.8), (x0, 2.8)])
        regions.append(Region(name, RegionType.MOUNTING, outline, z_range_m=(2.5, 2.5)))
    return Scene(name="two rooms", objects=tuple(objects), materials={"concrete": CONCRETE, "metal": METAL},
                 regions=tuple(regions), tag_height_m=1.0)
