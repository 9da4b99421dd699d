"""Positioning error maps: where a tag's least-squares fix lands, over a floor grid.

For every floor cell X the ranges to the anchors are modelled (true distance + obstacle
excess path + ranging bias, see :mod:`twinloc.uwb.ranging`), the tag is located from them by
least squares, and the vector error ``e(X) = X_hat(r(X)) - X`` is stored (seed 004, Eq. 14).
With noise, a Monte Carlo estimate per cell gives mean error, RMSE and 90th percentile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn
from twinloc.uwb.multilateration import Fix, gdop, locate, minimum_anchors
from twinloc.model.analysis import ErrorMapSettings
from twinloc.uwb.ranging import Links, mean_ranges, noisy_ranges, trace_links

#: Monte Carlo draws solved per batch, between progress reports and cancel checks; fewer
#: when a batch would hold more than _RANGES_PER_BATCH ranges (draws x cells x anchors), so a
#: batch's arrays stay near 100 MB whatever the map's size.
_DRAWS_PER_BATCH = 10
_RANGES_PER_BATCH = 2_000_000

#: Most Monte Carlo fixes of one map (draws x cells). Each keeps its error vector and length
#: until the statistics are taken, some 50 bytes in all: a map at the limit stays near 500 MB.
MAX_MONTE_CARLO_FIXES = 10_000_000


@dataclass(frozen=True, eq=False)
class MonteCarloStats:
    """Per-cell statistics over noisy draws (M cells), metres.

    mean_error : (M, 2) mean error vector; mean_magnitude : (M,) mean error length;
    rmse : (M,) root mean square error length; p90 : (M,) 90th percentile of the error length.
    """

    draws: int
    seed: int
    mean_error: np.ndarray
    mean_magnitude: np.ndarray
    rmse: np.ndarray
    p90: np.ndarray


@dataclass(frozen=True, eq=False)
class ErrorMap:
    """Positioning error over the M cells of a floor grid.

    anchor_positions : (A, 3) metres.
    error : (M, 2) float64 metres; horizontal error vector of the fix from the mean ranges
        (zero in degenerate cells).
    magnitude : (M,) float64 metres; |error| (zero in degenerate cells).
    gdop : (M,) float64; geometric dilution of precision over the usable anchors (0 in
        degenerate cells, never inf or NaN).
    los_count : (M,) int64; anchors in line of sight.
    los : (M, A) bool; blocked : (M, A) bool (opaque obstacle, no range).
    degenerate : (M,) bool; too few usable anchors or degenerate geometry: no fix.
    monte_carlo : MonteCarloStats or None.
    """

    grid: Any
    anchor_positions: np.ndarray
    settings: ErrorMapSettings
    error: np.ndarray
    magnitude: np.ndarray
    gdop: np.ndarray
    los_count: np.ndarray
    los: np.ndarray
    blocked: np.ndarray
    degenerate: np.ndarray
    monte_carlo: MonteCarloStats | None = None

    @property
    def cell_error(self) -> np.ndarray:
        """(M,) metres: the error each cell is judged by (Monte Carlo mean length when available)."""
        return self.monte_carlo.mean_magnitude if self.monte_carlo is not None else self.magnitude

    def summary(self) -> dict[str, Any]:
        """JSON-ready statistics over the non-degenerate cells (errors in metres).

        ``nlos_fraction`` is the fraction of cells with at least one non-line-of-sight anchor.
        """
        valid = ~self.degenerate
        values = self.cell_error[valid]
        cells = int(self.magnitude.size)

        def stat(function) -> float | None:
            return float(function(values)) if values.size else None

        summary = {
            "cells": cells,
            "anchors": int(len(self.anchor_positions)),
            "mean_error_m": stat(np.mean),
            "p50_error_m": stat(lambda v: np.percentile(v, 50)),
            "p90_error_m": stat(lambda v: np.percentile(v, 90)),
            "max_error_m": stat(np.max),
            "sum_error_m": float(values.sum()),
            "nlos_fraction": float(np.mean(~self.los.all(axis=1))) if cells else None,
            "degenerate_cells": int(self.degenerate.sum()),
            "resolution_m": float(self.grid.resolution_m),
            "tag_height_m": float(self.grid.z_m),
        }
        if self.monte_carlo is not None:
            summary["monte_carlo_draws"] = self.monte_carlo.draws
            summary["mean_rmse_m"] = float(self.monte_carlo.rmse[valid].mean()) if values.size else None
            summary["mean_p90_m"] = float(self.monte_carlo.p90[valid].mean()) if values.size else None
        return summary


def compute_error_map(
    engine,
    scene,
    grid,
    anchor_positions: np.ndarray,
    settings: ErrorMapSettings = ErrorMapSettings(),
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ErrorMap:
    """Compute the positioning error map of an anchor layout.

    Parameters
    ----------
    engine : RayEngine of ``scene``.
    scene : Scene (materials give the excess path).
    grid : FloorGrid; its cells (``grid.points``, (M, 3) metres) are the true tag positions.
    anchor_positions : (A, 3) float64, metres; the enabled anchors.
    settings : ErrorMapSettings
    progress : callable or None; ``progress(fraction, text)``.
    cancel : CancelToken or None; checked between stages and Monte Carlo batches.

    Raises
    ------
    ValueError
        More than MAX_MONTE_CARLO_FIXES Monte Carlo draws x cells (checked before any work).
    """
    anchors = np.asarray(anchor_positions, dtype=np.float64).reshape(-1, 3)
    points = grid.points
    draws = 0 if settings.physics_only or not len(anchors) else settings.monte_carlo_draws
    fixes = draws * len(points)
    if fixes > MAX_MONTE_CARLO_FIXES:
        raise ValueError(
            f"{draws:,} Monte Carlo draws x {len(points):,} cells make {fixes:,} fixes, more than "
            f"the {MAX_MONTE_CARLO_FIXES:,} a map may hold; use fewer draws or a coarser grid"
        )
    report = progress or (lambda fraction, text: None)
    report(0.0, "Tracing anchor links")
    links = trace_links(engine, scene, anchors, points, incidence_correction=settings.ranging.incidence_correction)
    _check(cancel)
    report(0.3, "Solving positions")
    error, degenerate = _deterministic_error(links, anchors, points, settings)
    usable = links.usable
    dilution = gdop(anchors, points, usable, dimensions=settings.dimensions)
    degenerate |= ~np.isfinite(dilution)
    dilution = np.where(degenerate, 0.0, dilution)
    error[degenerate] = 0.0
    monte_carlo = None
    if draws:
        monte_carlo = _monte_carlo(links, anchors, points, degenerate, settings, report, cancel)
    report(1.0, "Error map ready")
    return ErrorMap(
        grid=grid,
        anchor_positions=anchors,
        settings=settings,
        error=error,
        magnitude=np.linalg.norm(error, axis=1),
        gdop=dilution,
        los_count=links.los.sum(axis=1).astype(np.int64),
        los=links.los,
        blocked=links.blocked,
        degenerate=degenerate,
        monte_carlo=monte_carlo,
    )


def _deterministic_error(links: Links, anchors, points, settings: ErrorMapSettings) -> tuple[np.ndarray, np.ndarray]:
    ranges = mean_ranges(links, settings.ranging, physics_only=settings.physics_only)
    fix = _solve(anchors, ranges, links.usable, points, settings)
    return fix.position[:, :2] - points[:, :2], fix.degenerate.copy()


def _solve(anchors, ranges, usable, points, settings: ErrorMapSettings):
    if len(anchors) < minimum_anchors(settings.dimensions):
        return Fix(position=np.zeros((len(points), settings.dimensions)), degenerate=np.ones(len(points), dtype=bool))
    return locate(
        anchors,
        ranges,
        usable,
        dimensions=settings.dimensions,
        tag_height_m=points[:, 2],
        refine_iterations=settings.refine_iterations,
    )


def _monte_carlo(links, anchors, points, degenerate, settings: ErrorMapSettings, report, cancel) -> MonteCarloStats:
    rng = np.random.default_rng(settings.seed)
    draws = settings.monte_carlo_draws
    cells = len(points)
    errors = np.empty((draws, cells, 2))
    repeated_points = None
    per_batch = max(1, min(_DRAWS_PER_BATCH, _RANGES_PER_BATCH // max(1, cells * len(anchors))))
    for start in range(0, draws, per_batch):
        _check(cancel)
        batch = min(per_batch, draws - start)
        ranges = noisy_ranges(links, settings.ranging, batch, rng).reshape(batch * cells, -1)
        if repeated_points is None or len(repeated_points) != batch * cells:
            repeated_points = np.tile(points, (batch, 1))
        usable = np.tile(links.usable, (batch, 1))
        fix = _solve(anchors, ranges, usable, repeated_points, settings)
        errors[start : start + batch] = (fix.position[:, :2] - repeated_points[:, :2]).reshape(batch, cells, 2)
        report(0.4 + 0.6 * (start + batch) / draws, f"Monte Carlo draw {start + batch} of {draws}")
    errors[:, degenerate] = 0.0
    lengths = np.linalg.norm(errors, axis=2)
    return MonteCarloStats(
        draws=draws,
        seed=settings.seed,
        mean_error=errors.mean(axis=0),
        mean_magnitude=lengths.mean(axis=0),
        rmse=np.sqrt((lengths**2).mean(axis=0)),
        p90=np.percentile(lengths, 90, axis=0),
    )


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


def write_error_map_csv(error_map: ErrorMap, path) -> None:
    """One row per cell: ``x_m,y_m,err_x_m,err_y_m,err_m,gdop,los_count``.

    Degenerate cells (no fix) carry ``nan`` errors and ``inf`` GDOP so no reader mistakes
    them for perfect cells.
    """
    points = error_map.grid.points
    error = np.where(error_map.degenerate[:, None], math.nan, error_map.error)
    magnitude = np.where(error_map.degenerate, math.nan, error_map.cell_error)
    dilution = np.where(error_map.degenerate, math.inf, error_map.gdop)
    table = np.column_stack([points[:, 0], points[:, 1], error, magnitude, dilution])
    with open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write("x_m,y_m,err_x_m,err_y_m,err_m,gdop,los_count\n")
        for row, count in zip(table, error_map.los_count):
            stream.write(",".join(f"{value:.6g}" for value in row) + f",{int(count)}\n")


def write_error_map_npz(error_map: ErrorMap, path) -> None:
    """All per-cell arrays and the grid, compressed (np.load gives them back by name)."""
    arrays = {
        "points": error_map.grid.points,
        "x_centers": error_map.grid.x_centers,
        "y_centers": error_map.grid.y_centers,
        "mask": error_map.grid.mask,
        "anchor_positions": error_map.anchor_positions,
        "error": error_map.error,
        "magnitude": error_map.magnitude,
        "gdop": error_map.gdop,
        "los_count": error_map.los_count,
        "los": error_map.los,
        "blocked": error_map.blocked,
        "degenerate": error_map.degenerate,
    }
    if error_map.monte_carlo is not None:
        stats = error_map.monte_carlo
        arrays.update(mc_mean_error=stats.mean_error, mc_mean_magnitude=stats.mean_magnitude, mc_rmse=stats.rmse, mc_p90=stats.p90)
    np.savez_compressed(path, **arrays)
