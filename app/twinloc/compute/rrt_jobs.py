"""Reverse-ray-tracing jobs: the default UE position, locate one UE, evaluate accuracy over random drops."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job, input_key
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.faces import planar_faces
from twinloc.geometry.scene import Scene
from twinloc.rrt.evaluation import Evaluation, EvaluationSetting, drop_ues, evaluate_study
from twinloc.rrt.locate import LocateSettings
from twinloc.rrt.measurement import NoiseModel
from twinloc.rrt.paths import PathFinder
from twinloc.rrt.simulation import LocateResult, default_ue_position, locate_simulated_ue
from twinloc.studies import Runner


def path_finder_for(scene: Scene, geometry: GeometryCache | None = None) -> PathFinder:
    """A path finder on ``scene``'s ray engine from ``geometry`` (None: a new engine)."""
    return PathFinder(cache_or_new(geometry).ray_engine(scene), planar_faces(scene))


def default_ue_job(scene: Scene, geometry: GeometryCache | None = None) -> Job:
    """A job finding :func:`~twinloc.rrt.simulation.default_ue_position` of ``scene``, (3,) metres.

    Keyed by the geometry and the tag height, the only inputs the position depends on.
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> np.ndarray:
        progress(0.0, "Placing the UE")
        return default_ue_position(scene, cache_or_new(geometry).ray_engine(scene))

    key = input_key("rrt_default_ue", scene.geometry_hash(), scene.tag_height_m)
    return Job(name="Default UE position", function=run, key=key)


def locate_job(
    scene: Scene,
    ue,
    stations,
    noise: NoiseModel,
    settings: LocateSettings = LocateSettings(),
    seed: int = 0,
    keep_trace: bool = False,
    geometry: GeometryCache | None = None,
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
    geometry : GeometryCache or None
        The application's ray engines (None: the job builds its own).

    Returns
    -------
    Job
        Its result is a :class:`~twinloc.rrt.simulation.LocateResult`.
    """
    ue = np.array(ue, dtype=np.float64).reshape(3)
    stations = np.array(stations, dtype=np.float64).reshape(-1, 3)

    def run(progress: ProgressFn, cancel: CancelToken) -> LocateResult:
        return locate_simulated_ue(path_finder_for(scene, geometry), ue, stations, noise, settings, seed, keep_trace,
                                   progress=progress, cancel=cancel)

    key = input_key("rrt_locate", scene.content_hash(), ue, stations, noise, settings, seed, keep_trace)
    return Job(name="Locate UE", function=run, key=key)


def evaluation_job(
    scene: Scene,
    stations,
    settings: Sequence[EvaluationSetting],
    drops: int,
    locate_settings: LocateSettings = LocateSettings(),
    seed: int = 0,
    geometry: GeometryCache | None = None,
    runner: Runner | None = None,
) -> Job:
    """A job dropping ``drops`` UEs in ``scene`` (seeded) and evaluating every setting.

    The drops are evaluated as a study on ``runner`` (None: in this process); the result is
    the same on every runner, so the key leaves it out.

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
        ues = drop_ues(cache_or_new(geometry).ray_engine(scene), scene.bounds, drops, np.random.default_rng(seed))
        return evaluate_study(runner or Runner(), scene, stations, ues, settings, locate_settings, seed,
                              scaled_progress(progress, 0.02, 1.0), cancel)

    key = input_key("rrt_evaluation", scene.content_hash(), stations, list(settings), drops, locate_settings, seed)
    return Job(name="Evaluate reverse ray tracing", function=run, key=key)
