"""Fingerprint jobs: train and evaluate a positioning model, search its settings, map its RMSE.

Not cached: a trained model is worth keeping only when saved. Importing this module does not
load torch or scikit-learn: they load when a job first runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job
from twinloc.fingerprint.experiment import FingerprintRun, StageListener, run_fingerprint
from twinloc.fingerprint.files import save_fingerprint_model
from twinloc.fingerprint.grid_search import GridSearchResult, grid_search
from twinloc.fingerprint.heatmap import DEFAULT_EPSILON_PER_M, SEED_002_SMOOTHING, rmse_heat_map
from twinloc.fingerprint.models import FingerprintSettings


def fingerprint_job(
    kind: str,
    train_survey,
    test_survey,
    settings: FingerprintSettings | None = None,
    *,
    labelled_fraction: float = 1.0,
    seed: int = 0,
    twin_survey: Job | Any = None,
    twin: str = "none",
    save_path: str | Path | None = None,
    on_epoch: StageListener | None = None,
) -> Job:
    """A job running :func:`~twinloc.fingerprint.experiment.run_fingerprint` (same parameters)
    and optionally saving the model.

    ``twin_survey`` is the twin's virtual survey, or a job making it first (its progress is the
    first fifth). ``on_epoch`` runs on the worker thread after each epoch (bridge it to Qt).
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> FingerprintRun:
        virtual = twin_survey
        if isinstance(twin_survey, Job):
            virtual = twin_survey.function(scaled_progress(progress, 0.0, 0.2), cancel)
            progress = scaled_progress(progress, 0.2, 1.0)
        result = run_fingerprint(kind, train_survey, test_survey, settings, labelled_fraction=labelled_fraction,
                                 seed=seed, twin_survey=virtual, twin=twin, cancel=cancel, progress=progress,
                                 on_epoch=on_epoch)
        if save_path is not None:
            save_fingerprint_model(result.model, save_path)
        return result

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
