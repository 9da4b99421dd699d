"""The NLOS ranging model against hand-worked crossings."""

import math

import numpy as np
import pytest

from twinloc.geometry.materials import Material
from twinloc.geometry.primitives import box_mesh, wall_mesh
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.uwb.multilateration import locate
from twinloc.uwb.ranging import RangingModel, mean_ranges, trace_links

EPS = 5.24  # concrete
THICKNESS = 0.2
# Diamond of anchors around the tag at (2, 2), all at the tag's height: every true range is 2 m.
DIAMOND = np.array([[0.0, 2.0, 1.0], [4.0, 2.0, 1.0], [2.0, 0.0, 1.0], [2.0, 4.0, 1.0]])
CENTRE = np.array([[2.0, 2.0, 1.0]])


def _scene(*objects, materials=None):
    materials = materials or {
        "concrete": Material("concrete", EPS, THICKNESS, "#a8a8a0"),
        "metal": Material("metal", 1.0, 0.002, "#7c8894", opaque=True),
    }
    return Scene(name="test", objects=tuple(objects), materials=materials)


def _wall(name, start, end, material="concrete"):
    vertices, faces = wall_mesh(start, end, base_z=0.0, height=3.0)
    return SceneObject(name, ObjectKind.SURFACE, material, vertices, faces)


def _box(name, size, center, material="concrete"):
    vertices, faces = box_mesh(size, center)
    return SceneObject(name, ObjectKind.SOLID, material, vertices, faces)


def test_no_obstacles_means_no_excess_and_line_of_sight():
    scene = _scene(_box("far away", (1, 1, 1), (50, 50, 0.5)))
    links = trace_links(RayEngine(scene), scene, DIAMOND, CENTRE)
    np.testing.assert_allclose(links.true_range_m, 2.0)
    assert (links.excess_m == 0).all() and links.los.all() and not links.blocked.any()


def test_thin_wall_adds_thickness_times_sqrt_eps_minus_one():
    # A wall at x = 1 crossing only the link from the anchor at (0, 2).
    scene = _scene(_wall("wall", (1.0, 1.5), (1.0, 2.5)))
    links = trace_links(RayEngine(scene), scene, DIAMOND, CENTRE)
    expected = THICKNESS * (math.sqrt(EPS) - 1.0)
    np.testing.assert_allclose(links.excess_m, [[expected, 0.0, 0.0, 0.0]], atol=1e-9)
    assert links.los.tolist() == [[False, True, True, True]]


def test_incidence_correction_divides_thickness_by_cosine():
    # The link from (0, 2, 1) to (2, 0, 1) crosses the wall x = 1 at 45 degrees.
    scene = _scene(_wall("wall", (1.0, -5.0), (1.0, 5.0)))
    anchors = np.array([[0.0, 2.0, 1.0]])
    tag = np.array([[2.0, 0.0, 1.0]])
    plain = trace_links(RayEngine(scene), scene, anchors, tag).excess_m[0, 0]
    corrected = trace_links(RayEngine(scene), scene, anchors, tag, incidence_correction=True).excess_m[0, 0]
    assert plain == pytest.approx(THICKNESS * (math.sqrt(EPS) - 1.0), abs=1e-9)
    assert corrected == pytest.approx(THICKNESS * (math.sqrt(EPS) - 1.0) * math.sqrt(2.0), abs=1e-6)


def test_slab_shifts_the_symmetric_fix_by_the_hand_worked_amount():
    # Excess delta on the link from (0, 2) only. Linearised LS with reference anchor (0, 2):
    # H = [[8, 0], [4, -4], [4, 4]], b = [r0^2 + 12, r0^2 - 4, r0^2 + 12] gives
    # x = (r0^2 + 8) / 6, y = 2, so the fix moves along +x by ((2 + delta)^2 - 4) / 6.
    scene = _scene(_wall("wall", (1.0, 1.5), (1.0, 2.5)))
    links = trace_links(RayEngine(scene), scene, DIAMOND, CENTRE)
    ranges = mean_ranges(links, RangingModel(), physics_only=True)
    fix = locate(DIAMOND, ranges, links.usable, dimensions=2, tag_height_m=1.0)
    delta = THICKNESS * (math.sqrt(EPS) - 1.0)
    np.testing.assert_allclose(fix.position[0], [2.0 + ((2.0 + delta) ** 2 - 4.0) / 6.0, 2.0], atol=1e-9)


def test_solid_chord_counts_its_length_inside():
    # A 0.5 m thick block centred on the link from (0, 2) at x = 1: chord 0.5 m.
    scene = _scene(_box("block", (0.5, 1.0, 3.0), (1.0, 2.0, 1.5)))
    links = trace_links(RayEngine(scene), scene, DIAMOND, CENTRE)
    assert links.excess_m[0, 0] == pytest.approx(0.5 * (math.sqrt(EPS) - 1.0), abs=1e-5)
    assert links.excess_m[0, 1:].tolist() == [0.0, 0.0, 0.0]


def test_metal_blocks_the_link():
    scene = _scene(_box("machine", (0.5, 1.0, 3.0), (1.0, 2.0, 1.5), material="metal"))
    links = trace_links(RayEngine(scene), scene, DIAMOND, CENTRE)
    assert links.blocked.tolist() == [[True, False, False, False]]
    ranges = mean_ranges(links, RangingModel())
    assert np.isnan(ranges[0, 0]) and np.isfinite(ranges[0, 1:]).all()


def test_mean_bias_differs_for_los_and_nlos_links():
    scene = _scene(_wall("wall", (1.0, 1.5), (1.0, 2.5)))
    links = trace_links(RayEngine(scene), scene, DIAMOND, CENTRE)
    model = RangingModel(los_mean_m=0.01, nlos_mean_m=0.3)
    delta = THICKNESS * (math.sqrt(EPS) - 1.0)
    np.testing.assert_allclose(mean_ranges(links, model), [[2.0 + delta + 0.3, 2.01, 2.01, 2.01]], atol=1e-9)


def test_hall_column_chord_matches_the_analytic_box_intersection():
    from twinloc.geometry.loaders import load_scene

    scene = load_scene("uwb_hall")
    column = next(obj for obj in scene.objects if obj.kind is ObjectKind.SOLID)
    (xmin, ymin, _), (xmax, ymax, _) = column.bounds
    centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    anchor = np.array([centre[0] - 1.3, centre[1] - 2.1, 2.0])
    tag = np.array([centre[0] + 0.9, centre[1] + 1.7, 1.0])
    # Slab method in the floor plane (the column spans the whole height).
    direction = tag - anchor
    t_x = sorted(((xmin - anchor[0]) / direction[0], (xmax - anchor[0]) / direction[0]))
    t_y = sorted(((ymin - anchor[1]) / direction[1], (ymax - anchor[1]) / direction[1]))
    t_in, t_out = max(t_x[0], t_y[0]), min(t_x[1], t_y[1])
    chord = (t_out - t_in) * np.linalg.norm(direction)
    assert chord > 0.7
    links = trace_links(RayEngine(scene), scene, anchor[None], tag[None])
    eps = scene.material_of(column).relative_permittivity
    assert links.excess_m[0, 0] == pytest.approx(chord * (math.sqrt(eps) - 1.0), abs=1e-4)
