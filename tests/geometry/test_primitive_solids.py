"""Solids from a descriptor's primitives are checked without trimesh, with trimesh's result."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from twinloc.geometry.errors import SceneError
from twinloc.geometry.meshes import closed_primitive, closed_solid
from twinloc.geometry.primitives import box_mesh, cylinder_mesh, plane_mesh
from twinloc.geometry.transforms import euler_xyz_matrix


def _volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    corners = vertices[faces]
    return float(np.einsum("ij,ij->i", corners[:, 0], np.cross(corners[:, 1], corners[:, 2])).sum() / 6.0)


@pytest.mark.parametrize("scale", [(1.0, 1.0, 1.0), (-1.0, 1.0, 1.0), (2.0, -0.5, -3.0), (-1.0, -1.0, -1.0)])
@pytest.mark.parametrize("mesh", [box_mesh((1.0, 2.0, 3.0)), cylinder_mesh(0.5, 2.0, sections=12)], ids=["box", "cylinder"])
def test_a_mirrored_primitive_is_turned_outward_as_trimesh_turns_it(mesh, scale):
    vertices, faces = mesh
    moved = (vertices * np.asarray(scale)) @ euler_xyz_matrix((10.0, -35.0, 70.0)).T + (4.0, -2.0, 1.0)
    fast, checked = closed_primitive(moved, faces, "x"), closed_solid(moved, faces, "x")
    np.testing.assert_array_equal(fast[0], checked[0])
    np.testing.assert_array_equal(fast[1], checked[1])
    # Outward: the volume is positive and is the primitive's volume times |scale x * y * z|.
    expected = abs(np.prod(scale)) * _volume(*mesh)
    assert _volume(*fast) == pytest.approx(expected) and expected > 0


def test_an_open_primitive_is_no_solid():
    with pytest.raises(SceneError, match="a solid must be a closed mesh"):
        closed_primitive(*plane_mesh((2.0, 1.0)), "floor")


def test_loading_a_descriptor_of_primitives_does_not_import_trimesh():
    code = ("import sys; from twinloc.geometry.loaders import load_scene; scene = load_scene('uwb_hall'); "
            "print(len(scene.objects), 'trimesh' in sys.modules, 'scipy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    count, trimesh_loaded, scipy_loaded = result.stdout.split()
    assert int(count) > 0 and trimesh_loaded == "False" and scipy_loaded == "False"
