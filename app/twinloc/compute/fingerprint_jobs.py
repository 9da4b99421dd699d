"""Fingerprint jobs: train and evaluate a positioning model, search its settings, map its RMSE.

Not cached: a trained model is worth keeping only when saved. Importing this module does not
load torch or scikit-learn: they load when a job first runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job
from twinloc.fingerprint.experiment import FingerprintRun, StageListener, labelled_subset, run_fingerprint
from twinloc.fingerprint.files import save_fingerprint_model
from twinloc.fingerprint.grid_search import GridSearchResult, grid_search
from twinloc.fingerprint.heatmap import DEFAULT_EPSILON_PER_M, SEED_002_SMOOTHING, rmse_heat_map
from twinloc.fingerprint.models import FingerprintSettings, default_settings
from twinloc.fingerprint.twin import TwinTraining, twin_training
from twinloc.geometry.cache import GeometryCache


@dataclass(frozen=True, eq=False)
class FingerprintOutcome:
    """What a fingerprint job gave: the experiment's ``run`` and, with a twin mode, the twin's
    part (its survey and calibration, the settings used and kNN's chosen k), else None."""

    run: FingerprintRun
    twin: TwinTraining | None


def fingerprint_job(
    kind: str,
    train_survey,
    test_survey,
    settings: FingerprintSettings | None = None,
    *,
    labelled_fraction: float = 1.0,
    seed: int = 0,
    twin: str = "none",
    scene=None,
    calibrated: bool = False,
    geometry: GeometryCache | None = None,
    save_path: str | Path | None = None,
    on_epoch: StageListener | None = None,
) -> Job:
    """A job running what ``twinloc fingerprint`` runs, and optionally saving the model.

    With ``twin`` "only" or "prior" the twin's survey of ``scene``'s floor comes first
    (:func:`~twinloc.fingerprint.twin.twin_training` on the labelled part of ``train_survey``,
    calibrated on it with ``calibrated``; the first half of the progress), then
    :func:`~twinloc.fingerprint.experiment.run_fingerprint` (same parameters) with its settings.
    ``on_epoch`` runs on the worker thread after each epoch (bridge it to Qt). The result is a
    :class:`FingerprintOutcome`.
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> FingerprintOutcome:
        training, chosen = None, settings
        if twin != "none":
            labelled = labelled_subset(train_survey, labelled_fraction, seed)
            base = settings or default_settings(kind)  # as fit_fingerprint_model reads None
            training = twin_training(scene, labelled, kind, twin, base, calibrated=calibrated, seed=seed,
                                     geometry=geometry, cancel=cancel, progress=scaled_progress(progress, 0.0, 0.5))
            chosen, progress = training.settings, scaled_progress(progress, 0.5, 1.0)
        result = run_fingerprint(kind, train_survey, test_survey, chosen, labelled_fraction=labelled_fraction,
                                 seed=seed, twin_survey=None if training is None else training.twin.survey, twin=twin,
                                 cancel=cancel, progress=progress, on_epoch=on_epoch)
        if save_path is not None:
            save_fingerprint_model(result.model, save_path)
        return FingerprintOutcome(result, training)

    return Job(name=f"Fingerprint {kind} training", function=run)


def grid_search_job(kind: str, survey, grid: dict[str, list] | None = None,
                    base: FingerprintSettings | None = None, folds: int = 5) -> Job:
    """A job running :func:`~twinloc.fingerprint.grid_search.grid_search` (cancellable between fits)."""

    def run(progress: ProgressFn, cancel: CancelToken) -> GridSearchResult:
        return grid_search(kind, survey, grid, base, folds=folds, cancel=cancel, progress=progress)

    return Job(name=f"Fingerprint {kind} grid search", function=run)


def heat_map_job(run_result: FingerprintRun, grid_points: np.ndarray, epsilon_per_m: float = DEFAULT_EPSILON_PER_M,
                 smoothing: float = SEED_002_SMOOTHING) -> Job:
    """A job interpolating the run's per-point RMSE at ``grid_points`` (G, 2): (G,) metres."""
    grid_points = np.array(grid_points, dtype=np.float64)

    def run(progress: ProgressFn, cancel: CancelToken) -> np.ndarray:
        progress(0.0, "RMSE heat map")
        points = run_result.points
        return rmse_heat_map(points.positions, points.rmse_m, grid_points, epsilon_per_m, smoothing)

    return Job(name="RMSE heat map", function=run)
