"""Positioning errors and their statistics: mean, RMSE, the 3GPP percentiles, the CDF, per point.

The error of a sample is the horizontal (x, y) Euclidean distance between its true and its
predicted position, metres. RMSE is the square root of the mean squared error (seed 002,
Eq. 12).

Percentiles are those of the empirical CDF (numpy's ``method="inverted_cdf"``, Hyndman and
Fan's definition 1): p_q is the smallest error e such that at least q % of the errors are
<= e. So p_q is always one of the errors, and it is what the CDF plot reads at q %: with
errors 1, 2, ..., 10 m, p50 = 5 m, p67 = 7 m, p80 = 8 m, p90 = 9 m.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Metrics", "PointErrors", "error_cdf", "evaluate", "per_point_errors", "position_errors"]

#: The error a "within" fraction counts up to, metres (seed 002, Table 7).
WITHIN_M = 2.0


@dataclass(frozen=True)
class Metrics:
    """Statistics of positioning errors, metres (``within_2m``: the fraction of errors <= 2 m)."""

    mean_m: float
    rmse_m: float
    p50_m: float
    p67_m: float
    p80_m: float
    p90_m: float
    within_2m: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class PointErrors:
    """Errors per reference point, in increasing point id order.

    point_ids : (N,) int. positions : (N, 2) metres, the mean true position of the point's samples.
    mean_m, rmse_m : (N,) metres over the point's samples. samples : (N,) int.
    """

    point_ids: np.ndarray
    positions: np.ndarray
    mean_m: np.ndarray
    rmse_m: np.ndarray
    samples: np.ndarray


def position_errors(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(S,) metres: the (x, y) distance between ``true`` (S, 2 or 3) and ``predicted`` (S, 2 or 3)."""
    true, predicted = np.asarray(true, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if len(true) != len(predicted):
        raise ValueError(f"{len(true)} true positions but {len(predicted)} predicted ones")
    return np.linalg.norm(true[:, :2] - predicted[:, :2], axis=1)


def evaluate(true: np.ndarray, predicted: np.ndarray) -> Metrics:
    """:class:`Metrics` of the errors of ``predicted`` against ``true`` (S, 2), S >= 1."""
    errors = position_errors(true, predicted)
    if errors.size == 0:
        raise ValueError("no samples to evaluate")
    p50, p67, p80, p90 = np.percentile(errors, [50, 67, 80, 90], method="inverted_cdf")
    return Metrics(
        mean_m=float(errors.mean()),
        rmse_m=float(np.sqrt(np.mean(errors**2))),
        p50_m=float(p50),
        p67_m=float(p67),
        p80_m=float(p80),
        p90_m=float(p90),
        within_2m=float(np.mean(errors <= WITHIN_M)),
    )


def error_cdf(errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The empirical CDF: errors sorted ascending (S,) and the fraction <= each, k / S for k = 1..S."""
    ordered = np.sort(np.asarray(errors, dtype=np.float64))
    return ordered, np.arange(1, len(ordered) + 1) / max(len(ordered), 1)


def per_point_errors(true: np.ndarray, predicted: np.ndarray, point_ids: np.ndarray) -> PointErrors:
    """:class:`PointErrors` of the samples grouped by ``point_ids`` (S,)."""
    errors = position_errors(true, predicted)
    ids, which, counts = np.unique(np.asarray(point_ids), return_inverse=True, return_counts=True)
    positions = np.column_stack([np.bincount(which, np.asarray(true, dtype=np.float64)[:, axis]) for axis in (0, 1)])
    return PointErrors(
        point_ids=ids,
        positions=positions / counts[:, None],
        mean_m=np.bincount(which, errors) / counts,
        rmse_m=np.sqrt(np.bincount(which, errors**2) / counts),
        samples=counts,
    )
