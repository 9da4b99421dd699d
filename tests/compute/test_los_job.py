"""The LOS map job: cached by its inputs, same map as the direct computation."""

from __future__ import annotations

import numpy as np
import pytest

from twinloc.cancellation import CancelToken
from twinloc.compute.engines import ray_engine_for
from twinloc.compute.jobs import ComputePool, JobCancelled
from twinloc.compute.los_job import los_map_job
from twinloc.compute.workspace import open_source
from twinloc.geometry.grid import FloorGrid
from twinloc.uwb.visibility import compute_los_map


@pytest.fixture(scope="module")
def hall():
    return open_source("uwb_hall").scene


@pytest.fixture(scope="module")
def anchors(hall) -> np.ndarray:
    return np.array([anchor.position for anchor in hall.anchors])


def test_the_job_computes_the_los_map_of_the_scene(hall, anchors) -> None:
    reports = []
    los_map = los_map_job(hall, anchors, 0.5, 1.0).function(lambda f, t: reports.append(f), CancelToken())
    engine = ray_engine_for(hall)
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


def test_engines_are_shared_per_scene(hall) -> None:
    assert ray_engine_for(hall) is ray_engine_for(open_source("uwb_hall").scene)


def test_a_material_edit_keeps_the_ray_engine_and_floor_grid_but_not_results():
    import dataclasses

    from twinloc.compute.engines import ray_engine_for
    from twinloc.compute.grids import floor_grid_for
    from twinloc.geometry.loaders import load_scene

    hall = load_scene("uwb_hall")
    concrete = hall.materials["concrete"]
    edited = hall.with_materials({"concrete": dataclasses.replace(concrete, relative_permittivity=6.0)})
    assert edited.content_hash() != hall.content_hash()  # results that use permittivity are recomputed
    assert ray_engine_for(edited) is ray_engine_for(hall)
    assert floor_grid_for(edited, 0.5, 1.0) is floor_grid_for(hall, 0.5, 1.0)
    moved = dataclasses.replace(hall, objects=hall.objects[:-1])  # one column fewer: new geometry
    assert moved.geometry_hash() != hall.geometry_hash()
    assert ray_engine_for(moved) is not ray_engine_for(hall)
