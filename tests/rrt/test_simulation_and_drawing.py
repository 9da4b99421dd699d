"""The default UE position, one simulated UE located, and the arrays that draw its result."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from rrt_scenes import block, box_room

from twinloc.cancellation import CancelToken, report_nothing
from twinloc.compute.rrt_jobs import default_ue_job
from twinloc.geometry.ray_engine import RayEngine
from twinloc.rrt.drawing import MAX_DRAWN_RAYS, MAX_DRAWN_SEGMENT_M, MIN_DRAWN_WEIGHT, drawing_for, ellipse, semi_axes
from twinloc.rrt.locate import LocateSettings
from twinloc.rrt.measurement import NoiseModel
from twinloc.rrt.simulation import default_ue_position, locate_simulated_ue


def test_the_default_ue_is_the_free_grid_point_nearest_the_middle():
    # The 6 m x 4 m room's middle (3, 2) is inside a block over x 2.5..3.6, y 1.55..2.6. The candidates
    # are 0.15 m apart in x and 0.1 m in y; the nearest outside the block is (3.0, 1.5), 0.5 m away
    # (the next ones: (2.85, 1.5) at 0.52 m, (2.4, 2.0) at 0.6 m).
    scene = dataclasses.replace(box_room(block("column", (1.1, 1.05, 3.0), (3.05, 2.075, 1.5))), tag_height_m=1.2)
    np.testing.assert_allclose(default_ue_position(scene, RayEngine(scene)), [3.0, 1.5, 1.2], atol=1e-9)


def test_an_empty_room_puts_the_ue_in_its_middle_and_a_filled_one_too():
    empty = box_room()
    np.testing.assert_allclose(default_ue_position(empty, RayEngine(empty)), [3.0, 2.0, 1.0], atol=1e-9)
    filled = box_room(block("fill", (5.98, 3.98, 2.9), (3.0, 2.0, 1.45)))  # every candidate is inside
    np.testing.assert_allclose(default_ue_position(filled, RayEngine(filled)), [3.0, 2.0, 1.0], atol=1e-9)


def test_the_default_ue_job_is_keyed_by_geometry_and_tag_height_only():
    scene = box_room(block("column", (1.1, 1.05, 3.0), (3.05, 2.075, 1.5)))
    job = default_ue_job(scene)
    np.testing.assert_allclose(job.function(report_nothing, CancelToken()), [3.0, 1.5, 1.0], atol=1e-9)
    wetter = scene.with_materials({"concrete": dataclasses.replace(scene.materials["concrete"], relative_permittivity=9.0)})
    assert default_ue_job(wetter).key == job.key
    assert default_ue_job(dataclasses.replace(scene, tag_height_m=1.5)).key != job.key
    assert default_ue_job(box_room()).key != job.key


def test_an_ellipse_is_the_scaled_sigma_contour_of_its_gaussian():
    # sigma 2 m along x, 1 m along y: the 2-sigma ellipse has semi-axes 4 m and 2 m.
    points = ellipse(np.array([1.0, 2.0]), np.diag([4.0, 1.0]), 2.0, 1.5)
    assert points.shape == (73, 3)
    np.testing.assert_allclose(points[0], points[-1])
    np.testing.assert_allclose(((points[:, 0] - 1.0) / 4.0) ** 2 + ((points[:, 1] - 2.0) / 2.0) ** 2, 1.0)
    np.testing.assert_allclose(points[:, 2], 1.5)


def test_semi_axes_are_the_rotated_sigmas():
    angle = np.radians(30.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    axes = semi_axes(rotation @ np.diag([9.0, 1.0]) @ rotation.T)
    lengths = np.linalg.norm(axes, axis=0)
    np.testing.assert_allclose(sorted(lengths), [1.0, 3.0])
    long_axis = axes[:, np.argmax(lengths)] / 3.0
    assert abs(long_axis @ rotation[:, 0]) == pytest.approx(1.0)


@pytest.mark.parametrize("mode", ["2d", "3d"])
def test_a_located_ue_is_drawn_from_its_trace(hall, mode):
    scene, finder, stations = hall
    ue = np.array([4.0, 8.0, 1.2])
    settings = LocateSettings(rays=400, bounces=2, mode=mode)
    result = locate_simulated_ue(finder, ue, stations, NoiseModel(1.0, pt_sigma_m=0.5), settings, seed=3, keep_trace=True)
    drawing = drawing_for(result, stations, mode, np.random.default_rng(0))
    np.testing.assert_array_equal(drawing.estimate, result.estimate.position)
    np.testing.assert_array_equal(drawing.truth, ue)
    assert drawing.caption == f"error {np.linalg.norm(result.estimate.position - ue):.2f} m"
    for segments in drawing.rays.values():
        assert len(segments) <= MAX_DRAWN_RAYS * (settings.bounces + 1)  # a ray is a segment per bounce
        assert np.all(np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1) <= MAX_DRAWN_SEGMENT_M + 1e-9)
    trace = result.trace
    for station, mixture in trace.mixtures.items():
        drawn = int((mixture.weights >= MIN_DRAWN_WEIGHT).sum())
        if mode == "2d":
            assert len(drawing.contours[station]) == 2 * drawn  # 1- and 2-sigma ellipse of each
            assert all(np.allclose(loop[:, 2], ue[2]) for loop in drawing.contours[station])
        else:
            assert len(drawing.ellipsoids[station]) == drawn
    assert set(drawing.clouds) == set(trace.points)
