"""Reverse-ray-tracing jobs: locate one UE, and evaluate accuracy over random drops."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.engines import ray_engine_for
from twinloc.compute.jobs import Job, input_key
from twinloc.geometry.scene import Scene
from twinloc.rrt.evaluation import Evaluation, EvaluationSetting, drop_ues, evaluate
from twinloc.rrt.faces import planar_faces
from twinloc.rrt.locate import LocateSettings, LocateTrace, PositionEstimate, trace_locate
from twinloc.rrt.measurement import Measurements, NoiseModel, measure
from twinloc.rrt.paths import Path, PathFinder


@dataclass(frozen=True)
class LocateResult:
    """One simulated measurement and its estimate.

    truth : (3,) float64, metres.
    paths : each station's strongest path (None: it heard nothing).
    seconds : time of the estimate alone (launching, fits, density search).
    trace : the launched rays, fitted points and mixtures, when the job was asked to keep them.
    """

    truth: np.ndarray
    paths: tuple[Path | None, ...]
    measurements: Measurements
    estimate: PositionEstimate
    seconds: float
    trace: LocateTrace | None = None

    @property
    def error_m(self) -> float:
        return float(np.linalg.norm(self.estimate.position - self.truth))


def path_finder_for(scene: Scene) -> PathFinder:
    """A path finder on the shared ray engine of ``scene``."""
    return PathFinder(ray_engine_for(scene), planar_faces(scene))


def locate_job(
    scene: Scene,
    ue,
    stations,
    noise: NoiseModel,
    settings: LocateSettings = LocateSettings(),
    seed: int = 0,
    keep_trace: bool = False,
) -> Job:
    """A job simulating the measurements of a UE at ``ue`` and locating it.

    Parameters
    ----------
    scene : Scene
    ue : (3,) float, metres
    stations : (B, 3) float, metres
    noise : NoiseModel
    settings : LocateSettings
    seed : int
        Seeds the measurement noise and the launching.
    keep_trace : bool, default: False
        Keep the launched rays, fitted points and mixtures in the result (for drawing them).

    Returns
    -------
    Job
        Its result is a :class:`LocateResult`.
    """
    ue = np.array(ue, dtype=np.float64).reshape(3)
    stations = np.array(stations, dtype=np.float64).reshape(-1, 3)

    def run(progress: ProgressFn, cancel: CancelToken) -> LocateResult:
        progress(0.0, "Finding propagation paths")
        finder = path_finder_for(scene)
        paths = tuple(finder.strongest(ue, station, settings.bounces) for station in stations)
        cancel.raise_if_cancelled()
        rng = np.random.default_rng(seed)
        measurements = measure(paths, noise, rng)
        progress(0.3, "Launching rays and fitting mixtures")
        started = time.perf_counter()
        trace = trace_locate(finder.engine, stations, measurements, settings, rng, height_m=ue[2])
        seconds = time.perf_counter() - started
        progress(1.0, "Located")
        return LocateResult(
            truth=ue, paths=paths, measurements=measurements, estimate=trace.estimate, seconds=seconds,
            trace=trace if keep_trace else None,
        )

    key = input_key("rrt_locate", scene.content_hash(), ue, stations, noise, settings, seed, keep_trace)
    return Job(name="Locate UE", function=run, key=key)


def evaluation_job(
    scene: Scene,
    stations,
    settings: Sequence[EvaluationSetting],
    drops: int,
    locate_settings: LocateSettings = LocateSettings(),
    seed: int = 0,
) -> Job:
    """A job dropping ``drops`` UEs in ``scene`` (seeded) and evaluating every setting.

    Returns
    -------
    Job
        Its result is an :class:`~twinloc.rrt.evaluation.Evaluation`.
    """
    stations = np.array(stations, dtype=np.float64).reshape(-1, 3)
    settings = tuple(settings)
    if drops < 1:
        raise ValueError(f"drops must be >= 1, got {drops}")

    def run(progress: ProgressFn, cancel: CancelToken) -> Evaluation:
        progress(0.0, "Dropping UEs")
        finder = path_finder_for(scene)
        ues = drop_ues(finder.engine, scene.bounds, drops, np.random.default_rng(seed))
        return evaluate(finder, stations, ues, settings, locate_settings, seed, scaled_progress(progress, 0.02, 1.0), cancel)

    key = input_key("rrt_evaluation", scene.content_hash(), stations, list(settings), drops, locate_settings, seed)
    return Job(name="Evaluate reverse ray tracing", function=run, key=key)
