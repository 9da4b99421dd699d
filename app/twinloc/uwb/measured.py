"""Measured survey data from the real site, and its comparison with the twin's prediction.

CSV layouts accepted (header required, metres):

- long: ``true_x,true_y,measured_x,measured_y``, one row per measurement; rows with the same
  true point form one measuring point;
- wide: ``true_x,true_y,x1,y1,x2,y2,...``, one row per measuring point.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class MeasuredDataError(ValueError):
    """A measured-data file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True, eq=False)
class MeasuredPoint:
    """true : (2,) metres; measured : (S, 2) metres, the S fixes taken there."""

    true: np.ndarray
    measured: np.ndarray

    @property
    def mean_error(self) -> np.ndarray:
        """(2,) metres: mean measured fix minus the true position."""
        return self.measured.mean(axis=0) - self.true


def load_measured_csv(path: str | Path) -> list[MeasuredPoint]:
    """Read measuring points from a CSV file (long or wide layout, see module docstring)."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError) as error:
        raise MeasuredDataError(f"{path}: cannot read measured data: {error}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise MeasuredDataError(f"{path}: no measured data (a header and at least one row are needed)")
    header = [cell.strip().lower() for cell in rows[0]]
    if header[:2] != ["true_x", "true_y"] or len(header) < 4 or len(header) % 2:
        raise MeasuredDataError(
            f"{path}: header must start with true_x,true_y followed by measured_x,measured_y or x1,y1,x2,y2,..."
        )
    values = np.empty((len(rows) - 1, len(header)))
    for index, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise MeasuredDataError(f"{path}, line {index}: {len(row)} values, the header has {len(header)}")
        try:
            numbers = [float(cell) for cell in row]
        except ValueError:
            raise MeasuredDataError(f"{path}, line {index}: not a number in {','.join(row)!r}") from None
        if not all(math.isfinite(number) for number in numbers):
            raise MeasuredDataError(f"{path}, line {index}: NaN or infinite value")
        values[index - 2] = numbers
    if header[2:] == ["measured_x", "measured_y"]:
        return _group_long(values)
    return [MeasuredPoint(true=row[:2].copy(), measured=row[2:].reshape(-1, 2)) for row in values]


def _group_long(values: np.ndarray) -> list[MeasuredPoint]:
    keys, inverse = np.unique(values[:, :2], axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [MeasuredPoint(true=key, measured=values[inverse == group, 2:4]) for group, key in enumerate(keys)]


@dataclass(frozen=True, eq=False)
class PredictionComparison:
    """Measured against predicted errors at P measuring points (seed 004, Fig. 5), metres.

    true : (P, 2); measured_error : (P, 2) mean measured fix minus truth; predicted_error :
    (P, 2) the map's error vector at the cell holding the point (NaN where the map has no
    usable cell); distance_to_true : (P,) |mean fix - truth|; distance_to_predicted : (P,)
    |mean fix - (truth + predicted error)|.
    """

    true: np.ndarray
    measured_error: np.ndarray
    predicted_error: np.ndarray
    distance_to_true: np.ndarray
    distance_to_predicted: np.ndarray


def compare_with_prediction(points: list[MeasuredPoint], error_map) -> PredictionComparison:
    """Look up each measuring point's cell in ``error_map`` and compare the error vectors."""
    true = np.array([point.true for point in points]).reshape(-1, 2)
    measured_error = np.array([point.mean_error for point in points]).reshape(-1, 2)
    cell = nearest_cells(error_map.grid, true)
    predicted = np.full_like(true, np.nan)
    found = cell >= 0
    found[found] &= ~error_map.degenerate[cell[found]]
    predicted[found] = error_map.error[cell[found]]
    return PredictionComparison(
        true=true,
        measured_error=measured_error,
        predicted_error=predicted,
        distance_to_true=np.linalg.norm(measured_error, axis=1),
        distance_to_predicted=np.linalg.norm(measured_error - predicted, axis=1),
    )


def nearest_cells(grid, xy: np.ndarray) -> np.ndarray:
    """(P,) int64: index into ``grid.points`` of the cell containing each point, -1 outside the grid."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    index_image = np.full(grid.mask.shape, -1, dtype=np.int64)
    index_image[grid.mask] = np.arange(int(grid.mask.sum()))
    column = np.rint((xy[:, 0] - grid.x_centers[0]) / grid.resolution_m).astype(np.int64)
    row = np.rint((xy[:, 1] - grid.y_centers[0]) / grid.resolution_m).astype(np.int64)
    inside = (column >= 0) & (column < len(grid.x_centers)) & (row >= 0) & (row < len(grid.y_centers))
    result = np.full(len(xy), -1, dtype=np.int64)
    result[inside] = index_image[row[inside], column[inside]]
    return result
