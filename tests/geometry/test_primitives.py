import numpy as np
import pytest
import trimesh

from twinloc.geometry.primitives import box_mesh, cylinder_mesh, plane_mesh, wall_mesh


def _normals(vertices, faces):
    corners = vertices[faces]
    return np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])


def test_box_is_closed_outward_and_sized():
    vertices, faces = box_mesh((1.0, 2.0, 3.0), (10.0, 20.0, 30.0))
    assert vertices.dtype == np.float64 and faces.dtype == np.int64
    assert faces.shape == (12, 3)
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    assert mesh.is_watertight
    assert mesh.volume == pytest.approx(6.0)  # positive volume: outward winding
    np.testing.assert_allclose(vertices.min(axis=0), [9.5, 19.0, 28.5])
    np.testing.assert_allclose(vertices.max(axis=0), [10.5, 21.0, 31.5])
    # Every face normal points away from the centre.
    centroids = vertices[faces].mean(axis=1)
    assert np.all(np.einsum("ij,ij->i", _normals(vertices, faces), centroids - [10.0, 20.0, 30.0]) > 0)


def test_cylinder_volume_approaches_pi_r2_h():
    vertices, faces = cylinder_mesh(0.5, 2.0, (1.0, 1.0, 1.0), sections=64)
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    assert mesh.is_watertight
    # A regular 64-gon of circumradius r has area (n/2) r^2 sin(2 pi / n).
    assert mesh.volume == pytest.approx(32 * 0.25 * np.sin(2 * np.pi / 64) * 2.0)
    np.testing.assert_allclose(vertices[:, 2].min(), 0.0)
    np.testing.assert_allclose(vertices[:, 2].max(), 2.0)


def test_wall_is_two_triangles_normal_to_the_left():
    vertices, faces = wall_mesh((0.0, 0.0), (3.0, 4.0), 0.5, 2.0)
    assert faces.shape == (2, 3)
    normals = _normals(vertices, faces)
    unit = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    np.testing.assert_allclose(unit, [[-0.8, 0.6, 0.0]] * 2, atol=1e-12)
    assert np.linalg.norm(normals, axis=1).sum() / 2 == pytest.approx(5.0 * 2.0)  # area of both triangles
    np.testing.assert_allclose(vertices[:, 2].min(), 0.5)
    np.testing.assert_allclose(vertices[:, 2].max(), 2.5)


def test_plane_is_horizontal_with_upward_normal():
    vertices, faces = plane_mesh((4.0, 2.0), (1.0, 1.0, 3.0))
    np.testing.assert_allclose(vertices[:, 2], 3.0)
    normals = _normals(vertices, faces)
    assert np.all(normals[:, 2] > 0) and np.allclose(normals[:, :2], 0.0)
    assert np.linalg.norm(normals, axis=1).sum() / 2 == pytest.approx(8.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: box_mesh((0.0, 1.0, 1.0)),
        lambda: box_mesh((1.0, float("nan"), 1.0)),
        lambda: cylinder_mesh(0.0, 1.0),
        lambda: cylinder_mesh(1.0, 1.0, sections=2),
        lambda: wall_mesh((1.0, 1.0), (1.0, 1.0), 0.0, 2.0),
        lambda: wall_mesh((0.0, 0.0), (1.0, 0.0), 0.0, -1.0),
        lambda: plane_mesh((1.0, 0.0)),
    ],
)
def test_degenerate_primitives_are_rejected(call):
    with pytest.raises(ValueError):
        call()
