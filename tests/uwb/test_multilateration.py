"""Multilateration against hand-worked geometry."""

import numpy as np
import pytest

from twinloc.uwb.multilateration import gdop, locate

HALL_ANCHORS = np.array([[3.8, 0.0, 2.0], [9.4, 7.2, 2.0], [14.4, 0.1, 2.0]])


def _exact_ranges(anchors, points):
    return np.linalg.norm(points[:, None, :] - anchors[None, :, :], axis=2)


def test_exact_ranges_give_exact_positions_in_2d_with_known_height():
    rng = np.random.default_rng(4)
    points = np.column_stack([rng.uniform(0, 18.3, 500), rng.uniform(0, 8.4, 500), np.full(500, 1.0)])
    fix = locate(HALL_ANCHORS, _exact_ranges(HALL_ANCHORS, points), dimensions=2, tag_height_m=1.0)
    assert not fix.degenerate.any()
    np.testing.assert_allclose(fix.position, points[:, :2], atol=1e-9)


def test_exact_ranges_give_exact_positions_in_3d():
    anchors = np.array([[0.0, 0.0, 3.0], [10.0, 0.0, 2.5], [10.0, 8.0, 3.0], [0.0, 8.0, 0.5], [5.0, 4.0, 3.5]])
    rng = np.random.default_rng(5)
    points = rng.uniform([0, 0, 0], [10, 8, 3], size=(300, 3))
    fix = locate(anchors, _exact_ranges(anchors, points), dimensions=3)
    assert not fix.degenerate.any()
    np.testing.assert_allclose(fix.position, points, atol=1e-8)


def test_hand_worked_2d_fix():
    # Anchors at (0,0), (4,0), (0,4), all at the tag's height. Ranges 2*sqrt(2) from each:
    # the circles meet only at (2, 2).
    anchors = np.array([[0.0, 0.0, 1.0], [4.0, 0.0, 1.0], [0.0, 4.0, 1.0]])
    ranges = np.full((1, 3), 2.0 * np.sqrt(2.0))
    fix = locate(anchors, ranges, dimensions=2, tag_height_m=1.0)
    np.testing.assert_allclose(fix.position, [[2.0, 2.0]], atol=1e-12)


def test_constant_bias_on_symmetric_anchors_shifts_along_the_axis_of_symmetry():
    # Four anchors on a square around the tag: the same excess range on every link keeps the
    # linearised fix at the centre (all range differences cancel).
    anchors = np.array([[0.0, 0.0, 1.0], [4.0, 0.0, 1.0], [4.0, 4.0, 1.0], [0.0, 4.0, 1.0]])
    ranges = np.full((1, 4), np.hypot(2.0, 2.0) + 0.3)
    fix = locate(anchors, ranges, dimensions=2, tag_height_m=1.0)
    np.testing.assert_allclose(fix.position, [[2.0, 2.0]], atol=1e-12)


def test_collinear_anchors_are_degenerate_not_nan():
    anchors = np.array([[0.0, 0.0, 2.0], [5.0, 0.0, 2.0], [10.0, 0.0, 2.0]])
    points = np.array([[3.0, 4.0, 1.0]])
    fix = locate(anchors, _exact_ranges(anchors, points), dimensions=2, tag_height_m=1.0)
    assert fix.degenerate.tolist() == [True]
    assert np.isfinite(fix.position).all()


def test_too_few_usable_anchors_are_degenerate_per_tag():
    points = np.array([[5.0, 4.0, 1.0], [6.0, 3.0, 1.0]])
    usable = np.array([[True, True, True], [True, False, True]])
    fix = locate(HALL_ANCHORS, _exact_ranges(HALL_ANCHORS, points), usable, dimensions=2, tag_height_m=1.0)
    assert fix.degenerate.tolist() == [False, True]
    np.testing.assert_allclose(fix.position[0], [5.0, 4.0], atol=1e-9)
    assert (fix.position[1] == 0.0).all()


def test_three_anchors_are_too_few_in_3d():
    fix = locate(HALL_ANCHORS, np.ones((1, 3)), dimensions=3)
    assert fix.degenerate.all()


def test_gauss_newton_reaches_the_least_squares_optimum_of_inconsistent_ranges():
    anchors = np.array([[0.0, 0.0, 1.0], [4.0, 0.0, 1.0], [4.0, 4.0, 1.0], [0.0, 4.0, 1.0]])
    point = np.array([[1.0, 1.5, 1.0]])
    ranges = _exact_ranges(anchors, point) + np.array([[0.05, -0.02, 0.04, -0.03]])
    refined = locate(anchors, ranges, dimensions=2, tag_height_m=1.0, refine_iterations=10).position[0]
    # At the optimum the gradient of sum (|x - a_i| - r_i)^2 vanishes.
    delta = np.column_stack([refined - anchors[:, :2], np.zeros(4)])
    distance = np.linalg.norm(delta, axis=1)
    gradient = ((distance - ranges[0]) / distance) @ delta[:, :2]
    np.testing.assert_allclose(gradient, 0.0, atol=1e-10)


def test_gauss_newton_keeps_exact_solutions():
    points = np.array([[4.0, 3.0, 1.0], [12.0, 6.0, 1.0]])
    fix = locate(HALL_ANCHORS, _exact_ranges(HALL_ANCHORS, points), dimensions=2, tag_height_m=1.0, refine_iterations=5)
    np.testing.assert_allclose(fix.position, points[:, :2], atol=1e-9)


def test_gdop_of_a_tag_centred_in_a_square_is_one():
    # Unit vectors at 45 degrees: J^T J = diag(2, 2), trace of the inverse = 1.
    anchors = np.array([[0.0, 0.0, 1.0], [4.0, 0.0, 1.0], [4.0, 4.0, 1.0], [0.0, 4.0, 1.0]])
    assert gdop(anchors, np.array([[2.0, 2.0, 1.0]]))[0] == pytest.approx(1.0)


def test_gdop_is_infinite_for_collinear_anchors():
    anchors = np.array([[0.0, 0.0, 1.0], [5.0, 0.0, 1.0], [10.0, 0.0, 1.0]])
    assert np.isinf(gdop(anchors, np.array([[5.0, 0.0, 1.0]]))[0])
