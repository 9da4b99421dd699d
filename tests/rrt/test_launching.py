"""Launching retraces exact paths; point sets hold the points they claim."""

import numpy as np
import pytest

from rrt_scenes import box_room
from twinloc.geometry.ray_engine import RayEngine
from twinloc.rrt.launching import launch_rays, sample_directions
from twinloc.rrt.point_sets import PlaneCrossings, RayPoints


@pytest.mark.parametrize("ue", [(2.0, 4.2, 0.5), (5.5, 13.0, 0.4), (3.5, 9.0, 1.7)])
def test_a_ray_launched_along_an_exact_aoa_reaches_the_ue_within_a_millimetre(hall, ue):
    _, finder, stations = hall
    ue = np.array(ue)
    depths = []
    for station in stations:
        path = finder.strongest(ue, station, 3)
        bundle = launch_rays(finder.engine, station[None], path.arrival_direction[None], bounces=path.depth)
        depths.append(path.depth)
        # The ray's bounces are the path's reflection points in reverse order.
        np.testing.assert_allclose(bundle.origins[0, 1:], path.points[-2:0:-1], atol=1e-6)
        reached = bundle.points_at(np.array([0]), np.array([path.length_m]))[0]
        assert np.linalg.norm(reached - ue) < 1e-3
    assert max(depths) >= 1  # the UEs were chosen with blocked lines of sight


def test_rays_in_a_box_bounce_specularly_and_their_lengths_add_up():
    engine = RayEngine(box_room())
    start = np.array([[3.0, 2.0, 1.5]])
    bundle = launch_rays(engine, start, np.array([[1.0, 0.0, 0.0]]), bounces=2)
    np.testing.assert_allclose(bundle.lengths[0], [3.0, 6.0, 6.0], atol=1e-9)
    np.testing.assert_allclose(bundle.directions[0, 1], [-1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(bundle.start_lengths[0], [0.0, 3.0, 9.0], atol=1e-9)
    assert bundle.segment_count == 3


def test_sampled_directions_follow_the_aoa_error_statistics():
    rng = np.random.default_rng(3)
    directions = sample_directions((30.0, -10.0), 2.0, 20000, rng)
    azimuth = np.degrees(np.arctan2(directions[:, 1], directions[:, 0]))
    elevation = np.degrees(np.arcsin(directions[:, 2]))
    assert azimuth.mean() == pytest.approx(30.0, abs=0.05) and azimuth.std() == pytest.approx(2.0, rel=0.03)
    assert elevation.mean() == pytest.approx(-10.0, abs=0.05) and elevation.std() == pytest.approx(2.0, rel=0.03)
    isotropic = sample_directions(None, 0.0, 20000, rng)
    assert np.abs(isotropic.mean(axis=0)).max() < 0.03


def test_ray_points_sampling_and_selection_agree_with_the_materialised_points():
    rng = np.random.default_rng(5)
    engine = RayEngine(box_room())
    bundle = launch_rays(engine, np.tile([3.0, 2.0, 1.5], (50, 1)), sample_directions(None, 0.0, 50, rng), bounces=2)
    points = RayPoints(bundle, spacing_m=0.1)
    every, lengths = points.materialise()
    assert len(every) == points.count
    np.testing.assert_allclose(np.sort(lengths) % 0.1, 0.05, atol=1e-9)
    selected, selected_lengths = points.select_by_length(np.full(200, 2.53), rng)
    assert np.all(selected_lengths == pytest.approx(2.55))
    # Every selected point is one of the materialised points of that length.
    pool = every[np.isclose(lengths, 2.55)]
    assert np.min(np.linalg.norm(selected[:, None] - pool[None], axis=2), axis=1).max() < 1e-9
    assert points.bin_counts(np.array([2.53, -1.0, 1e6])).tolist() == [len(pool), 0, 0]


def test_plane_crossings_are_at_the_height_with_their_path_lengths():
    engine = RayEngine(box_room())
    start = np.array([3.0, 2.0, 2.5])
    direction = np.array([[1.0, 0.0, -1.0]])
    crossings = PlaneCrossings(launch_rays(engine, start[None], direction, bounces=3), height_m=1.0)
    # Down at 45 degrees: crosses z = 1 after 1.5 m of drop, again after bouncing off the floor.
    assert crossings.count >= 2
    np.testing.assert_allclose(crossings.points[0], [4.5, 2.0], atol=1e-9)
    assert crossings.lengths[0] == pytest.approx(1.5 * np.sqrt(2.0))
    assert crossings.lengths[1] == pytest.approx(3.5 * np.sqrt(2.0))
