"""Hyper-parameter grid search with cross-validation grouped by reference point (seed 002, §4.4).

Samples of one reference point are near copies of each other; a fold that trains on some of
them and validates on others measures memory, not positioning. The folds are therefore
scikit-learn's ``GroupKFold`` over the point ids: no reference point is in both the training
and the validation part of a fold. Each candidate is scored by the RMSE over all validation
samples of a fold, averaged over the folds; the lowest mean wins.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.fingerprint.evaluation import evaluate
from twinloc.fingerprint.models import FingerprintSettings, default_settings, fit_fingerprint_model
from twinloc.learn.runs import TrainingSettings

__all__ = ["KNN_GRID", "SEED_002_GRID", "GridScore", "GridSearchResult", "grid_search", "grouped_folds"]

#: The seed's grid for MLP and LSTM models: 3 x 2 x 2 x 4 x 2 = 96 candidates.
SEED_002_GRID: dict[str, list[Any]] = {
    "hidden": [32, 64, 128],
    "optimizer": ["adam", "rmsprop"],
    "learning_rate": [0.001, 0.01],
    "batch_size": [8, 16, 64, 128],
    "epochs": [20, 30],
}
#: kNN's grid: the number of neighbours.
KNN_GRID: dict[str, list[Any]] = {"neighbours": [1, 2, 3, 4, 5, 7, 9, 12]}
#: Most candidates one search may try.
MAX_CANDIDATES = 1000

_TRAINING_FIELDS = {item.name for item in fields(TrainingSettings)}
_MODEL_FIELDS = {item.name for item in fields(FingerprintSettings)} - {"training"}


@dataclass(frozen=True)
class GridScore:
    """One candidate: the values it sets, its RMSE per fold (metres), their mean and std."""

    values: dict[str, Any]
    fold_rmse_m: tuple[float, ...]
    mean_rmse_m: float
    std_rmse_m: float


@dataclass(frozen=True)
class GridSearchResult:
    """best : the settings of the lowest mean RMSE. table : every candidate, best first."""

    best: FingerprintSettings
    table: tuple[GridScore, ...]
    folds: int


def grouped_folds(point_ids: np.ndarray, folds: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, validation rows) of each fold, grouped by ``point_ids`` (S,).

    ``folds`` is lowered to the number of distinct points when there are fewer.

    Raises
    ------
    ValueError
        Fewer than 2 reference points (nothing to validate on) or folds < 2.
    """
    from sklearn.model_selection import GroupKFold

    point_ids = np.asarray(point_ids)
    points = len(np.unique(point_ids))
    if points < 2 or folds < 2:
        raise ValueError(f"cross-validation needs at least 2 reference points and 2 folds, got {points} and {folds}")
    splitter = GroupKFold(n_splits=min(folds, points))
    return list(splitter.split(np.zeros(len(point_ids)), groups=point_ids))


def grid_search(
    kind: str,
    survey,
    grid: dict[str, list[Any]] | None = None,
    base: FingerprintSettings | None = None,
    *,
    folds: int = 5,
    cancel: CancelToken | None = None,
    progress: ProgressFn = report_nothing,
) -> GridSearchResult:
    """Try every combination of ``grid`` (default: :data:`KNN_GRID` for kNN, else
    :data:`SEED_002_GRID`) on top of ``base`` (default: :func:`default_settings`).

    Grid keys are fields of :class:`FingerprintSettings` or of its ``training``.

    Raises
    ------
    ValueError
        An unknown grid key, more than :data:`MAX_CANDIDATES` candidates, too few points.
    JobCancelled
        When ``cancel`` is set (checked between fits).
    """
    grid = grid or (KNN_GRID if kind == "knn" else SEED_002_GRID)
    base = base or default_settings(kind)
    unknown = sorted(set(grid) - _TRAINING_FIELDS - _MODEL_FIELDS)
    if unknown:
        raise ValueError(f"unknown grid setting(s) {', '.join(unknown)}")
    candidates = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    if len(candidates) > MAX_CANDIDATES:
        raise ValueError(f"the grid has {len(candidates)} candidates, more than {MAX_CANDIDATES}")
    splits = grouped_folds(survey.point_ids, folds)
    true = np.asarray(survey.positions, dtype=np.float64)[:, :2]
    scores = []
    runs = len(candidates) * len(splits)
    for number, values in enumerate(candidates):
        settings = _applied(base, values)
        fold_rmse = []
        for fold, (training_rows, validation_rows) in enumerate(splits):
            if cancel is not None:
                cancel.raise_if_cancelled()
            run = number * len(splits) + fold
            model = fit_fingerprint_model(kind, survey.select(training_rows), settings, cancel=cancel,
                                          progress=scaled_progress(progress, run / runs, (run + 1) / runs))
            predicted = model.predict(survey.select(validation_rows))
            fold_rmse.append(evaluate(true[validation_rows], predicted).rmse_m)
        scores.append(GridScore(values, tuple(fold_rmse), float(np.mean(fold_rmse)), float(np.std(fold_rmse))))
    if cancel is not None:
        cancel.raise_if_cancelled()
    table = tuple(sorted(scores, key=lambda score: (score.mean_rmse_m, score.std_rmse_m)))
    return GridSearchResult(_applied(base, table[0].values), table, len(splits))


def _applied(base: FingerprintSettings, values: dict[str, Any]) -> FingerprintSettings:
    training = replace(base.training, **{key: value for key, value in values.items() if key in _TRAINING_FIELDS})
    return replace(base, training=training, **{key: value for key, value in values.items() if key in _MODEL_FIELDS})
