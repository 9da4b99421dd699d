"""Material calibration against ranges worked out by hand for a one-wall scene."""

import math

import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.geometry.materials import Material
from twinloc.geometry.primitives import box_mesh, wall_mesh
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.model.analysis import RangingModel
from twinloc.uwb.calibration import calibrate_materials, calibrate_materials_from_positions, material_lengths

THICKNESS = 0.12
PRESET = 3.91
TRUE_EPS = 5.0
RANGING = RangingModel()  # LOS bias 2 cm, NLOS bias 10 cm
# Four anchors in the corners of a 4 m square; a brick wall along x = 2 splits it in two.
ANCHORS = np.array([[0.0, 0.0, 2.0], [0.0, 4.0, 2.0], [4.0, 0.0, 2.0], [4.0, 4.0, 2.0]])


def _scene():
    vertices, faces = wall_mesh((2.0, -1.0), (2.0, 5.0), base_z=0.0, height=3.0)
    wall = SceneObject("wall", ObjectKind.SURFACE, "brick", vertices, faces)
    materials = {"brick": Material("brick", PRESET, THICKNESS), "glass": Material("glass", 6.3, 0.01),
                 "metal": Material("metal", 1.0, 0.002, opaque=True)}
    return Scene("one wall", (wall,), materials)


def _points(per_side):
    """(per_side**2, 3) points on a grid that avoids the wall's plane x = 2, at 1 m height."""
    xs = np.linspace(0.3, 3.7, per_side) + 0.01
    grid = np.stack(np.meshgrid(xs, np.linspace(0.3, 3.7, per_side)), axis=-1).reshape(-1, 2)
    return np.column_stack([grid, np.ones(len(grid))])


def _hand_ranges(points, eps, anchor_bias=np.zeros(4)):
    """Distance, plus thickness * (sqrt(eps) - 1) where the link crosses x = 2, plus the model's biases."""
    distance = np.linalg.norm(points[:, None, :] - ANCHORS[None], axis=-1)
    crosses = np.sign(points[:, None, 0] - 2.0) != np.sign(ANCHORS[None, :, 0] - 2.0)
    excess = crosses * THICKNESS * (math.sqrt(eps) - 1.0)
    return distance + excess + np.where(crosses, RANGING.nlos_mean_m, RANGING.los_mean_m) + anchor_bias[None]


def test_recovers_permittivity_from_noise_free_ranges():
    points = _points(5)
    result = calibrate_materials(_scene(), ANCHORS, points, _hand_ranges(points, TRUE_EPS), materials=["brick"])
    brick = result.materials["brick"]
    assert brick.identifiable and brick.preset == PRESET
    assert brick.fitted == pytest.approx(TRUE_EPS, rel=1e-8)
    assert brick.ci95[1] - brick.ci95[0] < 1e-6  # no noise: the interval shrinks to the solver tolerance
    assert result.residual_rms_after_m < 1e-9
    # Before: the preset underestimates every crossing link by thickness * (sqrt(5) - sqrt(3.91)).
    gap = THICKNESS * (math.sqrt(TRUE_EPS) - math.sqrt(PRESET))
    crossing = np.count_nonzero(np.isclose(np.abs(result.residuals_before), gap))
    assert crossing == brick.links == 50  # half of each point's four links cross the wall
    assert result.residual_rms_before_m == pytest.approx(gap * math.sqrt(0.5))


def test_noisy_ranges_stay_within_the_stated_interval():
    points = _points(8)
    rng = np.random.default_rng(7)
    measured = _hand_ranges(points, TRUE_EPS) + rng.normal(0.0, 0.02, (len(points), len(ANCHORS)))
    brick = calibrate_materials(_scene(), ANCHORS, points, measured, materials=["brick"]).materials["brick"]
    low, high = brick.ci95
    assert low < TRUE_EPS < high
    # 128 crossing links, 2 cm noise: sqrt(eps) to about 2 mm / 0.12 m, eps to about +-0.2.
    assert 0.05 < high - low < 0.6


def test_anchor_biases_are_fitted_with_the_permittivity():
    points = _points(6)
    bias = np.array([0.05, -0.03, 0.0, 0.12])
    result = calibrate_materials(_scene(), ANCHORS, points, _hand_ranges(points, TRUE_EPS, bias), anchor_bias=True)
    np.testing.assert_allclose(result.anchor_bias_m, bias, atol=1e-7)
    assert result.materials["brick"].fitted == pytest.approx(TRUE_EPS, rel=1e-6)


def test_a_material_no_link_crosses_is_unidentifiable_and_kept():
    points = _points(4)
    result = calibrate_materials(_scene(), ANCHORS, points, _hand_ranges(points, TRUE_EPS), materials=["brick", "glass"])
    glass = result.materials["glass"]
    assert not glass.identifiable and glass.links == 0 and glass.fitted == 6.3
    assert math.isnan(glass.ci95[0]) and "no measured link crosses glass" in glass.reason
    calibrated = result.calibrated_scene(_scene())
    assert calibrated.materials["glass"].relative_permittivity == 6.3
    assert calibrated.materials["brick"].relative_permittivity == pytest.approx(TRUE_EPS, rel=1e-8)


def test_unmeasured_links_are_left_out():
    points = _points(5)
    measured = _hand_ranges(points, TRUE_EPS)
    measured[::2, 0] = np.nan
    result = calibrate_materials(_scene(), ANCHORS, points, measured, materials=["brick"])
    assert result.links == measured.size - 13
    assert np.isnan(result.residuals_after[::2, 0]).all()
    assert result.materials["brick"].fitted == pytest.approx(TRUE_EPS, rel=1e-8)


@pytest.mark.parametrize(("materials", "message"), [(["stone"], "no material 'stone'"), (["metal"], "opaque")])
def test_refuses_unknown_and_opaque_materials(materials, message):
    points = _points(3)
    with pytest.raises(ValueError, match=message):
        calibrate_materials(_scene(), ANCHORS, points, _hand_ranges(points, TRUE_EPS), materials=materials)


def test_refuses_ranges_of_the_wrong_shape():
    with pytest.raises(ValueError, match="expected"):
        calibrate_materials(_scene(), ANCHORS, _points(3), np.zeros((9, 3)))


def test_the_nlos_bias_is_fitted_apart_from_the_permittivity():
    # Two walls of different thickness give crossing links of two lengths, so a constant NLOS
    # bias and a per-metre excess can be told apart.
    scene = _scene()
    vertices, faces = wall_mesh((-1.0, 2.0), (5.0, 2.0), base_z=0.0, height=3.0)
    thick = SceneObject("thick wall", ObjectKind.SURFACE, "glass", vertices, faces)
    scene = Scene("two walls", (*scene.objects, thick), {**scene.materials, "glass": Material("glass", 6.3, 0.4)})
    points = _points(6)
    points[:, 1] += 0.013  # off the second wall's plane y = 2
    distance = np.linalg.norm(points[:, None, :] - ANCHORS[None], axis=-1)
    brick = np.sign(points[:, None, 0] - 2.0) != np.sign(ANCHORS[None, :, 0] - 2.0)
    glass = np.sign(points[:, None, 1] - 2.0) != np.sign(ANCHORS[None, :, 1] - 2.0)
    nlos_bias = 0.25
    measured = (distance + brick * THICKNESS * (math.sqrt(TRUE_EPS) - 1.0) + glass * 0.4 * (math.sqrt(4.0) - 1.0)
                + np.where(brick | glass, nlos_bias, RANGING.los_mean_m))
    result = calibrate_materials(scene, ANCHORS, points, measured, nlos_bias=True)
    assert result.nlos_bias_m == pytest.approx(nlos_bias, abs=1e-7)
    assert result.materials["brick"].fitted == pytest.approx(TRUE_EPS, rel=1e-6)
    assert result.materials["glass"].fitted == pytest.approx(4.0, rel=1e-6)
    assert result.calibrated_ranging(RANGING).nlos_mean_m == pytest.approx(nlos_bias, abs=1e-7)


def _linearised_fixes(ranges, heights):
    """Seed 004 Eqs. 1-11 by hand: subtract the first anchor's circle from the others, solve for x, y."""
    fixes = []
    for r, z in zip(ranges, heights):
        horizontal = r**2 - (ANCHORS[:, 2] - z) ** 2  # squared ranges in the tag's plane
        a = 2.0 * (ANCHORS[1:, :2] - ANCHORS[0, :2])
        b = horizontal[0] - horizontal[1:] + (ANCHORS[1:, :2] ** 2).sum(axis=1) - (ANCHORS[0, :2] ** 2).sum()
        fixes.append(np.linalg.lstsq(a, b, rcond=None)[0])
    return np.array(fixes)


def test_recovers_permittivity_from_measured_positions():
    points = _points(5)
    measured_xy = _linearised_fixes(_hand_ranges(points, TRUE_EPS), points[:, 2])
    result = calibrate_materials_from_positions(_scene(), ANCHORS, points, measured_xy, materials=["brick", "glass"])
    assert result.measured == "positions" and result.residuals_after.shape == (25, 2)
    assert result.materials["brick"].fitted == pytest.approx(TRUE_EPS, rel=1e-6)
    assert not result.materials["glass"].identifiable
    assert result.residual_rms_after_m < 1e-7 < result.residual_rms_before_m


def test_a_cancelled_calibration_stops():
    points = _points(3)
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        calibrate_materials(_scene(), ANCHORS, points, _hand_ranges(points, TRUE_EPS), cancel=token)


def test_more_links_than_a_calibration_traces_are_refused_before_tracing(monkeypatch):
    monkeypatch.setattr("twinloc.uwb.calibration.MAX_CALIBRATION_LINKS", 35)
    points = _points(3)  # 9 points x 4 anchors = 36 links
    with pytest.raises(ValueError, match="9 measuring points x 4 anchors make 36 links, more than the 35"):
        calibrate_materials(_scene(), ANCHORS, points, _hand_ranges(points, TRUE_EPS))


def test_nothing_measured_is_refused_in_words():
    points = _points(3)
    with pytest.raises(ValueError, match="no measured ranges to calibrate from"):
        calibrate_materials(_scene(), ANCHORS, points, np.full((9, 4), np.nan))


def test_material_lengths_are_chords_of_solids_and_thicknesses_of_surfaces():
    # A link along y = 2 at 1 m height: through the brick wall x = 2 and a 1 m concrete cube at x 3..4.
    vertices, faces = box_mesh((1.0, 1.0, 1.0), (3.5, 2.0, 1.0))
    cube = SceneObject("cube", ObjectKind.SOLID, "concrete", vertices, faces)
    scene = _scene()
    scene = Scene("wall and cube", (*scene.objects, cube), {**scene.materials, "concrete": Material("concrete", 5.24, 0.2)})
    lengths = material_lengths(RayEngine(scene), scene, np.array([[0.0, 2.0, 1.0]]), np.array([[5.0, 2.0, 1.0]]),
                               ["brick", "concrete", "glass"])
    np.testing.assert_allclose(lengths, [[[THICKNESS, 1.0, 0.0]]], atol=1e-9)


def test_a_poorly_determined_permittivity_has_an_interval_that_stays_above_one():
    # A 5 mm pane adds 6 mm at eps 5 (5 mm x (sqrt 5 - 1)): 3 cm of noise hides it almost entirely.
    scene = _scene()
    scene = scene.with_materials({"brick": Material("brick", PRESET, 0.005)})
    points = _points(5)
    distance = np.linalg.norm(points[:, None, :] - ANCHORS[None], axis=-1)
    crosses = np.sign(points[:, None, 0] - 2.0) != np.sign(ANCHORS[None, :, 0] - 2.0)
    measured = (distance + crosses * 0.005 * (math.sqrt(TRUE_EPS) - 1.0) + np.where(crosses, 0.10, 0.02)
                + np.random.default_rng(3).normal(0.0, 0.03, distance.shape))
    low, high = calibrate_materials(scene, ANCHORS, points, measured, materials=["brick"]).materials["brick"].ci95
    assert low >= 1.0 and low < TRUE_EPS < high
