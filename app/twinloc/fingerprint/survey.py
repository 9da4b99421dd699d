"""Fingerprint surveys: RSS and range samples taken at reference points, and their CSV form.

The CSV format (docs/survey-format.md): a header, then one row per sample with ``x_m``,
``y_m``, optional ``z_m`` (default: the scene's tag height), optional ``point`` (rows with
the same value are one reference point; default: rows at the same position), optional
``t_s`` (seconds, for sequence models), then for each transmitter named as in the scene
``rss_dbm:NAME`` and/or ``range_m:NAME``. An empty cell means the transmitter was not heard.

Limits: the file is at most :data:`SURVEY_FILE_LIMIT_BYTES`, with at most
:data:`MAX_SURVEY_SAMPLES` rows and :data:`MAX_SURVEY_TRANSMITTERS` transmitters and :data:`MAX_SURVEY_VALUES` numbers; RSS lies in
:data:`RSS_RANGE_DBM`, ranges in 0 to ``MAX_COORDINATE_M`` metres.
"""

from __future__ import annotations

import csv
import io
import math
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinloc.model.atomic import write_text_atomic
from twinloc.model.devices import MAX_COORDINATE_M
from twinloc.model.input_files import MIB, read_input_text

#: Largest survey file read: some 300,000 samples of 20 transmitters.
SURVEY_FILE_LIMIT_BYTES = 64 * MIB
#: Most samples (rows) of a survey.
MAX_SURVEY_SAMPLES = 1_000_000
#: Most transmitters a survey may name.
MAX_SURVEY_TRANSMITTERS = 1000
#: Most numbers (rows x columns) a survey may hold: 160 MB as float64.
MAX_SURVEY_VALUES = 20_000_000
#: Received signal strengths a survey may hold, dBm: below any receiver's floor to above any transmitter's power.
RSS_RANGE_DBM = (-200.0, 60.0)
#: The columns before the transmitters', in their order.
POSITION_COLUMNS = ("x_m", "y_m", "z_m", "point", "t_s")
RSS_PREFIX, RANGE_PREFIX = "rss_dbm:", "range_m:"


class SurveyError(ValueError):
    """A survey that cannot be read or used; the message names the file (and line) and the problem."""


@dataclass(frozen=True, eq=False)
class Survey:
    """Samples of signal strength (and range) taken at reference points.

    positions : (S, 3) float64, metres, where each sample was taken.
    point_ids : (S,) int64, the reference point of each sample (samples of one point share it).
    times_s : (S,) float64 seconds, or None when the survey has no times.
    transmitters : (T,) names of the transmitters, as in the scene.
    rss_dbm : (S, T) float64, dBm; NaN where the transmitter was not heard.
    range_m : (S, T) float64 metres with NaN where not measured, or None for an RSS-only survey.
    """

    positions: np.ndarray
    point_ids: np.ndarray
    times_s: np.ndarray | None
    transmitters: tuple[str, ...]
    rss_dbm: np.ndarray
    range_m: np.ndarray | None = None

    @property
    def samples(self) -> int:
        return int(len(self.positions))

    @property
    def reference_points(self) -> int:
        """How many distinct reference points the samples were taken at."""
        return int(len(np.unique(self.point_ids)))

    def select(self, samples) -> Survey:
        """The survey of the chosen samples only: ``samples`` is (S,) bool or indices."""
        pick = np.asarray(samples)
        return Survey(
            positions=self.positions[pick],
            point_ids=self.point_ids[pick],
            times_s=None if self.times_s is None else self.times_s[pick],
            transmitters=self.transmitters,
            rss_dbm=self.rss_dbm[pick],
            range_m=None if self.range_m is None else self.range_m[pick],
        )


def scene_transmitter_names(scene) -> tuple[str, ...]:
    """Names a survey may use for ``scene``: its access points, then its anchors."""
    return tuple(point.name for point in scene.access_points) + tuple(anchor.name for anchor in scene.anchors)


def read_survey_csv(path: str | Path, scene, *, transmitters=None, min_points: int = 1) -> Survey:
    """Read a survey CSV file (format in the module docstring).

    Parameters
    ----------
    path : str or Path
    scene : Scene
        Gives the transmitters' names and the default height (its tag height).
    transmitters : iterable of str, optional
        The names the survey may use, when they are not the scene's (a project's devices).
    min_points : int, default: 1
        Fewest reference points the caller can use (a positioning model needs 2).

    Raises
    ------
    SurveyError
        Unreadable or oversized file; unknown column or transmitter; a non-numeric,
        non-finite or out-of-range value (with its line); no transmitter of the scene
        heard; fewer than ``min_points`` reference points.
    """
    path = Path(path)
    known = tuple(scene_transmitter_names(scene) if transmitters is None else transmitters)
    try:
        text = read_input_text(path, SURVEY_FILE_LIMIT_BYTES)
    except UnicodeDecodeError as error:
        raise SurveyError(f"{path}: cannot read the survey: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise SurveyError(f"{path}: cannot read the survey: {error.strerror or error}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _SurveyReader(path, known, float(scene.tag_height_m)).read(reader, min_points)
    except csv.Error as error:
        raise SurveyError(f"{path}, line {reader.line_num}: {error}") from None


def write_survey_csv(survey: Survey, path: str | Path) -> None:
    """Write ``survey`` in the CSV format :func:`read_survey_csv` reads; numbers are written exactly.

    Raises
    ------
    OSError
        The file cannot be written.
    """
    header = ["x_m", "y_m", "z_m", "point"] + (["t_s"] if survey.times_s is not None else [])
    header += [RSS_PREFIX + name for name in survey.transmitters]
    if survey.range_m is not None:
        header += [RANGE_PREFIX + name for name in survey.transmitters]
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for index in range(survey.samples):
        row = [repr(float(c)) for c in survey.positions[index]] + [str(int(survey.point_ids[index]))]
        if survey.times_s is not None:
            row.append(repr(float(survey.times_s[index])))
        row += [_cell(value) for value in survey.rss_dbm[index]]
        if survey.range_m is not None:
            row += [_cell(value) for value in survey.range_m[index]]
        writer.writerow(row)
    write_text_atomic(Path(path), stream.getvalue())


def require_reference_points(survey: Survey, minimum: int, where: str) -> None:
    """Refuse a survey of fewer than ``minimum`` reference points; ``where`` names its file."""
    if survey.reference_points < minimum:
        raise SurveyError(
            f"{where}: the survey has {survey.reference_points} reference point"
            f"{'s' if survey.reference_points != 1 else ''}; at least {minimum} are needed"
        )


def _cell(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


class _SurveyReader:
    """Turns CSV rows into a Survey, failing with the file's name and the line."""

    def __init__(self, path: Path, known: tuple[str, ...], default_height_m: float) -> None:
        self.path = path
        self.known = known
        self.default_height_m = default_height_m

    def fail(self, line: int | None, problem: str) -> SurveyError:
        return SurveyError(f"{self.path}{'' if line is None else f', line {line}'}: {problem}")

    def read(self, reader, min_points: int) -> Survey:
        header = None
        values = array("d")  # 8 bytes a value: no Python object per cell
        labels: list[str] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = self.header(row, reader.line_num)
                continue
            if len(labels) >= MAX_SURVEY_SAMPLES:
                raise self.fail(reader.line_num, f"more than {MAX_SURVEY_SAMPLES:,} samples, the most a survey may have")
            if len(values) + len(header[0]) > MAX_SURVEY_VALUES:
                raise self.fail(reader.line_num, f"more than {MAX_SURVEY_VALUES:,} values, the most a survey may have")
            labels.append(self.row(row, reader.line_num, header, values))
        if header is None or not labels:
            raise self.fail(None, "no samples (a header and at least one row are needed)")
        columns, rss_names, range_names = header
        table = np.frombuffer(values, dtype=np.float64).reshape(len(labels), len(columns))
        where = {name: index for index, name in enumerate(columns)}
        names = tuple(dict.fromkeys(rss_names + range_names))
        positions = np.column_stack([
            table[:, where["x_m"]], table[:, where["y_m"]],
            table[:, where["z_m"]] if "z_m" in where else np.full(len(table), self.default_height_m),
        ])
        rss = self.block(table, where, RSS_PREFIX, names)
        ranges = self.block(table, where, RANGE_PREFIX, names) if range_names else None
        if np.all(np.isnan(rss)) and (ranges is None or np.all(np.isnan(ranges))):
            raise self.fail(None, "no transmitter was heard in any sample (every reading is empty)")
        survey = Survey(
            positions=positions,
            point_ids=self.point_ids(labels, positions, "point" in where),
            times_s=table[:, where["t_s"]].copy() if "t_s" in where else None,
            transmitters=names,
            rss_dbm=rss,
            range_m=ranges,
        )
        require_reference_points(survey, min_points, str(self.path))
        return survey

    def header(self, row: list[str], line: int) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
        columns = [cell.strip() for cell in row]
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise self.fail(line, f"column(s) named twice: {', '.join(repeated)}")
        for needed in ("x_m", "y_m"):
            if needed not in columns:
                raise self.fail(line, f"no {needed!r} column (the header must name x_m, y_m and the transmitters' columns)")
        rss_names, range_names = [], []
        for column in columns:
            if column in POSITION_COLUMNS:
                continue
            if column.startswith(RSS_PREFIX):
                rss_names.append(column[len(RSS_PREFIX):])
            elif column.startswith(RANGE_PREFIX):
                range_names.append(column[len(RANGE_PREFIX):])
            else:
                raise self.fail(
                    line, f"unknown column {column[:60]!r} (expected {', '.join(POSITION_COLUMNS)}, "
                    f"{RSS_PREFIX}NAME or {RANGE_PREFIX}NAME)"
                )
        names = list(dict.fromkeys(rss_names + range_names))
        if not names:
            raise self.fail(line, f"no transmitter columns ({RSS_PREFIX}NAME or {RANGE_PREFIX}NAME)")
        if len(names) > MAX_SURVEY_TRANSMITTERS:
            raise self.fail(line, f"{len(names):,} transmitters, more than the {MAX_SURVEY_TRANSMITTERS:,} a survey may have")
        unknown = [name for name in names if name not in self.known]
        if len(unknown) == len(names):
            raise self.fail(
                line, f"none of the survey's transmitters ({_listed(names)}) is a transmitter of the scene "
                f"({_listed(self.known) if self.known else 'it has none'})"
            )
        if unknown:
            raise self.fail(line, f"unknown transmitter {unknown[0][:60]!r}: the scene has {_listed(self.known)}")
        return columns, tuple(rss_names), tuple(range_names)

    def row(self, row: list[str], line: int, header, values: array) -> str:
        """Append the row's numbers to ``values`` (empty readings as NaN) and return its point label."""
        columns = header[0]
        if len(row) != len(columns):
            raise self.fail(line, f"{len(row)} values, but the header has {len(columns)} columns")
        label = ""
        for column, cell in zip(columns, row):
            cell = cell.strip()
            if column == "point":
                if not cell:
                    raise self.fail(line, "the point is empty")
                label = cell
                values.append(0.0)
                continue
            reading = column.startswith((RSS_PREFIX, RANGE_PREFIX))
            if not cell and reading:
                values.append(math.nan)
                continue
            values.append(self.number(cell, column, line))
        return label

    def number(self, cell: str, column: str, line: int) -> float:
        try:
            value = float(cell)
        except ValueError:
            raise self.fail(line, f"{column}: {cell[:40]!r} is not a number") from None
        if not math.isfinite(value):
            raise self.fail(line, f"{column}: {cell[:40]!r} is not a finite number")
        if column.startswith(RSS_PREFIX):
            low, high = RSS_RANGE_DBM
            if not low <= value <= high:
                raise self.fail(line, f"{column}: {value:g} dBm is outside {low:g} to {high:g} dBm")
        elif column.startswith(RANGE_PREFIX):
            if not 0.0 <= value <= MAX_COORDINATE_M:
                raise self.fail(line, f"{column}: {value:g} m is outside 0 to {MAX_COORDINATE_M:g} m")
        elif column != "t_s" and abs(value) > MAX_COORDINATE_M:
            raise self.fail(line, f"{column}: {value:g} m is beyond the {MAX_COORDINATE_M:g} m TwinLoc accepts")
        return value

    def point_ids(self, labels: list[str], positions: np.ndarray, given: bool) -> np.ndarray:
        """(S,) int64: whole-number labels as written, other labels numbered in order of first
        appearance; without a point column, samples at one position are one point."""
        if not given:
            _, ids = np.unique(positions, axis=0, return_inverse=True)
            order = {}  # numbered in order of first appearance, not of sorted position
            return np.array([order.setdefault(i, len(order)) for i in ids.ravel()], dtype=np.int64)
        try:
            return np.array([int(label) for label in labels], dtype=np.int64)
        except (ValueError, OverflowError):
            order = {}
            return np.array([order.setdefault(label, len(order)) for label in labels], dtype=np.int64)

    def block(self, table: np.ndarray, where: dict, prefix: str, names: tuple[str, ...]) -> np.ndarray:
        """(S, T) readings of the ``prefix`` columns in ``names`` order; NaN for a missing column."""
        block = np.full((len(table), len(names)), np.nan)
        for index, name in enumerate(names):
            if prefix + name in where:
                block[:, index] = table[:, where[prefix + name]]
        return block


def _listed(names, most: int = 8) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
