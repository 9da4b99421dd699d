"""Measured survey data from the real site, and its comparison with the twin's prediction.

CSV layouts accepted (header required, metres):

- long: ``true_x,true_y,measured_x,measured_y``, one row per measurement; rows with the same
  true point form one measuring point;
- wide: ``true_x,true_y,x1,y1,x2,y2,...``, one row per measuring point;
- ranges: ``true_x,true_y,range_1,range_2,...,range_A``, the range to each anchor (in the
  layout's anchor order) measured at the true point; an empty cell is a range not measured
  (the anchor not heard, or blocked). Rows with the same true point are averaged per anchor.
  Material calibration reads this layout (and the two position layouts); error maps and
  mitigation training read positions only.

Limits: the file is at most :data:`MEASURED_FILE_LIMIT_BYTES`, a value at most 131,072
characters (Python's csv field limit) and within ±``MAX_COORDINATE_M`` metres; a range file
has at most :data:`MAX_RANGE_COLUMNS` range columns.
"""

from __future__ import annotations

import csv
import io
import math
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinloc.model.devices import MAX_COORDINATE_M
from twinloc.model.input_files import MIB, read_input_text

#: Largest measured-data file read: some 400,000 rows of one fix each (a survey has thousands).
MEASURED_FILE_LIMIT_BYTES = 16 * MIB
#: Most range columns (anchors) of a range file.
MAX_RANGE_COLUMNS = 100


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


@dataclass(frozen=True, eq=False)
class MeasuredRanges:
    """Ranges measured at P known points from A anchors.

    true : (P, 2) metres. ranges : (P, A) metres, the mean of the readings of each link, NaN
    where none was read. readings : (P, A) int, how many readings each mean holds.
    """

    true: np.ndarray
    ranges: np.ndarray
    readings: np.ndarray


def load_measured_csv(path: str | Path) -> list[MeasuredPoint]:
    """Read measuring points from a CSV file (long or wide layout, see module docstring).

    Raises
    ------
    MeasuredDataError
        The file cannot be read, is larger than :data:`MEASURED_FILE_LIMIT_BYTES`, holds ranges
        instead of positions, or holds a malformed row or a value beyond ±``MAX_COORDINATE_M``;
        the message names the file and line.
    """
    measurements = load_measurements(path)
    if isinstance(measurements, MeasuredRanges):
        raise MeasuredDataError(f"{path}: holds ranges per anchor (range_1,...), not measured positions; "
                                "only material calibration reads ranges")
    return measurements


def load_measurements(path: str | Path) -> list[MeasuredPoint] | MeasuredRanges:
    """Read measured positions (long or wide layout) or ranges per anchor from a CSV file.

    Raises
    ------
    MeasuredDataError
        As :func:`load_measured_csv`; also a negative range.
    """
    path = Path(path)
    try:
        text = read_input_text(path, MEASURED_FILE_LIMIT_BYTES)
    except UnicodeDecodeError as error:
        raise MeasuredDataError(f"{path}: cannot read measured data: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise MeasuredDataError(f"{path}: cannot read measured data: {error.strerror or error}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    values = array("d")  # 8 bytes a value: a file of tiny cells never costs a Python object per cell
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = _header(path, row)
            else:
                values.extend(_numbers(path, reader.line_num, row, len(header), _is_range_header(header)))
    except csv.Error as error:
        raise MeasuredDataError(f"{path}, line {reader.line_num}: {error}") from None
    if header is None or not values:
        raise MeasuredDataError(f"{path}: no measured data (a header and at least one row are needed)")
    table = np.frombuffer(values, dtype=np.float64).reshape(-1, len(header))
    if _is_range_header(header):
        return _group_ranges(table)
    if header[2:] == ["measured_x", "measured_y"]:
        return _group_long(table)
    return [MeasuredPoint(true=row[:2].copy(), measured=row[2:].reshape(-1, 2).copy()) for row in table]


def _header(path: Path, row: list[str]) -> list[str]:
    header = [cell.strip().lower() for cell in row]
    if header[:2] == ["true_x", "true_y"] and len(header) > 2 and header[2].startswith("range"):
        if len(header) - 2 > MAX_RANGE_COLUMNS:
            raise MeasuredDataError(f"{path}: {len(header) - 2} range columns; a file holds ranges to at most "
                                    f"{MAX_RANGE_COLUMNS} anchors")
        expected = [f"range_{number}" for number in range(1, len(header) - 1)]
        if header[2:] != expected:
            raise MeasuredDataError(f"{path}: range columns must be range_1,range_2,... in anchor order, "
                                    f"got {','.join(header[2:])[:80]}")
        return header
    if header[:2] != ["true_x", "true_y"] or len(header) < 4 or len(header) % 2:
        raise MeasuredDataError(
            f"{path}: header must start with true_x,true_y followed by measured_x,measured_y, x1,y1,x2,y2,... "
            "or range_1,range_2,..."
        )
    return header


def _is_range_header(header: list[str]) -> bool:
    return header[2] == "range_1"


def _numbers(path: Path, line: int, row: list[str], columns: int, ranges: bool) -> list[float]:
    if len(row) != columns:
        raise MeasuredDataError(f"{path}, line {line}: {len(row)} values, the header has {columns}")
    try:
        # In the range layout an empty range cell is a link not measured (NaN); positions are always given.
        numbers = [float("nan") if ranges and column >= 2 and not cell.strip() else float(cell)
                   for column, cell in enumerate(row)]
    except ValueError:
        shown = ",".join(row)
        raise MeasuredDataError(f"{path}, line {line}: not a number in {shown[:80]!r}") from None
    given = [number for column, number in enumerate(numbers) if not (ranges and column >= 2 and not row[column].strip())]
    if not all(math.isfinite(number) for number in given):
        raise MeasuredDataError(f"{path}, line {line}: NaN or infinite value")
    if ranges and any(number < 0 for number in numbers[2:]):
        raise MeasuredDataError(f"{path}, line {line}: a range must not be negative")
    if any(abs(number) > MAX_COORDINATE_M for number in numbers):
        raise MeasuredDataError(
            f"{path}, line {line}: a coordinate beyond ±{MAX_COORDINATE_M:,.0f} m is not a position in a building"
        )
    return numbers


def _group_ranges(values: np.ndarray) -> MeasuredRanges:
    keys, inverse = np.unique(values[:, :2], axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    ranges = values[:, 2:]
    read = np.isfinite(ranges)
    readings = np.zeros((len(keys), ranges.shape[1]), dtype=np.int64)
    sums = np.zeros((len(keys), ranges.shape[1]))
    np.add.at(readings, inverse, read.astype(np.int64))
    np.add.at(sums, inverse, np.where(read, ranges, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(readings > 0, sums / readings, np.nan)
    return MeasuredRanges(true=keys, ranges=mean, readings=readings)


def _group_long(values: np.ndarray) -> list[MeasuredPoint]:
    keys, inverse = np.unique(values[:, :2], axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    # One stable sort instead of a mask per point: a file of all-distinct points stays linear.
    order = np.argsort(inverse, kind="stable")
    ends = np.cumsum(np.bincount(inverse, minlength=len(keys)))[:-1]
    groups = np.split(values[order, 2:4], ends)
    return [MeasuredPoint(true=key, measured=group) for key, group in zip(keys, groups)]


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
