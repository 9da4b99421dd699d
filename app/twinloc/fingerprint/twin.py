"""The twin's training survey: a virtual survey over the whole floor from the twin's radio map,
optionally calibrated on measured reference points first (the twin-aided radio map).

This is what ``--twin only`` trains on and what ``--twin prior`` pre-trains on. The twin's
reference points are the floor grid of the scene's evaluation regions at
:data:`TWIN_SPACING_M`, walked row by row in alternating directions (a lawnmower route, so the
LSTMs see neighbouring points in sequence), at the measured survey's height. Only the
transmitters the measured survey names are simulated, so both surveys have the same columns.

With calibration, the twin's RSS at the measured samples is fitted to the measured RSS
(:func:`twinloc.radio.calibration.calibrate`: per-transmitter offsets, per-material losses),
and what remains is interpolated over the floor (:func:`~twinloc.radio.calibration.twin_aided_map`).
When the survey has ranges they are calibrated the same way
(:func:`~twinloc.radio.calibration.twin_aided_ranges`: scale and bias per transmitter, then the
residual): a twin without the walls between a transmitter and the floor misses their NLOS
excess, which calibration and the residual process recover where the survey went.

kNN with the twin as prior reads the twin's survey and the measured one together; how many
neighbours it averages is chosen by :func:`choose_neighbours`, a cross-validation over the
measured reference points (each held out in turn, the twin calibrated on the others).
:func:`twin_training` does all of it for one run: what ``twinloc fingerprint --twin`` and the
GUI's Model section both call.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.fingerprint.features import aligned_columns
from twinloc.fingerprint.survey import Survey
from twinloc.fingerprint.virtual_survey import virtual_survey
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.radio.calibration import Calibration, RangeCalibration, calibrate, twin_aided_map, twin_aided_ranges
from twinloc.radio.radiomap import RadioSettings, compute_radio_map
from twinloc.radio.transmitters import transmitters_of

if TYPE_CHECKING:
    from twinloc.fingerprint.models import FingerprintSettings

__all__ = ["NEIGHBOUR_CANDIDATES", "TWIN_SPACING_M", "NeighbourChoice", "TwinFloor", "TwinSurvey", "TwinTraining",
           "choose_neighbours", "twin_survey", "twin_training"]

#: Spacing of the twin's reference points, metres: seed 002's RP spacing.
TWIN_SPACING_M = 0.9
#: Samples the virtual survey takes at each of the twin's reference points (seed 002: 10).
TWIN_SAMPLES_PER_POINT = 10
#: The k that :func:`choose_neighbours` tries: from one reference point's samples (a few) to
#: several of the twin's points (tens).
NEIGHBOUR_CANDIDATES = (1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 60)


@dataclass(frozen=True, eq=False)
class TwinSurvey:
    """survey : the twin's virtual survey. calibration : the RSS fit to the measured points, or
    None. range_calibration : the range fit, or None (not calibrated, or the survey has no ranges)."""

    survey: Survey
    calibration: Calibration | None
    range_calibration: RangeCalibration | None = None

    def calibration_report(self) -> dict | None:
        """The fit as the CLI's JSON gives it (None without calibration): ``rms_before_db``,
        ``rms_after_db``, ``links``, and with ranges ``range_rms_before_m``, ``range_rms_after_m``."""
        if self.calibration is None:
            return None
        report = {"rms_before_db": round(self.calibration.rms_before_db, 3),
                  "rms_after_db": round(self.calibration.rms_after_db, 3), "links": self.calibration.links}
        if self.range_calibration is not None:
            report.update(range_rms_before_m=round(self.range_calibration.rms_before_m, 3),
                          range_rms_after_m=round(self.range_calibration.rms_after_m, 3))
        return report


class TwinFloor:
    """The twin's reference points over ``scene``'s floor and its radio map there, computed once,
    for the transmitters of a measured survey; :meth:`survey` samples it, calibrated or not.

    Raises ValueError (at construction) when no transmitter of the scene is in the survey, the
    floor grid is empty, or a frequency is outside a material's validity range.
    """

    def __init__(self, scene, measured: Survey, *, spacing_m: float = TWIN_SPACING_M,
                 geometry: GeometryCache | None = None, cancel: CancelToken | None = None,
                 progress: ProgressFn = report_nothing) -> None:
        names = set(measured.transmitters)
        self.scene = scene
        self.transmitters = tuple(item for item in transmitters_of(scene) if item.name in names)
        if not self.transmitters:
            raise ValueError("none of the survey's transmitters is an access point or anchor of the scene")
        self.names = [item.name for item in self.transmitters]
        height = float(np.median(measured.positions[:, 2]))
        cache = cache_or_new(geometry)
        self.engine = cache.ray_engine(scene)
        grid = cache.floor_grid(scene, spacing_m, height)
        if len(grid.points) == 0:
            raise ValueError(f"the scene's floor grid at {spacing_m:g} m is empty: {grid.empty_reason}")
        self.settings = RadioSettings(receiver_height_m=height)
        self.route = lawnmower_route(grid.points)
        self.radio = compute_radio_map(scene, self.transmitters, self.route, self.settings, self.engine, cancel, progress)
        self._cancel = cancel

    def distances(self, points: np.ndarray) -> np.ndarray:
        """(N, T) straight-line distances from each transmitter, metres."""
        positions = np.array([item.position for item in self.transmitters])
        return np.linalg.norm(points[:, None, :] - positions[None, :, :], axis=2)

    def survey(self, measured: Survey, *, calibrated: bool = False,
               samples_per_point: int = TWIN_SAMPLES_PER_POINT, seed: int = 0) -> TwinSurvey:
        """The virtual survey of the floor, the twin first calibrated on ``measured`` when ``calibrated``.

        Raises ValueError when too few links were heard to calibrate.
        """
        rss, ranges = self.radio.rss_dbm, self.radio.range_m
        calibration = range_calibration = None
        if calibrated:
            unique, which = np.unique(measured.positions, axis=0, return_inverse=True)
            at_survey = compute_radio_map(self.scene, self.transmitters, unique, self.settings, self.engine, self._cancel)
            which = which.ravel()
            at_samples = SimpleNamespace(rss_dbm=at_survey.rss_dbm[which], crossings=at_survey.crossings[which],
                                         material_names=at_survey.material_names, transmitter_names=self.names)
            measured_rss = aligned_columns(measured.rss_dbm, measured.transmitters, self.names, np.nan)
            distance = self.distances(measured.positions)
            calibration = calibrate(at_samples, measured_rss, distance)
            from sklearn.exceptions import ConvergenceWarning

            with warnings.catch_warnings():
                # A residual too small to model pins the process's bounds; the fit is still the
                # best within them, and the CLI's output must stay one report.
                warnings.simplefilter("ignore", ConvergenceWarning)
                aided = twin_aided_map(calibration, measured.positions, at_samples, measured_rss, distance, seed=seed)
                rss = aided.predict(self.route, rss, self.radio.crossings, self.distances(self.route))
                if measured.range_m is not None:
                    measured_ranges = aligned_columns(measured.range_m, measured.transmitters, self.names, np.nan)
                    aided_ranges = twin_aided_ranges(measured.positions, at_survey.range_m[which], measured_ranges,
                                                     self.names, seed=seed)
                    ranges = aided_ranges.predict(self.route, ranges)
                    range_calibration = aided_ranges.calibration
        survey = virtual_survey(self.route, lambda points: (rss, ranges), samples_per_point=samples_per_point,
                                seed=seed, transmitters=self.names)
        return TwinSurvey(survey, calibration, range_calibration)


def twin_survey(
    scene,
    measured: Survey,
    *,
    calibrated: bool = False,
    spacing_m: float = TWIN_SPACING_M,
    samples_per_point: int = TWIN_SAMPLES_PER_POINT,
    seed: int = 0,
    geometry: GeometryCache | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn = report_nothing,
) -> TwinSurvey:
    """The twin's virtual survey of ``scene``'s floor for the transmitters of ``measured``.

    measured : the labelled measured survey: its transmitters and height, and with
        ``calibrated`` the points the twin is calibrated on.

    Raises
    ------
    ValueError
        No transmitter of the scene is in the survey, the floor grid is empty, a frequency
        outside a material's validity range, or too few heard links to calibrate.
    """
    floor = TwinFloor(scene, measured, spacing_m=spacing_m, geometry=geometry, cancel=cancel, progress=progress)
    return floor.survey(measured, calibrated=calibrated, samples_per_point=samples_per_point, seed=seed)


@dataclass(frozen=True)
class NeighbourChoice:
    """neighbours : the chosen k. errors_m : {k: mean error over the held-out samples, metres}."""

    neighbours: int
    errors_m: dict[int, float]


def choose_neighbours(floor: TwinFloor, measured: Survey, settings, *, calibrated: bool = False, seed: int = 0,
                      candidates=NEIGHBOUR_CANDIDATES, cancel: CancelToken | None = None,
                      progress: ProgressFn = report_nothing) -> NeighbourChoice:
    """k of kNN with the twin as prior, by cross-validation grouped by reference point.

    Each of ``measured``'s reference points is held out in turn: the twin is calibrated on the
    others (with ``calibrated``), kNN reads the twin's survey and the other points' samples, and
    places the held-out samples. The k of the least mean error wins (ties: the smaller k); the
    test survey plays no part. Candidates above the reference samples of a fold are skipped.

    settings : the kNN's other settings (its features); with a single reference point there is
    nothing to hold out and its ``neighbours`` stay. Raises ValueError when calibration on the
    other points fails (too few heard links).
    """
    from twinloc.fingerprint.models import fine_tune, fit_fingerprint_model

    points = np.unique(measured.point_ids)
    if len(points) < 2:
        return NeighbourChoice(settings.neighbours, {})
    errors: dict[int, list[np.ndarray]] = {k: [] for k in candidates}
    for index, point in enumerate(points):
        if cancel is not None:
            cancel.raise_if_cancelled()
        held = np.asarray(measured.point_ids == point)
        rest, out = measured.select(~held), measured.select(held)
        virtual = floor.survey(rest, calibrated=calibrated, seed=seed).survey
        for k in candidates:
            if k > virtual.samples + rest.samples:
                continue
            model = fine_tune(fit_fingerprint_model("knn", virtual, replace(settings, neighbours=k)), rest)
            errors[k].append(np.linalg.norm(model.predict(out) - out.positions[:, :2], axis=1))
        progress((index + 1) / len(points), "Choosing k")
    mean = {k: float(np.mean(np.concatenate(e))) for k, e in errors.items() if len(e) == len(points)}
    return NeighbourChoice(min(mean, key=lambda k: (mean[k], k)), mean)


@dataclass(frozen=True, eq=False)
class TwinTraining:
    """What the twin gives a fingerprinting run. twin : its survey (and calibration). settings :
    the model's, k chosen for kNN with the twin as prior. neighbours : that choice, or None."""

    twin: TwinSurvey
    settings: FingerprintSettings
    neighbours: NeighbourChoice | None


def twin_training(scene, labelled: Survey, kind: str, twin: str, settings: FingerprintSettings, *,
                  calibrated: bool = False, seed: int = 0, geometry: GeometryCache | None = None,
                  cancel: CancelToken | None = None, progress: ProgressFn = report_nothing) -> TwinTraining:
    """The twin's survey of ``scene``'s floor for a ``kind`` model trained as ``twin`` says
    ("only" or "prior"), calibrated on ``labelled`` with ``calibrated``; for kNN with the twin
    as prior, k chosen by :func:`choose_neighbours`. What ``twinloc fingerprint --twin`` and the
    GUI's Model section both run.

    Raises ValueError as :class:`TwinFloor` and :meth:`TwinFloor.survey` do.
    """
    choosing = kind == "knn" and twin == "prior"
    split = 0.5 if choosing else 1.0
    floor = TwinFloor(scene, labelled, geometry=geometry, cancel=cancel, progress=scaled_progress(progress, 0.0, split))
    survey = floor.survey(labelled, calibrated=calibrated, seed=seed)
    choice = None
    if choosing:
        choice = choose_neighbours(floor, labelled, settings, calibrated=calibrated, seed=seed, cancel=cancel,
                                   progress=scaled_progress(progress, split, 1.0))
        settings = replace(settings, neighbours=choice.neighbours)
    return TwinTraining(survey, settings, choice)


def lawnmower_route(points: np.ndarray) -> np.ndarray:
    """``points`` (row-major grid cells) reordered row by row, every other row reversed."""
    rows = np.unique(points[:, 1], return_inverse=True)[1].ravel()
    direction = np.where(rows % 2 == 0, 1.0, -1.0)
    return points[np.lexsort((direction * points[:, 0], rows))]
