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
Ranges are not calibrated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.fingerprint.features import aligned_columns
from twinloc.fingerprint.survey import Survey
from twinloc.fingerprint.virtual_survey import virtual_survey
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.radio.calibration import Calibration, calibrate, twin_aided_map
from twinloc.radio.radiomap import RadioSettings, compute_radio_map
from twinloc.radio.transmitters import transmitters_of

__all__ = ["TWIN_SPACING_M", "TwinSurvey", "twin_survey"]

#: Spacing of the twin's reference points, metres: seed 002's RP spacing.
TWIN_SPACING_M = 0.9
#: Samples the virtual survey takes at each of the twin's reference points (seed 002: 10).
TWIN_SAMPLES_PER_POINT = 10


@dataclass(frozen=True, eq=False)
class TwinSurvey:
    """survey : the twin's virtual survey. calibration : the fit to the measured points, or None."""

    survey: Survey
    calibration: Calibration | None


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
    names = set(measured.transmitters)
    transmitters = tuple(item for item in transmitters_of(scene) if item.name in names)
    if not transmitters:
        raise ValueError("none of the survey's transmitters is an access point or anchor of the scene")
    height = float(np.median(measured.positions[:, 2]))
    cache = cache_or_new(geometry)
    engine = cache.ray_engine(scene)
    grid = cache.floor_grid(scene, spacing_m, height)
    if len(grid.points) == 0:
        raise ValueError(f"the scene's floor grid at {spacing_m:g} m is empty: {grid.empty_reason}")
    route = _lawnmower(grid.points)
    settings = RadioSettings(receiver_height_m=height)
    positions = np.array([item.position for item in transmitters])

    def distances(points: np.ndarray) -> np.ndarray:
        return np.linalg.norm(points[:, None, :] - positions[None, :, :], axis=2)

    aided = None
    if calibrated:
        unique, which = np.unique(measured.positions, axis=0, return_inverse=True)
        at_survey = compute_radio_map(scene, transmitters, unique, settings, engine, cancel,
                                      scaled_progress(progress, 0.0, 0.3))
        which = which.ravel()
        twin_at_samples = SimpleNamespace(rss_dbm=at_survey.rss_dbm[which], crossings=at_survey.crossings[which],
                                          material_names=at_survey.material_names,
                                          transmitter_names=at_survey.transmitter_names)
        measured_rss = aligned_columns(measured.rss_dbm, measured.transmitters, [item.name for item in transmitters],
                                       np.nan)
        distance = distances(measured.positions)
        calibration = calibrate(twin_at_samples, measured_rss, distance)
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            # A residual too small to model pins the process's bounds; the fit is still the
            # best within them, and the CLI's output must stay one report.
            warnings.simplefilter("ignore", ConvergenceWarning)
            aided = twin_aided_map(calibration, measured.positions, twin_at_samples, measured_rss, distance, seed=seed)
        progress = scaled_progress(progress, 0.3, 1.0)

    def predict(points: np.ndarray) -> Any:
        radio = compute_radio_map(scene, transmitters, points, settings, engine, cancel, progress)
        if aided is None:
            return radio
        return aided.predict(points, radio.rss_dbm, radio.crossings, distances(points)), radio.range_m

    survey = virtual_survey(route, predict, samples_per_point=samples_per_point, seed=seed,
                            transmitters=[item.name for item in transmitters])
    return TwinSurvey(survey, None if aided is None else aided.calibration)


def _lawnmower(points: np.ndarray) -> np.ndarray:
    """``points`` (row-major grid cells) reordered row by row, every other row reversed."""
    rows = np.unique(points[:, 1], return_inverse=True)[1].ravel()
    direction = np.where(rows % 2 == 0, 1.0, -1.0)
    return points[np.lexsort((direction * points[:, 0], rows))]

