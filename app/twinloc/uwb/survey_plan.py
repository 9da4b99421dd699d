"""Adaptive survey plans: where to measure the real site to build its error map (seed 004, §3.4).

Where the predicted positioning error is small and smooth one measuring point per coarse
cell suffices; where it is large or changes fast each coarse cell is split into fine cells,
each with its own point. The plan is compared with a uniform grid at the fine spacing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SurveyPlanSettings:
    """Thresholds of an adaptive plan.

    coarse_m, fine_m : grid spacings, metres; coarse_m must be a whole multiple of fine_m.
    error_threshold_m : cells whose predicted error reaches this are surveyed finely.
    change_threshold : cells whose error vector changes faster than this (metres of error per
        metre of floor, to any of the four neighbours) are surveyed finely.
    """

    coarse_m: float = 0.10
    fine_m: float = 0.05
    error_threshold_m: float = 0.10
    change_threshold: float = 0.5

    def __post_init__(self) -> None:
        if not (self.fine_m > 0 and self.coarse_m >= self.fine_m):
            raise ValueError("survey spacings must satisfy 0 < fine <= coarse")
        ratio = self.coarse_m / self.fine_m
        if abs(ratio - round(ratio)) > 1e-6:
            raise ValueError(f"coarse spacing {self.coarse_m} m must be a whole multiple of fine spacing {self.fine_m} m")
        if not (math.isfinite(self.error_threshold_m) and self.error_threshold_m >= 0):
            raise ValueError("error threshold must be a finite number >= 0 m")
        if not (math.isfinite(self.change_threshold) and self.change_threshold >= 0):
            raise ValueError("change threshold must be a finite number >= 0")

    @property
    def split(self) -> int:
        """Fine cells along each side of a coarse cell."""
        return int(round(self.coarse_m / self.fine_m))


@dataclass(frozen=True, eq=False)
class SurveyPlan:
    """Measuring points of an adaptive plan.

    points : (P, 2) float64 metres; fine : (P,) bool, the point belongs to a finely surveyed cell.
    uniform_points : points a uniform grid at the fine spacing would need over the same cells.
    """

    points: np.ndarray
    fine: np.ndarray
    uniform_points: int
    settings: SurveyPlanSettings

    @property
    def saving_fraction(self) -> float:
        """1 - points / uniform_points: the share of measuring points the plan saves."""
        return 1.0 - len(self.points) / self.uniform_points if self.uniform_points else 0.0

    def summary(self) -> dict:
        return {
            "points": int(len(self.points)),
            "fine_points": int(self.fine.sum()),
            "coarse_points": int((~self.fine).sum()),
            "uniform_points": int(self.uniform_points),
            "saving_fraction": float(self.saving_fraction),
        }


def plan_survey(error_map, settings: SurveyPlanSettings = SurveyPlanSettings()) -> SurveyPlan:
    """Plan measuring points from an error map computed at ``settings.coarse_m`` resolution.

    Degenerate cells (no fix possible) are surveyed finely: the model cannot predict them.
    """
    grid = error_map.grid
    if abs(grid.resolution_m - settings.coarse_m) > 1e-9:
        raise ValueError(
            f"the error map's resolution ({grid.resolution_m} m) must equal the coarse survey spacing ({settings.coarse_m} m)"
        )
    error = grid.to_image(np.where(error_map.degenerate, np.nan, error_map.error[:, 0])), grid.to_image(
        np.where(error_map.degenerate, np.nan, error_map.error[:, 1])
    )
    change = _change_rate(np.stack(error, axis=-1), grid.resolution_m)[grid.mask]
    magnitude = error_map.cell_error
    needs_fine = error_map.degenerate | (magnitude >= settings.error_threshold_m) | (change > settings.change_threshold)

    centres = grid.points[:, :2]
    split = settings.split
    offsets = (np.arange(split) + 0.5) * settings.fine_m - settings.coarse_m / 2.0
    sub = np.array([(dx, dy) for dy in offsets for dx in offsets])  # (split^2, 2)
    fine_points = (centres[needs_fine][:, None, :] + sub[None, :, :]).reshape(-1, 2)
    coarse_points = centres[~needs_fine]
    points = np.concatenate([coarse_points, fine_points])
    fine = np.concatenate([np.zeros(len(coarse_points), dtype=bool), np.ones(len(fine_points), dtype=bool)])
    return SurveyPlan(points=points, fine=fine, uniform_points=len(centres) * split * split, settings=settings)


def _change_rate(error_image: np.ndarray, spacing_m: float) -> np.ndarray:
    """(H, W) largest |e - e_neighbour| / spacing over the 4-neighbourhood (NaN neighbours ignored)."""
    rate = np.zeros(error_image.shape[:2])
    padded = np.pad(error_image, ((1, 1), (1, 1), (0, 0)), constant_values=np.nan)
    centre = padded[1:-1, 1:-1]
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        neighbour = padded[1 + dy : padded.shape[0] - 1 + dy, 1 + dx : padded.shape[1] - 1 + dx]
        difference = np.linalg.norm(centre - neighbour, axis=-1) / spacing_m
        rate = np.fmax(rate, np.nan_to_num(difference, nan=0.0))
    return rate


def write_survey_csv(plan: SurveyPlan, path) -> None:
    """``x_m,y_m,density`` rows, density ``coarse`` or ``fine``."""
    with open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write("x_m,y_m,density\n")
        for (x, y), fine in zip(plan.points, plan.fine):
            stream.write(f"{x:.4f},{y:.4f},{'fine' if fine else 'coarse'}\n")
