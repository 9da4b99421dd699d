"""The survey widgets of the Fingerprinting dock: the virtual survey of the plan, and the Survey
section (import a measured survey, its preprocessing report, its points on the floor, calibration)."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QGroupBox, QLabel, QPushButton, QWidget

from twinloc.fingerprint.virtual_survey import MAX_SAMPLES_PER_POINT
from twinloc.gui.features.fingerprint.surveys import SHOWN, SurveyController
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row, int_spin, push_button, quantity_spin


class VirtualSurveyBox(QWidget):
    """Samples per RP, shadowing, noise and seed of a virtual survey along the plan, and its button."""

    def __init__(self, surveys: SurveyController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._surveys = surveys
        self.samples = int_spin(1, MAX_SAMPLES_PER_POINT, 10, "Samples taken at each reference point")
        self.shadowing = quantity_spin(0.0, 30.0, 0.5, 1, " dB")
        self.shadowing.setValue(4.0)
        self.shadowing.setToolTip("Standard deviation of the shadowing of each reference point and transmitter")
        self.noise = quantity_spin(0.0, 30.0, 0.5, 1, " dB")
        self.noise.setValue(2.0)
        self.noise.setToolTip("Standard deviation of the noise of each sample")
        self.seed = int_spin(0, 2**31 - 1, 0, "Seed of the random draws (the same seed gives the same survey)")
        self.run_button = push_button("Virtual Survey", "Sample the twin (calibrated, once calibrated) at every reference point of the plan", self._run)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Samples per RP", self.samples)
        form.addRow("Shadowing", self.shadowing)
        form.addRow("Noise", self.noise)
        form.addRow("Seed", self.seed)
        form.addRow(self.run_button)
        form.addRow(self.summary)
        surveys.virtualChanged.connect(self._show)
        self._show()

    def _run(self) -> None:
        try:
            self._surveys.run_virtual_survey(self.samples.value(), self.shadowing.value(), self.noise.value(), self.seed.value())
        except ValueError as error:
            show_error(self, "Cannot run the virtual survey", str(error))

    def _show(self) -> None:
        virtual = self._surveys.virtual
        self.summary.setText("" if virtual is None else
                             f"Virtual survey: {virtual.samples} samples at {virtual.reference_points} reference points, "
                             f"{len(virtual.transmitters)} transmitters")


class SurveySection(QGroupBox):
    """Import a measured survey, see what preprocessing did, colour its points, calibrate the twin.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, surveys: SurveyController, parent: QWidget | None = None) -> None:
        super().__init__("Survey", parent)
        self._surveys = surveys
        self.import_button = QPushButton("Import Survey CSV…")
        self.import_button.setToolTip("x_m,y_m[,z_m][,point][,t_s] then rss_dbm:NAME / range_m:NAME per transmitter "
                                      "(docs/survey-format.md)")
        self.import_button.clicked.connect(self._import)
        self.report = QLabel()
        self.report.setWordWrap(True)
        self.transmitter = QComboBox()
        self.transmitter.setToolTip("The transmitter whose RSS colours the survey points")
        self.transmitter.currentTextChanged.connect(self._on_transmitter)
        self.shown = QComboBox()
        for key, title in SHOWN.items():
            self.shown.addItem(title, key)
        self.shown.setToolTip("Measured RSS, or measured minus the twin's prediction (before or after calibration)")
        self.shown.currentIndexChanged.connect(self._on_shown)
        self.calibrate_button = push_button("Calibrate", "Fit transmitter offsets and material losses of the twin to the measured RSS", self._calibrate)
        self.calibration = QLabel()
        self.calibration.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(button_row(self.import_button))
        form.addRow(self.report)
        form.addRow("Transmitter", self.transmitter)
        form.addRow("Colour by", self.shown)
        form.addRow(button_row(self.calibrate_button))
        form.addRow(self.calibration)
        surveys.surveyChanged.connect(self._show)
        self._show()

    def import_csv(self, path: str) -> None:
        """Import ``path`` (the button asks for it); a file that cannot be read is reported by the window."""
        self._surveys.import_csv(path)

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import survey", "", "CSV files (*.csv);;All files (*)")
        if path:
            self.import_csv(path)

    def _on_transmitter(self, name: str) -> None:
        if name and name != self._surveys.transmitter:
            self._run(lambda: self._surveys.show(transmitter=name), "Cannot colour the survey points")

    def _on_shown(self, _index: int) -> None:
        shown = self.shown.currentData()
        if shown != self._surveys.shown:
            self._run(lambda: self._surveys.show(shown=shown), "Cannot colour the survey points")

    def _calibrate(self) -> None:
        self._run(self._surveys.calibrate, "Cannot calibrate the twin")

    def _run(self, command, title: str) -> None:
        try:
            command()
        except ValueError as error:
            show_error(self, title, str(error))
            self._show()

    def _show(self) -> None:
        surveys = self._surveys
        measured = surveys.measured
        for widget in (self.transmitter, self.shown, self.calibrate_button):
            widget.setEnabled(measured is not None)
        if measured is None:
            self.report.setText("No measured survey.")
            self.calibration.setText("")
            return
        raw, report = measured.raw, measured.report
        dropped = ", ".join(report.dropped_transmitters) or "none"
        self.report.setText(
            f"<b>{measured.source}</b>: {raw.samples} samples at {raw.reference_points} reference points, "
            f"{len(raw.transmitters)} transmitters.<br>Preprocessing: {report.outliers_replaced} outliers replaced by "
            f"their RP's mean, {report.filled_from_point_mean} missing readings filled from the RP's mean and "
            f"{report.filled_with_floor} with −100 dBm; transmitters dropped as barely heard: {dropped}."
        )
        self.transmitter.blockSignals(True)
        self.shown.blockSignals(True)
        if [self.transmitter.itemText(i) for i in range(self.transmitter.count())] != list(raw.transmitters):
            self.transmitter.clear()
            self.transmitter.addItems(list(raw.transmitters))
        self.transmitter.setCurrentText(surveys.transmitter)
        self.shown.setCurrentIndex(self.shown.findData(surveys.shown))
        self.transmitter.blockSignals(False)
        self.shown.blockSignals(False)
        calibration = surveys.calibration
        if calibration is None:
            self.calibration.setText("Not calibrated.")
            return
        offsets = ", ".join(f"{name} {value:+.1f} dB" for name, value in zip(calibration.transmitter_names, calibration.offsets_db))
        materials = ", ".join(f"{p.name} {p.value:+.1f} dB" for p in calibration.parameters if p.kind == "material" and p.identified)
        lines = [
            f"Residual RMS {calibration.rms_before_db:.2f} dB before, <b>{calibration.rms_after_db:.2f} dB after</b> "
            f"calibration ({calibration.links} heard links).",
            f"Offsets: {offsets}.",
        ]
        if materials:
            lines.append(f"Extra loss per crossing: {materials}.")
        if calibration.exponent_change and math.isfinite(calibration.exponent_change):
            lines.append(f"Path-loss exponent change {calibration.exponent_change:+.2f}.")
        self.calibration.setText("<br>".join(lines))
