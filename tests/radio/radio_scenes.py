"""Small scenes built in code for the radio tests, and hand-worked electromagnetic values."""

from __future__ import annotations

import math

from twinloc.geometry.materials import material_presets
from twinloc.geometry.primitives import box_mesh, plane_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject

SPEED_OF_LIGHT = 299_792_458.0
EPSILON_0 = 8.8541878188e-12
"""Vacuum permittivity, F/m (CODATA 2022, scipy.constants)."""


def concrete_eta(frequency_hz: float) -> complex:
    """Concrete's complex permittivity from ITU-R P.2040 Table 3 typed in by hand:
    a = 5.24, b = 0, c = 0.0462, d = 0.7822."""
    f_ghz = frequency_hz / 1e9
    sigma = 0.0462 * f_ghz**0.7822
    return complex(5.24, -sigma / (EPSILON_0 * 2.0 * math.pi * frequency_hz))


def scene_of(*objects: SceneObject) -> Scene:
    presets = material_presets()
    return Scene(name="radio test", objects=objects, materials={o.material: presets[o.material] for o in objects})


def solid_box(name: str, size, center, material: str = "concrete") -> SceneObject:
    return SceneObject(name, ObjectKind.SOLID, material, *box_mesh(size, center))


def surface_wall(name: str, start, end, height: float = 4.0, material: str = "concrete") -> SceneObject:
    return SceneObject(name, ObjectKind.SURFACE, material, *wall_mesh(start, end, 0.0, height))


def surface_plane(name: str, size_xy, center, material: str = "concrete") -> SceneObject:
    return SceneObject(name, ObjectKind.SURFACE, material, *plane_mesh(size_xy, center))
