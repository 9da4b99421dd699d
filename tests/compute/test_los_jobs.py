"""The LOS map job: cached by its inputs, same map as the direct computation."""

from __future__ import annotations

import numpy as np
import pytest

from twinloc.cancellation import CancelToken
from twinloc.compute.jobs import ComputePool, JobCancelled
from twinloc.compute.los_jobs import los_map_job
from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.ray_engine import RayEngine
from twinloc.uwb.visibility import compute_los_map
from twinloc.workspace import open_source


@pytest.fixture(scope="module")
def hall():
    return open_source("uwb_hall").scene


@pytest.fixture(scope="module")
def anchors(hall) -> np.ndarray:
    return np.array([anchor.position for anchor in hall.anchors])


def test_the_job_computes_the_los_map_of_the_scene(hall, anchors) -> None:
    reports = []
    los_map = los_map_job(hall, anchors, 0.5, 1.0).function(lambda f, t: reports.append(f), CancelToken())
    engine = RayEngine(hall)
    direct = compute_los_map(engine, FloorGrid.over_regions(hall, 0.5, 1.0, engine=engine), anchors)
    np.testing.assert_array_equal(los_map.visible, direct.visible)
    assert reports[0] == 0.0 and reports[-1] == pytest.approx(1.0) and reports == sorted(reports)


def test_the_key_changes_with_every_input(hall, anchors) -> None:
    key = los_map_job(hall, anchors, 0.5, 1.0).key
    assert key == los_map_job(hall, anchors.copy(), 0.5, 1.0).key
    moved = anchors.copy()
    moved[0, 0] += 0.01
    assert len({key, los_map_job(hall, moved, 0.5, 1.0).key, los_map_job(hall, anchors, 0.25, 1.0).key,
                los_map_job(hall, anchors, 0.5, 1.2).key}) == 4


def test_the_job_holds_a_copy_of_the_positions(hall, anchors) -> None:
    positions = anchors.copy()
    job = los_map_job(hall, positions, 1.0, 1.0)
    positions[:] = 0.0
    los_map = job.function(lambda f, t: None, CancelToken())
    np.testing.assert_array_equal(los_map.anchor_positions, anchors)


def test_a_second_submission_is_a_cache_hit(hall, anchors) -> None:
    with ComputePool(max_workers=1) as pool:
        first = pool.submit(los_map_job(hall, anchors, 0.5, 1.0)).future.result(60)
        second = pool.submit(los_map_job(hall, anchors, 0.5, 1.0))
        assert second.future.done() and second.future.result() is first


def test_a_cancelled_job_raises_job_cancelled(hall, anchors) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        los_map_job(hall, anchors, 0.5, 1.0).function(lambda f, t: None, token)


def test_the_job_takes_its_engine_and_grid_from_the_geometry_cache_it_is_given(hall, anchors) -> None:
    geometry = GeometryCache()
    los_map = los_map_job(hall, anchors, 0.5, 1.0, geometry).function(lambda f, t: None, CancelToken())
    assert los_map.grid is geometry.floor_grid(hall, 0.5, 1.0)
