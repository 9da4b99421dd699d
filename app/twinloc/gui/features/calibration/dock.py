"""The Calibration dock: measurements, the materials to fit, the fit's table and residuals, Accept.

A view of :class:`~twinloc.gui.features.calibration.controller.CalibrationController`: buttons
call it, its signals refresh the labels, the table and the plot. Measurements of the simulated
site are labelled SIMULATED wherever they appear.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QFileDialog,
    QGroupBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinloc.gui.features.calibration.controller import CalibrationController
from twinloc.gui.features.calibration.plots import ResidualPlot
from twinloc.gui.widgets.dialogs import attempt, show_error
from twinloc.gui.widgets.forms import button_row, fit_rows, push_button, scroll_column
from twinloc.uwb.measured import MeasuredRanges

TABLE_COLUMNS = ("Preset ε", "Fitted ε", "95% CI", "Identified")
SIMULATED_STYLE = "color: #b45309; font-weight: bold;"
_ENDED_TEXT = {"failed": "Calibration failed.", "cancelled": "Calibration cancelled."}


class CalibrationDock(QDockWidget):
    """Dock controlling a :class:`CalibrationController`.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, controller: CalibrationController, parent: QWidget | None = None) -> None:
        super().__init__("Calibration", parent)
        self.setObjectName("CalibrationDock")
        self._controller = controller
        self.setWidget(scroll_column(self._build_data_group(), self._build_fit_group(), self._build_results_group()))
        controller.measurementsChanged.connect(self._show_measurements)
        controller.siteFailed.connect(lambda message: show_error(self, "Cannot simulate the site", message))
        controller.progress.connect(self._on_progress)
        controller.calibrationEnded.connect(self._on_ended)
        controller.calibrationChanged.connect(self._show_result)
        self._show_measurements()
        self._show_result()

    # ------------------------------------------------------------------ construction

    def _build_data_group(self) -> QGroupBox:
        self.import_button = push_button(
            "Import measured CSV…", "Ranges per anchor (true_x,true_y,range_1,...) or positions "
            "(true_x,true_y,measured_x,measured_y); see the user guide", self._import_measured)
        self.simulate_button = push_button(
            "Simulate site", "Measure the SIMULATED physical site (permittivities x1.3, an unmodelled column, "
            "more noise): the site the Training dock simulates", self.simulate_site)
        self.measurements_label = QLabel()
        self.measurements_label.setWordWrap(True)
        group = QGroupBox("Measurements")
        layout = QVBoxLayout(group)
        layout.addLayout(button_row(self.import_button, self.simulate_button))
        layout.addWidget(self.measurements_label)
        return group

    def _build_fit_group(self) -> QGroupBox:
        self.materials_list = QListWidget()
        self.materials_list.setToolTip("Materials whose permittivity is fitted; the others keep their values")
        self.materials_list.setMaximumHeight(90)
        self.anchor_bias_check = QCheckBox("Fit a range bias per anchor")
        self.anchor_bias_check.setToolTip("A constant offset of each anchor's ranges (cable, antenna delay)")
        self.nlos_bias_check = QCheckBox("Fit the NLOS bias")
        self.nlos_bias_check.setToolTip("The ranging model's mean NLOS bias; left fixed, a wrong bias shifts the "
                                        "permittivities to make up for it")
        self.calibrate_button = push_button("Calibrate", "Fit the chosen materials to the measurements", self.calibrate)
        self.cancel_button = push_button("Cancel", "Stop the fit", self._controller.cancel)
        self.cancel_button.setEnabled(False)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(12)
        self.status_label = QLabel("Not calibrated yet.")
        self.status_label.setWordWrap(True)
        group = QGroupBox("Fit")
        layout = QVBoxLayout(group)
        layout.addWidget(self.materials_list)
        layout.addWidget(self.anchor_bias_check)
        layout.addWidget(self.nlos_bias_check)
        layout.addLayout(button_row(self.calibrate_button, self.cancel_button))
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        return group

    def _build_results_group(self) -> QGroupBox:
        self.results_table = QTableWidget(0, len(TABLE_COLUMNS))
        self.results_table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.results_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        fit_rows(self.results_table, 4)
        self.biases_label = QLabel()
        self.biases_label.setWordWrap(True)
        self.residual_plot = ResidualPlot()
        self.accept_button = push_button("Accept", "Write the fitted permittivities into the project (one undo step); "
                                         "every map follows", self.accept)
        group = QGroupBox("Fitted against preset")
        layout = QVBoxLayout(group)
        layout.addWidget(self.results_table)
        layout.addWidget(self.biases_label)
        layout.addWidget(self.residual_plot)
        layout.addLayout(button_row(self.accept_button))
        return group

    # ------------------------------------------------------------------ commands

    def import_measured(self, path: str) -> None:
        if attempt(self, "Cannot import the measurements", lambda: self._controller.import_measured(path)):
            self.message.emit(f"Imported {Path(path).name}")

    def simulate_site(self) -> None:
        attempt(self, "Cannot simulate the site", self._controller.simulate_site)

    def calibrate(self) -> None:
        materials = [item.text() for item in self._material_items() if item.checkState() == Qt.CheckState.Checked]
        anchor_bias, nlos_bias = self.anchor_bias_check.isChecked(), self.nlos_bias_check.isChecked()
        if attempt(self, "Cannot calibrate", lambda: self._controller.calibrate(materials, anchor_bias, nlos_bias)):
            self.progress_bar.setValue(0)
            self.status_label.setText("Calibrating…")
            self._set_running(True)

    def accept(self) -> None:
        if attempt(self, "Cannot accept the calibration", self._controller.accept):
            self.message.emit("Calibrated materials written into the project (Undo takes them back)")

    # ------------------------------------------------------------------ refreshing

    def _show_measurements(self) -> None:
        measurements = self._controller.measurements
        simulated = self._controller.source == "SIMULATED site"
        if measurements is None:
            self.measurements_label.setText("No measurements yet.")
        elif isinstance(measurements, MeasuredRanges):
            links = int((measurements.readings > 0).sum())
            self.measurements_label.setText(f"{self._controller.source}: ranges at {len(measurements.true)} points, "
                                            f"{links} measured links.")
        else:
            self.measurements_label.setText(f"{self._controller.source}: positions at {len(measurements)} points.")
        self.measurements_label.setStyleSheet(SIMULATED_STYLE if simulated and measurements is not None else "")
        if not self._controller.running:
            self.progress_bar.setValue(0)
            self.status_label.setText("Choose the materials and calibrate." if measurements is not None else "Not calibrated yet.")

    def _show_materials(self) -> None:
        checked = {item.text() for item in self._material_items() if item.checkState() == Qt.CheckState.Checked}
        names = self._controller.calibratable_materials()
        self.materials_list.clear()
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in checked or not checked else Qt.CheckState.Unchecked)
            self.materials_list.addItem(item)

    def _show_result(self) -> None:
        controller, result = self._controller, self._controller.result
        self._show_materials()
        self.accept_button.setEnabled(controller.acceptable and not controller.running)
        if result is None:
            self.results_table.setRowCount(0)
            self.biases_label.setText("")
            self.residual_plot.clear()
            return
        self.results_table.setRowCount(len(result.materials))
        self.results_table.setVerticalHeaderLabels(list(result.materials))
        for row, material in enumerate(result.materials.values()):
            low, high = material.ci95
            cells = (f"{material.preset:.3f}", f"{material.fitted:.3f}",
                     f"{low:.3f} – {high:.3f}" if math.isfinite(low) else "–", "yes" if material.identifiable else "no")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if not material.identifiable:
                    item.setToolTip(material.reason)
                self.results_table.setItem(row, column, item)
        fit_rows(self.results_table, max(len(result.materials), 1))
        self.biases_label.setText(self._biases_text(result))
        self.residual_plot.show_result(result)

    def _biases_text(self, result) -> str:
        parts = [f"Residual rms {_cm(result.residual_rms_before_m)} → {_cm(result.residual_rms_after_m)} "
                 f"over {result.links} measured {'links' if result.measured == 'ranges' else 'links (as positions)'}."]
        if math.isfinite(result.nlos_bias_ci95_m[0]):
            parts.append(f"NLOS bias {_cm(result.nlos_bias_m)}.")
        if math.isfinite(result.anchor_bias_ci95_m[0, 0]):
            parts.append("Anchor biases " + ", ".join(f"A{k + 1} {_cm(v)}" for k, v in enumerate(result.anchor_bias_m)) + ".")
        unidentified = [m.reason for m in result.materials.values() if not m.identifiable]
        if unidentified:
            parts.append("Kept at their values: " + "; ".join(unidentified) + ".")
        if self._controller.accepted:
            parts.append("Accepted: the project uses the fitted values.")
        return " ".join(parts)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress_bar.setValue(round(1000 * fraction))
        self.status_label.setText(text)

    def _on_ended(self, outcome: str) -> None:
        self._set_running(False)
        if outcome == "finished":
            self.progress_bar.setValue(1000)
            self.status_label.setText(f"Calibrated from {self._controller.source}.")
            self.message.emit("Calibration finished")
        else:
            self.status_label.setText(_ENDED_TEXT.get(outcome, outcome))

    def _set_running(self, running: bool) -> None:
        self.calibrate_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.import_button.setEnabled(not running)
        self.simulate_button.setEnabled(not running)
        self.accept_button.setEnabled(not running and self._controller.acceptable)

    def _material_items(self) -> list[QListWidgetItem]:
        return [self.materials_list.item(row) for row in range(self.materials_list.count())]

    def _import_measured(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import measurements", "", "CSV files (*.csv);;All files (*)")
        if path:
            self.import_measured(path)


def _cm(metres: float) -> str:
    return f"{100 * metres:.1f} cm"
