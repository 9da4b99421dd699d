"""Small scenes built in code for the geometry tests."""

from __future__ import annotations

from twinloc.geometry.materials import material_presets
from twinloc.geometry.primitives import box_mesh, plane_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject

# One 0.7 m x 0.7 m x 4 m column: x 3.31..4.01, y 2.45..3.15, z 0..4.
COLUMN_LOW = (3.31, 2.45, 0.0)
COLUMN_HIGH = (4.01, 3.15, 4.0)


def make_scene(*objects: SceneObject) -> Scene:
    presets = material_presets()
    return Scene(name="test", objects=objects, materials={m: presets[m] for m in {o.material for o in objects}})


def solid_box(name, size, center, material="concrete") -> SceneObject:
    vertices, faces = box_mesh(size, center)
    return SceneObject(name, ObjectKind.SOLID, material, vertices, faces)


def surface_wall(name, start, end, height=4.0, material="concrete") -> SceneObject:
    vertices, faces = wall_mesh(start, end, 0.0, height)
    return SceneObject(name, ObjectKind.SURFACE, material, vertices, faces)


def surface_plane(name, size_xy, center, material="concrete") -> SceneObject:
    vertices, faces = plane_mesh(size_xy, center)
    return SceneObject(name, ObjectKind.SURFACE, material, vertices, faces)
