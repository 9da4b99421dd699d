"""The surveys of the Fingerprinting feature: a measured survey imported from CSV, a virtual
survey sampled from the twin along the plan, and the twin calibrated to the measured one.

:class:`SurveyController` runs every step in the long lane: importing (read and seed-002
preprocessing), the virtual survey, the twin at the surveyed reference points (for the
residuals) and the calibration. A file that cannot be read fails its task (the window shows
why) and leaves the survey held before in place; nothing here is part of the project. What
the survey layer shows (a transmitter, measured RSS or a residual) is view state kept here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.jobs import Job
from twinloc.fingerprint.preprocessing import PreprocessReport, preprocess
from twinloc.fingerprint.survey import Survey, read_survey_csv
from twinloc.fingerprint.virtual_survey import virtual_survey
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.fingerprint.plan import PlanController
from twinloc.gui.features.fingerprint.radio import RadioMapController, twin_scene
from twinloc.gui.tasks import LONG, JobRunner
from twinloc.radio.calibration import Calibration, calibrate

if TYPE_CHECKING:
    from twinloc.radio.radiomap import RadioMap

IMPORT_KEY, VIRTUAL_KEY, TWIN_KEY, CALIBRATE_KEY = "survey_import", "virtual_survey", "survey_twin", "calibration"
#: What the survey layer shows per reference point: key -> its legend title.
SHOWN = {
    "measured": "Measured RSS (dBm)",
    "residual": "Measured − twin (dB)",
    "calibrated": "Measured − calibrated twin (dB)",
}


@dataclass(frozen=True, eq=False)
class PointMeans:
    """A survey reduced to its reference points.

    positions : (P, 3) metres, the mean position of each point's samples.
    rss_dbm : (P, T) dBm, the mean of each transmitter's heard samples; NaN where never heard.
    """

    positions: np.ndarray
    rss_dbm: np.ndarray


def point_means(survey: Survey) -> PointMeans:
    """The mean position and heard RSS of each reference point of ``survey``, in point id order."""
    _ids, owner = np.unique(survey.point_ids, return_inverse=True)
    count = owner.max() + 1 if len(owner) else 0
    samples = np.bincount(owner, minlength=count)[:, None]
    positions = np.zeros((count, 3))
    np.add.at(positions, owner, survey.positions)
    heard = np.isfinite(survey.rss_dbm)
    totals = np.zeros((count, survey.rss_dbm.shape[1]))
    np.add.at(totals, owner, np.where(heard, survey.rss_dbm, 0.0))
    hits = np.zeros_like(totals)
    np.add.at(hits, owner, heard)
    with np.errstate(invalid="ignore", divide="ignore"):
        rss = np.where(hits > 0, totals / hits, np.nan)
    return PointMeans(positions / samples, rss)


@dataclass(frozen=True, eq=False)
class Imported:
    """A measured survey as read (``raw``: NaN where not heard), preprocessed (``survey``), and the report."""

    raw: Survey
    survey: Survey
    report: PreprocessReport
    source: str


@dataclass(frozen=True, eq=False)
class TwinAtPoints:
    """The twin at the measured survey's reference points, columns in the survey's transmitter order."""

    radio_map: RadioMap
    distance_m: np.ndarray


class SurveyController(QObject):
    """Measured and virtual surveys for a document, and the twin calibrated to the measured one.

    Signals
    -------
    surveyChanged()
        :attr:`measured`, :attr:`twin`, :attr:`calibration` or the shown view changed.
    virtualChanged()
        :attr:`virtual` changed.
    """

    surveyChanged = Signal()
    virtualChanged = Signal()

    def __init__(self, document: ProjectDocument, runner: JobRunner, radio: RadioMapController, plan: PlanController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._radio = radio
        self._plan = plan
        self.measured: Imported | None = None
        self.virtual: Survey | None = None
        self.twin: TwinAtPoints | None = None
        self.calibration: Calibration | None = None
        self.transmitter = ""
        self.shown = "measured"
        document.sceneChanged.connect(self._forget)

    # ------------------------------------------------------------------ the measured survey

    def import_csv(self, path: str | Path) -> None:
        """Start reading and preprocessing a survey CSV (docs/survey-format.md) in the long lane."""
        scene, path = twin_scene(self._document), Path(path)

        def run(progress, cancel) -> Imported:
            progress(0.0, f"Reading {path.name}")
            raw = read_survey_csv(path, scene)
            cancel.raise_if_cancelled()
            progress(0.8, "Preprocessing")
            survey, report = preprocess(raw)
            return Imported(raw, survey, report, path.name)

        task = self._runner.submit(Job("Survey import", run), lane=LONG, key=IMPORT_KEY, supersede=True)
        task.finished.connect(self._on_imported)

    def _on_imported(self, imported: Imported) -> None:
        self.measured, self.twin, self.calibration = imported, None, None
        if self.transmitter not in imported.raw.transmitters:
            self.transmitter = imported.raw.transmitters[0]
        self.shown = "measured"
        self.surveyChanged.emit()

    def point_values(self) -> np.ndarray | None:
        """(P,) per reference point of the measured survey: what :attr:`shown` says for
        :attr:`transmitter` (NaN where not heard), or None when it is not available yet."""
        if self.measured is None or self.transmitter not in self.measured.raw.transmitters:
            return None
        column = self.measured.raw.transmitters.index(self.transmitter)
        measured = point_means(self.measured.raw).rss_dbm[:, column]
        if self.shown == "measured":
            return measured
        if self.twin is None or (self.shown == "calibrated" and self.calibration is None):
            return None
        twin = self._twin_rss(calibrated=self.shown == "calibrated")
        return measured - twin[:, column]

    def show(self, transmitter: str | None = None, shown: str | None = None) -> None:
        """Colour the survey points another way; a residual needs the twin at the points (computed first)."""
        shown = self.shown if shown is None else shown
        if shown != "measured" and self.twin is None and self.measured is not None:
            self._compute_twin(then_calibrate=False)  # may refuse: nothing changes then
        self.transmitter = self.transmitter if transmitter is None else transmitter
        self.shown = shown
        self.surveyChanged.emit()

    # ------------------------------------------------------------------ calibration

    def calibrate(self) -> None:
        """Start fitting the twin to the measured survey (the twin at its points is computed first).

        Raises
        ------
        ValueError
            No measured survey.
        """
        if self.measured is None:
            raise ValueError("Import a measured survey first: the twin is calibrated to its RSS.")
        self._compute_twin(then_calibrate=True)

    def _compute_twin(self, then_calibrate: bool) -> None:
        raw = self.measured.raw
        names = raw.transmitters
        by_name = {t.name: t for t in self._radio.transmitters()}
        missing = [name for name in names if name not in by_name]
        if missing:
            raise ValueError(f"The survey's transmitters {', '.join(missing)} are not in the twin: "
                             "enable them or add them as access points.")
        transmitters = tuple(by_name[name] for name in names)
        scene, settings, geometry = twin_scene(self._document), self._radio.view.settings, self._document.geometry
        means = point_means(raw)

        def run(progress, cancel):
            from twinloc.radio.radiomap import compute_radio_map

            progress(0.0, "The twin at the survey points")
            computed = compute_radio_map(scene, transmitters, means.positions, settings, geometry.ray_engine(scene),
                                         cancel=cancel)
            # Calibration fits heard links only: a link no path reaches is not a prediction of -250 dBm.
            radio_map = dataclasses.replace(computed, rss_dbm=np.where(computed.reached, computed.rss_dbm, np.nan))
            sources = np.array([t.position for t in transmitters], dtype=np.float64)
            distance = np.linalg.norm(means.positions[:, None, :] - sources[None, :, :], axis=2)
            twin = TwinAtPoints(radio_map, distance)
            if not then_calibrate:
                return twin, None
            progress(0.8, "Calibrating")
            return twin, calibrate(radio_map, means.rss_dbm, distance, names)

        name, key = ("Calibration", CALIBRATE_KEY) if then_calibrate else ("Twin at the survey points", TWIN_KEY)
        task = self._runner.submit(Job(name, run), lane=LONG, key=key, supersede=True)
        task.finished.connect(self._on_twin)

    def _on_twin(self, result) -> None:
        self.twin, calibration = result
        if calibration is not None:
            self.calibration = calibration
            self.shown = "calibrated"
        self.surveyChanged.emit()

    def _twin_rss(self, calibrated: bool) -> np.ndarray:
        radio_map = self.twin.radio_map
        rss = radio_map.rss_dbm
        if calibrated:
            return self.calibration.apply(rss, radio_map.crossings, self.twin.distance_m)
        return rss

    # ------------------------------------------------------------------ the virtual survey

    def run_virtual_survey(self, samples_per_point: int, shadowing_db: float, noise_db: float, seed: int) -> None:
        """Start sampling the twin at every reference point of the plan (the calibrated twin
        when there is a calibration of the same transmitters).

        Raises
        ------
        ValueError
            No plan, or no transmitter in the twin.
        """
        plan = self._plan.plan
        if plan is None:
            raise ValueError("Plan the reference points first: the virtual survey walks the plan.")
        transmitters = self._radio.transmitters()
        if not transmitters:
            raise ValueError("The twin has no transmitter: add an access point or enable an anchor.")
        names = tuple(t.name for t in transmitters)
        calibration = self.calibration if self.calibration is not None and self.calibration.transmitter_names == names else None
        scene, settings, geometry = twin_scene(self._document), self._radio.view.settings, self._document.geometry
        sources = np.array([t.position for t in transmitters], dtype=np.float64)
        positions = plan.positions

        def run(progress, cancel) -> Survey:
            from twinloc.radio.radiomap import compute_radio_map

            progress(0.0, "Sampling the twin along the plan")
            engine = geometry.ray_engine(scene)

            def predict(points: np.ndarray):
                radio_map = compute_radio_map(scene, transmitters, points, settings, engine, cancel=cancel)
                rss = np.where(radio_map.reached, radio_map.rss_dbm, np.nan)
                if calibration is not None:
                    distance = np.linalg.norm(points[:, None, :] - sources[None, :, :], axis=2)
                    rss = calibration.apply(rss, radio_map.crossings, distance)
                return rss, radio_map.range_m

            return virtual_survey(positions, predict, samples_per_point=int(samples_per_point), shadowing_db=float(shadowing_db),
                                  noise_db=float(noise_db), seed=int(seed), transmitters=names)

        task = self._runner.submit(Job("Virtual survey", run), lane=LONG, key=VIRTUAL_KEY, supersede=True)
        task.finished.connect(self._on_virtual)

    def _on_virtual(self, survey: Survey) -> None:
        self.virtual = survey
        self.virtualChanged.emit()

    # ------------------------------------------------------------------ lifetime

    def stop(self) -> None:
        """Stop every task for good (the window is closing)."""
        for key in (IMPORT_KEY, VIRTUAL_KEY, TWIN_KEY, CALIBRATE_KEY):
            self._runner.cancel(key)

    def _forget(self) -> None:
        """Surveys belong to a site: another scene drops them."""
        if self.virtual is not None:
            self.virtual = None
            self.virtualChanged.emit()
        if self.measured is not None:
            self.measured, self.twin, self.calibration = None, None, None
            self.surveyChanged.emit()
