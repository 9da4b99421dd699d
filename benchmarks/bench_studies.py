"""A 500-drop reverse-ray-tracing evaluation in this process and on a 2-worker LocalCluster.

The industrial hall, its 4 base stations, 2,000 rays x 3 bounces, AoA 1 deg with PT 50 cm,
seed 0 (the ``rrt`` benchmark's headline setting). The same study runs first in-process
(``--scheduler none``, ray queries on this machine's threads; then again on one ray thread)
and then on a LocalCluster of
two worker processes (one ray thread each, as ``--scheduler local`` runs them); the
cluster's start-up is timed apart from the study. Target: the cluster at least 1.7x faster, with
identical percentiles (the results are compared bit for bit).

Run: ``python benchmarks/run.py studies`` (writes benchmarks/results/studies.json).
"""

from __future__ import annotations

import os
import time

import numpy as np
from distributed import default_client

from twinloc.geometry.cache import prepare_study_worker
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.ray_threads import default_threads, set_default_threads
from twinloc.rrt.evaluation import EvaluationSetting, drop_ues, evaluate_study
from twinloc.rrt.locate import LocateSettings
from twinloc.rrt.measurement import NoiseModel
from twinloc.studies import open_runner

DROPS = 500
WORKERS = 2
SEED = 0
SETTINGS = (EvaluationSetting(NoiseModel(1.0, pt_sigma_m=0.5)),)
TARGET_SPEEDUP = 1.7


def run() -> dict:
    scene = load_scene("industrial_hall")
    stations = np.array([b.position for b in scene.base_stations])
    ues = drop_ues(RayEngine(scene), scene.bounds, DROPS, np.random.default_rng(SEED))

    def timed_study(runner):
        started = time.perf_counter()
        evaluation = evaluate_study(runner, scene, stations, ues, SETTINGS, LocateSettings(), SEED)
        return evaluation, time.perf_counter() - started

    with open_runner("none") as here:
        cpu_before = time.process_time()
        in_process, in_process_s = timed_study(here)
        in_process_cpu_s = time.process_time() - cpu_before
        # The same study on one ray thread: what a single core does, and what the cluster's
        # workers each run (their ray queries are on one thread).
        threads = default_threads()
        set_default_threads(1)
        try:
            one_thread, one_thread_s = timed_study(here)
        finally:
            set_default_threads(threads)
    started = time.perf_counter()
    with open_runner("local", workers=WORKERS, worker_setup=prepare_study_worker) as cluster:
        start_up_s = time.perf_counter() - started
        client = default_client()
        cpu_before = sum(client.run(_cpu_seconds).values())
        on_cluster, cluster_s = timed_study(cluster)
        cluster_cpu_s = sum(client.run(_cpu_seconds).values()) - cpu_before
    identical = all(
        np.array_equal(a.errors_m, b.errors_m, equal_nan=True)
        and np.array_equal(a.baseline_errors_m, b.baseline_errors_m, equal_nan=True)
        for other in (on_cluster, one_thread) for a, b in zip(in_process.results, other.results)
    )
    summary = in_process.summaries()[0]
    return {
        "drops": DROPS,
        "workers": WORKERS,
        "in_process_s": round(in_process_s, 2),
        "cluster_s": round(cluster_s, 2),
        "cluster_start_up_s": round(start_up_s, 2),
        "speedup": round(in_process_s / cluster_s, 2),
        "one_thread_s": round(one_thread_s, 2),
        "speedup_over_one_thread": round(one_thread_s / cluster_s, 2),
        # CPU seconds the study used, and the cores it had on average (CPU / wall): on a
        # machine busy with other work, the cores a run gets bound the speed-up.
        "in_process_cpu_s": round(in_process_cpu_s, 1),
        "cluster_cpu_s": round(cluster_cpu_s, 1),
        "in_process_cores_used": round(in_process_cpu_s / in_process_s, 2),
        "cluster_cores_used": round(cluster_cpu_s / cluster_s, 2),
        "target_speedup": TARGET_SPEEDUP,
        "identical_results": identical,
        "percentiles_m": {key: summary[key] for key in ("p50_m", "p67_m", "p80_m", "p90_m")},
        "cluster_percentiles_m": {key: on_cluster.summaries()[0][key] for key in ("p50_m", "p67_m", "p80_m", "p90_m")},
    }


def _cpu_seconds() -> float:
    """User and system CPU seconds of the process it runs in (a worker's, through client.run)."""
    times = os.times()
    return times.user + times.system
