"""Runner.map in-process and on a 2-worker LocalCluster: same results, a killed worker, cancel."""

import time

import numpy as np
import pytest
from study_tasks import always_dies, die_once, environment, needs_a_missing_module, ray_threads, scaled_draw, shared_identity, slow_draw

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.studies import open_runner

#: Seconds a cluster test may wait for the scheduler to settle on a loaded machine.
SETTLE_S = 120


def expected_draws(items, scale, seed):
    """What scaled_draw gives for each item, computed without any runner."""
    children = np.random.SeedSequence(seed).spawn(len(items))
    return [item * scale + np.random.default_rng(child).random() for item, child in zip(items, children)]


def test_in_process_results_are_in_item_order_with_spawned_seeds():
    items = [5, 1, 4, 2]
    with open_runner("none") as runner:
        results = runner.map(scaled_draw, items, shared={"scale": 10.0}, seed=7)
    assert results == expected_draws(items, 10.0, 7)
    assert runner.dashboard_link is None


def test_in_process_progress_reaches_one_and_cancel_stops_before_any_task():
    reports = []
    with open_runner("none") as runner:
        runner.map(scaled_draw, [1, 2, 3, 4], shared={"scale": 1.0}, progress=lambda f, text: reports.append(f))
        token = CancelToken()
        token.cancel()
        with pytest.raises(JobCancelled):
            runner.map(die_once, [0], shared={"flag": "/nonexistent/flag", "victim": 0, "scale": 1.0}, cancel=token)
    assert reports == [0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("scheduler", ["hostname:8786", "", "cluster"])
def test_a_scheduler_that_is_no_address_is_refused(scheduler):
    with pytest.raises(ValueError, match="not local, none or a scheduler address"):
        open_runner(scheduler)


def test_worker_count_out_of_range_is_refused():
    with pytest.raises(ValueError, match="workers must be 1 to"):
        open_runner("none", workers=0)


def test_cluster_gives_bit_identical_results(cluster_runner):
    items = list(range(23))
    results = cluster_runner.map(scaled_draw, items, shared={"scale": 0.5}, seed=11)
    with open_runner("none") as here:
        assert results == here.map(scaled_draw, items, shared={"scale": 0.5}, seed=11)
    assert results == expected_draws(items, 0.5, 11)


def test_shared_data_reaches_each_worker_once(cluster_runner):
    identities = cluster_runner.map(shared_identity, range(20), shared={"payload": np.zeros(1000)})
    by_worker = {}
    for pid, shared_id in identities:
        by_worker.setdefault(pid, set()).add(shared_id)
    # Every task on a worker saw the same object: it was deserialised once there, not per task.
    assert all(len(ids) == 1 for ids in by_worker.values())


def test_a_killed_worker_s_task_reruns_and_the_study_gives_the_same_results(cluster_runner, tmp_path):
    items = list(range(12))
    shared = {"scale": 3.0, "victim": 5, "flag": str(tmp_path / "killed")}
    results = cluster_runner.map(die_once, items, shared=shared, seed=3)
    assert (tmp_path / "killed").exists()  # the worker was killed once
    assert results == expected_draws(items, 3.0, 3)
    _wait_for_workers(cluster_runner, 2)  # the nanny restarts it for the next test


def test_cancel_stops_the_graph(cluster_runner):
    from distributed import default_client

    token = CancelToken()

    def cancel_after_first(fraction, text):
        token.cancel()

    with pytest.raises(JobCancelled):
        cluster_runner.map(slow_draw, range(40), shared={"scale": 1.0, "sleep_s": 0.5}, progress=cancel_after_first,
                           cancel=token)
    client = default_client()
    deadline = time.monotonic() + SETTLE_S
    while any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(client.processing().values())  # nothing still queued or running


def test_connecting_to_a_running_cluster_leaves_it_running(cluster_runner):
    from distributed import default_client

    address = default_client().scheduler.address
    with open_runner(address) as remote:
        assert remote.map(scaled_draw, [1, 2], shared={"scale": 2.0}, seed=5) == expected_draws([1, 2], 2.0, 5)
    assert cluster_runner.map(scaled_draw, [3], shared={"scale": 1.0}) == expected_draws([3], 1.0, 0)


def _wait_for_workers(runner, count):
    deadline = time.monotonic() + SETTLE_S
    while runner.workers < count and time.monotonic() < deadline:
        time.sleep(0.2)


def test_workers_query_rays_on_one_thread_and_this_process_keeps_its_setting(cluster_runner, four_ray_threads):
    assert cluster_runner.map(ray_threads, range(4)) == [1, 1, 1, 1]
    with open_runner("none") as here:
        assert here.map(ray_threads, range(2)) == [4, 4]


def test_local_workers_keep_one_blas_thread_and_glibcs_adaptive_malloc(cluster_runner):
    # Dask's default MALLOC_TRIM_THRESHOLD_ would cost a third more CPU per drop (see runner.open_runner).
    assert cluster_runner.map(environment, range(2)) == [
        {"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}] * 2


def test_a_worker_without_twinloc_is_named_in_the_error(cluster_runner):
    with pytest.raises(ValueError, match="every worker needs the same TwinLoc installation"):
        cluster_runner.map(needs_a_missing_module, [1])


def test_a_task_that_keeps_killing_workers_fails_the_study_with_a_reason():
    import dask

    # No retry after a worker's death, so one death fails the task.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), open_runner("local", workers=1) as runner:
        with pytest.raises(ValueError, match="kept stopping its Dask workers"):
            runner.map(always_dies, [1])
