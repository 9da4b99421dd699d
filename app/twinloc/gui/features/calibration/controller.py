"""The Calibration feature's commands: measurements, a calibration run, and accepting its materials.

:class:`CalibrationController` is the Qt side of :mod:`twinloc.uwb.calibration`. It keeps the
measurements (a CSV file of ranges or positions, or the SIMULATED site's ranges), runs the
fit as a cancellable task in the long lane, and keeps the last result with the twin it was
fitted to. *Accept* writes the fitted permittivities (and, when fitted, the NLOS bias) into the
project as one undoable edit; every map observes the document's materials and follows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.calibration_jobs import calibration_job, site_ranges_job
from twinloc.gui.document import ProjectDocument
from twinloc.gui.tasks import LONG, JobRunner, Task
from twinloc.uwb.calibration import MaterialCalibration
from twinloc.uwb.measured import MeasuredPoint, MeasuredRanges, load_measurements

SITE_KEY = "calibration_site"
CALIBRATE_KEY = "calibration"


class CalibrationController(QObject):
    """Calibrates a document's materials from measurements.

    Signals
    -------
    measurementsChanged()
        :attr:`measurements` changed (imported, simulated or forgotten).
    siteFailed(str)
        Measuring the simulated site failed; the text says why.
    progress(float, str)
        Progress of the site measurement or of the fit.
    calibrationEnded(str)
        A run ended: "finished", "failed" or "cancelled".
    calibrationChanged()
        :attr:`result` changed, or whether it can still be accepted (:attr:`acceptable`).
    """

    measurementsChanged = Signal()
    siteFailed = Signal(str)
    progress = Signal(float, str)
    calibrationEnded = Signal(str)
    calibrationChanged = Signal()

    def __init__(self, document: ProjectDocument, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self.measurements: MeasuredRanges | list[MeasuredPoint] | None = None
        self.source = ""
        """Where :attr:`measurements` came from: the file's name or "SIMULATED site"."""
        self.result: MaterialCalibration | None = None
        self._fitted_to: tuple | None = None
        self._task: Task | None = None
        for signal in (document.sceneChanged, document.anchorsChanged, document.settingsChanged):
            signal.connect(self._forget_measurements_if_stale)
        for signal in (document.materialsChanged, document.errorMapSettingsChanged):
            signal.connect(self.calibrationChanged)
        self._measured_for = self._layout()

    # ------------------------------------------------------------------ state

    @property
    def running(self) -> bool:
        return self._task is not None

    @property
    def acceptable(self) -> bool:
        """A result fitted to the twin as it is now, with something identifiable to write."""
        return (self.result is not None and self._fitted_to == self._twin()
                and any(material.identifiable for material in self.result.materials.values()))

    @property
    def accepted(self) -> bool:
        """The project holds the result's fitted values (it was accepted, and not undone)."""
        if self.result is None:
            return False
        scene = self._document.scene
        return all(scene.materials[name].relative_permittivity == material.fitted
                   for name, material in self.result.materials.items() if material.identifiable)

    def anchors(self) -> np.ndarray:
        """(A, 3) float64, metres: the document's enabled anchors."""
        return np.array([a.position for a in self._document.project.anchors if a.enabled], dtype=np.float64).reshape(-1, 3)

    def calibratable_materials(self) -> list[str]:
        """Names of the scene's non-opaque materials that some object uses."""
        scene = self._document.scene
        used = dict.fromkeys(obj.material for obj in scene.objects)
        return [name for name in used if not scene.materials[name].opaque]

    # ------------------------------------------------------------------ measurements

    def import_measured(self, path: str | Path) -> None:
        """Read measured ranges or positions from a CSV file (:mod:`twinloc.uwb.measured`).

        Raises ValueError naming the file for a malformed one; the measurements held are kept.
        """
        self.measurements = load_measurements(path)
        self.source = Path(path).name
        self._measured_for = self._layout()
        self.measurementsChanged.emit()

    def simulate_site(self) -> None:
        """Start measuring the SIMULATED site's ranges (the site ``train-mitigation --simulate-site`` measures)."""
        document = self._document
        job = site_ranges_job(document.scene, self._checked_anchors(), document.tag_height_m, document.grid_resolution_m,
                              document.project.error_map.ranging, geometry=document.geometry)
        task = self._runner.submit(job, lane=LONG, key=SITE_KEY, supersede=True)
        layout = self._layout()
        task.progress.connect(self.progress)
        task.finished.connect(lambda measured: self._set_site_measurements(measured, layout))
        task.failed.connect(self.siteFailed)

    # ------------------------------------------------------------------ calibration

    def calibrate(self, materials: list[str], anchor_bias: bool, nlos_bias: bool, seed: int = 0) -> None:
        """Start fitting ``materials`` (and the biases asked for) to the measurements.

        Raises ValueError without measurements, without materials, or while a run goes on.
        """
        if self.measurements is None:
            raise ValueError("Import measured ranges or positions, or simulate the site, first.")
        if not materials:
            raise ValueError("Choose at least one material to calibrate.")
        if self._task is not None:
            raise ValueError("A calibration is running; wait for it or cancel it.")
        anchors = self._checked_anchors()
        document = self._document
        twin = self._twin()
        job = calibration_job(document.scene, anchors, document.tag_height_m, self.measurements, document.geometry,
                              materials=list(materials), anchor_bias=anchor_bias, nlos_bias=nlos_bias,
                              ranging=document.project.error_map.ranging, seed=seed)
        task = self._task = self._runner.submit(job, lane=LONG, key=CALIBRATE_KEY, supersede=True)
        task.progress.connect(self.progress)
        task.finished.connect(lambda result: self._on_calibrated(result, twin))
        task.failed.connect(lambda _message: self._end("failed"))
        task.cancelled.connect(lambda: self._end("cancelled"))

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def accept(self) -> None:
        """Write the identifiable fitted permittivities (and a fitted NLOS bias) into the project: one undo step.

        Raises ValueError when there is nothing to accept or the twin changed since the fit.
        """
        if not self.acceptable:
            raise ValueError("There is no calibration of the twin as it is now to accept; calibrate first.")
        scene, result = self._document.scene, self.result
        materials = {name: dataclasses.replace(scene.materials[name], relative_permittivity=material.fitted)
                     for name, material in result.materials.items() if material.identifiable}
        ranging = self._document.project.error_map.ranging
        fitted_ranging = result.calibrated_ranging(ranging)
        self._document.set_materials(materials, "Calibrate materials",
                                     fitted_ranging if fitted_ranging != ranging else None)

    # ------------------------------------------------------------------ internals

    def _checked_anchors(self) -> np.ndarray:
        anchors = self.anchors()
        if len(anchors) == 0:
            raise ValueError("Enable at least one anchor: calibration compares the ranges to the anchors.")
        return anchors

    def _layout(self) -> tuple:
        """What measurements belong to: the scene's geometry, the anchors and the tag height."""
        document = self._document
        return document.scene.geometry_hash(), self.anchors().tobytes(), document.tag_height_m

    def _twin(self) -> tuple:
        """What a calibration belongs to: the layout, the materials and the ranging model."""
        document = self._document
        return self._layout(), document.scene.content_hash(), document.project.error_map.ranging

    def _set_site_measurements(self, measured: MeasuredRanges, layout: tuple) -> None:
        if layout != self._layout():
            return  # the anchors or the scene changed while the site was measured
        self.measurements, self.source, self._measured_for = measured, "SIMULATED site", layout
        self.measurementsChanged.emit()

    def _forget_measurements_if_stale(self) -> None:
        if self.measurements is not None and self._measured_for != self._layout():
            self.measurements, self.source = None, ""
            self.measurementsChanged.emit()
        self.calibrationChanged.emit()

    def _on_calibrated(self, result: MaterialCalibration, twin: tuple) -> None:
        self.result, self._fitted_to = result, twin
        self._end("finished")
        self.calibrationChanged.emit()

    def _end(self, outcome: str) -> None:
        self._task = None
        self.calibrationEnded.emit(outcome)
