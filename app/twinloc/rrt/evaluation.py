"""Accuracy of reverse ray tracing over random UE drops: the tables behind the seed's Figures 9-11.

UEs are dropped uniformly in the room's free space; each drop's strongest paths are found
once and shared by every setting. For each setting and drop the measurements are drawn
with their own seeded generator, so a setting's result does not depend on which other
settings run beside it. The LoS triangulation baseline gets the same noisy angles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.geometry.cache import process_cache
from twinloc.geometry.faces import planar_faces
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import Scene
from twinloc.rrt.locate import LocateSettings, locate
from twinloc.rrt.measurement import NoiseModel, measure
from twinloc.rrt.paths import PathFinder
from twinloc.rrt.triangulation import triangulate
from twinloc.studies import Runner

PERCENTILES = (50, 67, 80, 90)
DROP_MARGIN_M = 0.2
"""UEs are dropped at least this far from the room's bounding box and outside every solid."""
#: Drops per task of an evaluation study: a few seconds of work, so progress and load balancing stay fine.
DROPS_PER_TASK = 10


@dataclass(frozen=True)
class EvaluationSetting:
    """One curve of the figures: noise statistics and 2D/3D positioning."""

    noise: NoiseModel
    mode: str = "3d"


@dataclass(frozen=True)
class SettingResult:
    """Errors of one setting over all drops.

    errors_m : (U,) float64, metres: distance from the estimate to the truth; NaN where
        no estimate could be made.
    baseline_errors_m : (U,) float64, metres, for LoS triangulation; NaN where it failed.
    """

    setting: EvaluationSetting
    errors_m: np.ndarray
    baseline_errors_m: np.ndarray

    def summary(self, nlos: np.ndarray) -> dict:
        """Percentiles of both estimators over all drops and over the drops with a blocked LoS.

        Parameters
        ----------
        nlos : (U,) bool, drops where some station's LoS is blocked.
        """
        noise = self.setting.noise
        return {
            "aoa_sigma_deg": noise.aoa_sigma_deg,
            "pt_sigma_m": noise.pt_sigma_m,
            "rpt_sigma_m": noise.rpt_sigma_m,
            "mode": self.setting.mode,
            "drops": int(len(self.errors_m)),
            **error_percentiles(self.errors_m),
            "baseline": error_percentiles(self.baseline_errors_m),
            "nlos_drops": int(nlos.sum()),
            "nlos": error_percentiles(self.errors_m[nlos]),
            "nlos_baseline": error_percentiles(self.baseline_errors_m[nlos]),
        }


@dataclass(frozen=True)
class Evaluation:
    """Results of all settings over the same drops.

    ues : (U, 3) float64, metres.
    nlos : (U,) bool, some station's line of sight to the UE is blocked.
    """

    ues: np.ndarray
    nlos: np.ndarray
    results: tuple[SettingResult, ...]

    def summaries(self) -> list[dict]:
        return [result.summary(self.nlos) for result in self.results]


def error_percentiles(errors_m: np.ndarray) -> dict:
    """p50_m, p67_m, p80_m, p90_m, mean_m and failures of ``errors_m`` (U,) metres.

    Percentiles are read off the empirical CDF (the smallest error with at least q % of
    the drops at or below it), the way the CDF figures are read.

    A failed estimate (NaN) counts as an infinitely large error in the percentiles, so
    failures can only make them worse; a percentile reached by failures is None.
    """
    errors = np.asarray(errors_m, dtype=np.float64)
    failed = ~np.isfinite(errors)
    ranked = np.where(failed, np.inf, errors)
    summary = {}
    for q in PERCENTILES:
        value = float(np.percentile(ranked, q, method="inverted_cdf")) if len(ranked) else np.nan
        summary[f"p{q}_m"] = round(value, 4) if np.isfinite(value) else None
    finite = errors[~failed]
    summary["mean_m"] = round(float(finite.mean()), 4) if finite.size else None
    summary["failures"] = int(failed.sum())
    return summary


def drop_ues(engine: RayEngine, bounds, count: int, rng: np.random.Generator, margin_m: float = DROP_MARGIN_M) -> np.ndarray:
    """``count`` UE positions (count, 3) metres, uniform in the box ``bounds`` (2, 3) shrunk
    by ``margin_m`` and outside every solid."""
    low, high = np.asarray(bounds, dtype=np.float64) + np.array([[margin_m], [-margin_m]])
    kept: list[np.ndarray] = []
    total = 0
    while total < count:
        candidates = low + (high - low) * rng.random((2 * (count - total) + 8, 3))
        free = candidates[~engine.points_inside_solids(candidates)]
        kept.append(free)
        total += len(free)
    return np.vstack(kept)[:count]


def evaluate(
    finder: PathFinder,
    stations,
    ues,
    settings: Sequence[EvaluationSetting],
    locate_settings: LocateSettings = LocateSettings(),
    seed: int = 0,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
) -> Evaluation:
    """Locate every UE of ``ues`` under every setting.

    Parameters
    ----------
    finder : PathFinder
        Its engine also launches the rays.
    stations : (B, 3) float, metres
    ues : (U, 3) float, metres
    settings : sequence of EvaluationSetting
    locate_settings : LocateSettings
        Its ``mode`` is replaced by each setting's.
    seed : int
    progress, cancel
        Progress per drop; the cancel token is checked between drops.

    Returns
    -------
    Evaluation
    """
    stations = np.asarray(stations, dtype=np.float64).reshape(-1, 3)
    ues = np.asarray(ues, dtype=np.float64).reshape(-1, 3)
    errors, baseline, nlos = _evaluate_drops(finder, stations, ues, settings, locate_settings, seed, 0, progress,
                                             cancel or CancelToken())
    return _evaluation(ues, nlos, settings, errors, baseline)


def evaluate_study(
    runner: Runner,
    scene: Scene,
    stations,
    ues,
    settings: Sequence[EvaluationSetting],
    locate_settings: LocateSettings = LocateSettings(),
    seed: int = 0,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
    drops_per_task: int = DROPS_PER_TASK,
) -> Evaluation:
    """:func:`evaluate` as a study: batches of ``drops_per_task`` drops run as ``runner``'s tasks.

    The scene, stations and settings are sent to each worker once. A drop's noise is seeded by
    the study seed and the drop's index, exactly as in :func:`evaluate`, so the result is
    bit-identical to it whatever the runner, the batching or the number of workers.

    Parameters
    ----------
    runner : Runner
    scene : Scene
    stations : (B, 3) float, metres
    ues : (U, 3) float, metres, U >= 1
    settings, locate_settings, seed
        As in :func:`evaluate`.
    progress, cancel
        Progress per finished batch; cancel stops the study (see :meth:`Runner.map`).
    drops_per_task : int, default: DROPS_PER_TASK
    """
    ues = np.asarray(ues, dtype=np.float64).reshape(-1, 3)
    if len(ues) == 0:
        raise ValueError("an evaluation study needs at least one UE")
    settings = tuple(settings)
    shared = {
        "scene": scene,
        "stations": np.asarray(stations, dtype=np.float64).reshape(-1, 3),
        "settings": settings,
        "locate_settings": locate_settings,
        "seed": seed,
    }
    batches = [(first, ues[first:first + drops_per_task]) for first in range(0, len(ues), drops_per_task)]
    parts = runner.map(_evaluate_batch, batches, shared=shared, seed=seed, progress=progress, cancel=cancel)
    errors, baseline, nlos = (np.concatenate(arrays, axis=-1) for arrays in zip(*parts))
    return _evaluation(ues, nlos, settings, errors, baseline)


def _evaluate_batch(batch: tuple[int, np.ndarray], shared: dict, rng_seed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A study task: the errors (S, n), baseline errors (S, n) and NLoS flags (n,) of one batch of drops.

    ``batch`` is (index of its first drop, (n, 3) UE positions). The drops are seeded by their
    index, so ``rng_seed`` is not needed.
    """
    first, ues = batch
    scene = shared["scene"]
    finder = PathFinder(process_cache().ray_engine(scene), planar_faces(scene))
    return _evaluate_drops(finder, shared["stations"], ues, shared["settings"], shared["locate_settings"],
                           shared["seed"], first, report_nothing, CancelToken())


def _evaluate_drops(finder, stations, ues, settings, locate_settings, seed, first, progress, cancel):
    """Errors (S, U), baseline errors (S, U) and NLoS flags (U,) of ``ues``, the first being drop ``first``."""
    errors = np.full((len(settings), len(ues)), np.nan)
    baseline = np.full((len(settings), len(ues)), np.nan)
    nlos = np.zeros(len(ues), dtype=bool)
    for drop, ue in enumerate(ues):
        cancel.raise_if_cancelled()
        paths = [finder.strongest(ue, station, locate_settings.bounces) for station in stations]
        nlos[drop] = any(path is None or path.depth > 0 for path in paths)
        for index, setting in enumerate(settings):
            rng = np.random.default_rng([seed, first + drop, index])
            measurements = measure(paths, setting.noise, rng)
            height = ue[2] if setting.mode == "2d" else None
            try:
                estimate = locate(
                    finder.engine, stations, measurements, replace(locate_settings, mode=setting.mode), rng, height
                )
                errors[index, drop] = np.linalg.norm(estimate.position - ue)
            except ValueError:
                pass  # nothing measured: stays NaN, a failure
            try:
                baseline[index, drop] = np.linalg.norm(triangulate(stations, measurements.aoa_deg, height) - ue)
            except ValueError:
                pass
        progress((drop + 1) / len(ues), f"Drop {drop + 1} of {len(ues)}")
    return errors, baseline, nlos


def _evaluation(ues, nlos, settings, errors, baseline) -> Evaluation:
    results = tuple(
        SettingResult(setting=s, errors_m=errors[i], baseline_errors_m=baseline[i]) for i, s in enumerate(settings)
    )
    return Evaluation(ues=ues, nlos=nlos, results=results)
