"""Ray queries split across threads give exactly what one thread gives."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from geometry_scenes import COLUMN_HIGH, COLUMN_LOW, make_scene, solid_box, surface_plane, surface_wall
from twinloc.geometry import ray_threads
from twinloc.geometry.ray_engine import END_TOLERANCE_M, RayEngine, default_threads, set_default_threads
from twinloc.geometry.ray_threads import BLOCK_RAYS, run_blocks, run_tasks

# Three and a half segment blocks (7 first-hit blocks): several threads share every query,
# and the last block is short.
RAYS = 3 * BLOCK_RAYS + BLOCK_RAYS // 2


@pytest.fixture
def mixed_scene():
    """Solids (one standing on the floor, two touching) and thin surfaces in a 10 m room."""
    return make_scene(
        surface_plane("floor", (10.0, 10.0), (5.0, 5.0, 0.0)),
        surface_wall("wall", (0.0, 6.0), (7.0, 6.0)),
        surface_wall("partition", (6.0, 0.0), (6.0, 4.0), height=2.5),
        solid_box("column", (0.7, 0.7, 4.0), (3.66, 2.8, 2.0)),
        solid_box("cabinet", (1.0, 1.0, 2.0), (8.0, 8.0, 1.0)),
        solid_box("crate", (1.0, 1.0, 1.0), (9.0, 8.0, 0.5)),
    )


def random_segments(seed: int):
    rng = np.random.default_rng(seed)
    low, high = np.array([-1.0, -1.0, -0.5]), np.array([11.0, 11.0, 4.5])
    return rng.uniform(low, high, (RAYS, 3)), rng.uniform(low, high, (RAYS, 3))


def assert_fields_equal(expected, actual):
    for name in expected.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(actual, name), getattr(expected, name), err_msg=name)


def test_default_is_one_thread_per_core_until_set():
    fresh = subprocess.run(
        [sys.executable, "-c", "from twinloc.geometry.ray_engine import default_threads; print(default_threads())"],
        capture_output=True, text=True, check=True,
    )
    assert int(fresh.stdout) == os.cpu_count()
    before = default_threads()
    try:
        set_default_threads(1)
        assert default_threads() == 1
    finally:
        set_default_threads(before)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_thread_counts_must_be_positive_integers(bad, column_scene):
    with pytest.raises(ValueError, match="ray threads must be an integer >= 1"):
        set_default_threads(bad)
    with pytest.raises(ValueError, match="ray threads must be an integer >= 1"):
        RayEngine(column_scene, threads=bad)


def test_threaded_queries_equal_one_thread_bit_for_bit(four_ray_threads, mixed_scene):
    starts, ends = random_segments(7)
    threaded, single = RayEngine(mixed_scene), RayEngine(mixed_scene, threads=1)
    limit = np.random.default_rng(8).uniform(0.0, 8.0, RAYS)

    assert_fields_equal(single.first_hit(starts, ends - starts), threaded.first_hit(starts, ends - starts))
    assert_fields_equal(single.first_hit(starts, ends - starts, limit), threaded.first_hit(starts, ends - starts, limit))
    events = single.crossing_events(starts, ends)
    assert events.surface_ray.size > RAYS // 4 and events.solid_ray.size > RAYS // 20  # the walks do cross things
    assert_fields_equal(events, threaded.crossing_events(starts, ends))
    assert_fields_equal(single.segment_crossings(starts, ends), threaded.segment_crossings(starts, ends))
    weights = np.linspace(0.5, 3.0, len(mixed_scene.objects))
    opaque = np.arange(len(mixed_scene.objects)) % 2 == 0
    assert_fields_equal(single.weighted_crossings(starts, ends, weights, weights[::-1], opaque, use_secant=True),
                        threaded.weighted_crossings(starts, ends, weights, weights[::-1], opaque, use_secant=True))
    np.testing.assert_array_equal(threaded.points_inside_solids(starts), single.points_inside_solids(starts))


def test_threaded_chords_match_the_slab_method(four_ray_threads):
    """Across block boundaries each segment keeps its own chord: compared with the box's slab chord."""
    scene = make_scene(solid_box("column", np.subtract(COLUMN_HIGH, COLUMN_LOW), np.add(COLUMN_LOW, COLUMN_HIGH) / 2))
    rng = np.random.default_rng(3)
    starts = rng.uniform((0.0, 0.0, 0.2), (8.0, 6.0, 3.8), (RAYS, 3))
    ends = rng.uniform((0.0, 0.0, 0.2), (8.0, 6.0, 3.8), (RAYS, 3))
    inside = RayEngine(scene).segment_crossings(starts, ends).inside_length_m[:, 0]
    low, high = np.array(COLUMN_LOW), np.array(COLUMN_HIGH)
    direction = ends - starts
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = (low - starts) / direction, (high - starts) / direction
    enter = np.clip(np.max(np.minimum(a, b), axis=1), 0.0, 1.0)
    leave = np.clip(np.min(np.maximum(a, b), axis=1), 0.0, 1.0)
    expected = np.maximum(leave - enter, 0.0) * np.linalg.norm(direction, axis=1)
    assert np.count_nonzero(expected) > 1000
    # A face within END_TOLERANCE_M of an end is not crossed (a device on a face).
    np.testing.assert_allclose(inside, expected, rtol=0.0, atol=END_TOLERANCE_M)


def test_threaded_first_hits_are_the_plane_distances(four_ray_threads):
    """Rays straight down onto a floor at z = 0 from random heights: the distance is the height."""
    scene = make_scene(surface_plane("floor", (10.0, 10.0), (5.0, 5.0, 0.0)))
    rng = np.random.default_rng(4)
    origins = np.column_stack([rng.uniform(0.5, 9.5, (RAYS, 2)), rng.uniform(0.1, 4.0, RAYS)])
    hits = RayEngine(scene).first_hit(origins, np.tile([0.0, 0.0, -2.0], (RAYS, 1)))
    np.testing.assert_allclose(hits.distance, origins[:, 2], rtol=1e-12)
    np.testing.assert_array_equal(hits.normal[:, 2] != 0.0, True)


def test_blocks_cover_the_batch_once_in_order(four_ray_threads):
    seen = []
    lock = threading.Lock()

    def work(start, stop):
        with lock:
            seen.append((start, stop))
        return start

    count = 5 * BLOCK_RAYS + 3
    assert run_blocks(count, work) == [k * BLOCK_RAYS for k in range(6)]
    assert sorted(seen) == [(k * BLOCK_RAYS, min((k + 1) * BLOCK_RAYS, count)) for k in range(6)]
    assert run_blocks(0, work) == []


def test_a_query_asked_from_a_pool_thread_completes(four_ray_threads):
    """Blocks that themselves split a batch (every pool thread busy) still finish: the asker works."""
    def inner(start, stop):
        return sum(run_blocks(3 * BLOCK_RAYS, lambda a, b: b - a))

    assert run_blocks(8 * BLOCK_RAYS, inner) == [3 * BLOCK_RAYS] * 8


def test_an_error_in_a_block_reaches_the_asker(four_ray_threads):
    def work(start, stop):
        if start == 2 * BLOCK_RAYS:
            raise ArithmeticError("block two failed")
        return start

    with pytest.raises(ArithmeticError, match="block two failed"):
        run_blocks(6 * BLOCK_RAYS, work)


def test_zero_directions_are_refused_in_any_block(four_ray_threads, column_scene):
    directions = np.tile([1.0, 0.0, 0.0], (RAYS, 1))
    directions[-1] = 0.0
    with pytest.raises(ValueError, match="directions must be non-zero"):
        RayEngine(column_scene).first_hit(np.zeros((RAYS, 3)), directions)


def test_a_query_completes_while_a_long_job_holds_every_helper(four_ray_threads, mixed_scene):
    """What keeps a live map responsive: the asking thread never waits for a helper."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def held_block():
        started.release()
        release.wait()

    long_job = threading.Thread(target=run_tasks, args=([held_block] * default_threads(),))
    long_job.start()
    try:
        for _ in range(default_threads()):  # the job's asker and every helper are inside its blocks
            assert started.acquire(timeout=60)
        starts, ends = random_segments(9)
        hits = RayEngine(mixed_scene).first_hit(starts, ends - starts)
        assert long_job.is_alive()  # answered while the long job still held them
    finally:
        release.set()
        long_job.join()
    assert_fields_equal(RayEngine(mixed_scene, threads=1).first_hit(starts, ends - starts), hits)


def test_fewer_threads_later_leave_no_surplus_helpers(four_ray_threads):
    assert run_blocks(6 * BLOCK_RAYS, lambda start, stop: stop - start) == [BLOCK_RAYS] * 6
    assert sorted(ray_threads._helpers) == [0, 1, 2]
    set_default_threads(2)
    deadline = time.monotonic() + 120.0  # they leave when next scheduled, however loaded the machine
    while len(ray_threads._helpers) > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(ray_threads._helpers) == [0]
    set_default_threads(4)
    assert run_blocks(6 * BLOCK_RAYS, lambda start, stop: stop - start) == [BLOCK_RAYS] * 6
    assert sorted(ray_threads._helpers) == [0, 1, 2]
