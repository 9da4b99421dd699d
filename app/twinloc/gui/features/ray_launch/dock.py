"""The Ray Launch dock: base stations, the UE, reverse-ray-tracing settings, and batch evaluation.

Base stations are document state: table edits go through
``ProjectDocument.replace_base_stations`` (undoable) and the table is refreshed from the
document with its signals blocked, so edits never loop. The UE position and the settings
belong to the :class:`RayLaunchController`, which reruns when they change.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.ray_launch.controller import FUSIONS, LocateFailure, RayLaunchController, RayLaunchSettings
from twinloc.gui.viewport.rays import station_color
from twinloc.gui.widgets.cdf_plot import CdfPlot
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row, push_button, quantity_spin, scroll_column
from twinloc.model.devices import BaseStation
from twinloc.studies import SCHEDULER_CHOICES

#: The batch evaluation's choices of where to run (a typed address is a third).
SCHEDULERS = (("In this process", "none"), ("Worker processes, one per core", "local"))

_AXES = ("x", "y", "z")
_DEFAULT_STATION_HEIGHT_M = 2.4


class RayLaunchDock(QDockWidget):
    """Dock controlling a :class:`RayLaunchController`.

    Parameters
    ----------
    document : ProjectDocument
    controller : RayLaunchController
    show_action : QAction
        The checkable action that shows the controller in the viewport (View ▸ Ray Launch Overlay).

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, document: ProjectDocument, controller: RayLaunchController, show_action: QAction, parent: QWidget | None = None) -> None:
        super().__init__("Ray Launch", parent)
        self.setObjectName("RayLaunchDock")
        self._document = document
        self._controller = controller
        self._show_action = show_action

        self.show_in_view = QCheckBox("Show in the viewport")
        self.show_in_view.setToolTip("Draw the base stations, the UE marker (drag it) and the last result")
        self.show_in_view.toggled.connect(show_action.setChecked)
        show_action.toggled.connect(self._on_action_toggled)

        self.setWidget(
            scroll_column(
                self.show_in_view,
                self._build_stations_group(),
                self._build_ue_group(),
                self._build_settings_group(),
                self._build_evaluation_group(),
            )
        )

        document.baseStationsChanged.connect(self._show_stations)
        document.sceneChanged.connect(self._show_stations)
        controller.ueChanged.connect(self._show_ue)
        controller.updated.connect(self._show_result)
        controller.evaluated.connect(self.cdf_plot.show_evaluation)
        controller.evaluated.connect(lambda _e: self._enable_exports(True))
        controller.evaluationProgress.connect(self._on_evaluation_progress)
        controller.evaluationEnded.connect(self._on_evaluation_ended)
        controller.dashboardLinked.connect(self._show_dashboard)
        self._show_stations()
        self._show_ue(tuple(controller.ue))
        self._show_settings(controller.settings)

    # ------------------------------------------------------------------ construction

    def _build_stations_group(self) -> QGroupBox:
        self.station_table = QTableWidget(0, 4)
        self.station_table.setHorizontalHeaderLabels(["Base station", "x (m)", "y (m)", "z (m)"])
        self.station_table.verticalHeader().setVisible(False)
        self.station_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.station_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.station_table.setMinimumHeight(140)
        self.station_table.itemChanged.connect(self._on_station_edited)
        self.add_station_button = push_button("Add", "Add a base station in the middle of the scene", self.add_station)
        self.remove_station_button = push_button("Remove", "Remove the selected base stations", self.remove_selected_stations)
        buttons = button_row(self.add_station_button, self.remove_station_button)
        group = QGroupBox("Base stations")
        layout = QVBoxLayout(group)
        layout.addWidget(self.station_table)
        layout.addLayout(buttons)
        return group

    def _build_ue_group(self) -> QGroupBox:
        self.ue_spins = []
        row = QHBoxLayout()
        for axis in _AXES:
            spin = quantity_spin(-1000.0, 1000.0, 0.1, 2, " m")
            spin.setToolTip(f"True UE {axis}, metres (or drag the green marker in the viewport)")
            spin.editingFinished.connect(self._on_ue_edited)
            row.addWidget(QLabel(axis))
            row.addWidget(spin, 1)
            self.ue_spins.append(spin)
        group = QGroupBox("UE (truth)")
        group.setLayout(row)
        return group

    def _build_settings_group(self) -> QGroupBox:
        self.aoa_sigma = quantity_spin(0.0, 90.0, 0.05, 2, "°")
        self.aoa_sigma.setToolTip("AoA noise sigma_eta on azimuth and elevation, degrees")
        self.fusion_combo = QComboBox()
        for key, label in FUSIONS.items():
            self.fusion_combo.addItem(label, key)
        self.fusion_combo.setToolTip("Down-select the points by propagation time (PT) or relative propagation time (RPT)")
        self.time_sigma = quantity_spin(0.0, 100.0, 0.05, 2, " m")
        self.time_sigma.setToolTip("Noise of the (relative) propagation time, metres")
        self.rays = QSpinBox()
        self.rays.setRange(10, 1_000_000)
        self.rays.setSingleStep(500)
        self.rays.setToolTip("Rays launched per base station")
        self.bounces = QSpinBox()
        self.bounces.setRange(0, 6)
        self.bounces.setToolTip("Specular reflections per ray")
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("2D (known UE height)", "2d")
        self.mode_combo.addItem("3D", "3d")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seeds the measurement noise and the launching")
        for widget in (self.aoa_sigma, self.time_sigma):
            widget.editingFinished.connect(self._on_settings_edited)
        for widget in (self.rays, self.bounces, self.seed):
            widget.editingFinished.connect(self._on_settings_edited)
        for combo in (self.fusion_combo, self.mode_combo):
            combo.currentIndexChanged.connect(self._on_settings_edited)

        self.run_button = push_button("Run", "Simulate the UE's measurements and locate it by reverse ray tracing", self.run)
        self.draw_rays = QCheckBox("Draw launched rays")
        self.draw_rays.setChecked(True)
        self.draw_rays.setToolTip("Draw up to 120 launched rays per base station (off: see the point clouds better)")
        self.draw_rays.toggled.connect(self._controller.set_rays_drawn)
        self.result_label = QLabel("Not run yet.")
        self.result_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("AoA σ", self.aoa_sigma)
        form.addRow("Fusion", self.fusion_combo)
        form.addRow("PT/RPT σ", self.time_sigma)
        form.addRow("Rays per BS", self.rays)
        form.addRow("Bounces", self.bounces)
        form.addRow("Mode", self.mode_combo)
        form.addRow("Seed", self.seed)
        form.addRow(self.run_button)
        form.addRow(self.draw_rays)
        form.addRow(self.result_label)
        group = QGroupBox("Reverse ray tracing")
        group.setLayout(form)
        return group

    def _build_evaluation_group(self) -> QGroupBox:
        self.drops = QSpinBox()
        self.drops.setRange(1, 100_000)
        self.drops.setValue(50)
        self.drops.setToolTip("Random UE drops in the scene's free space")
        self.sigma_list = QLineEdit("0.25, 1")
        self.sigma_list.setToolTip("AoA sigma values to evaluate, degrees, separated by commas")
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.clicked.connect(self.evaluate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._controller.cancel_evaluation)
        self.evaluation_bar = QProgressBar()
        self.evaluation_bar.setRange(0, 1000)
        self.evaluation_bar.setTextVisible(False)
        self.evaluation_bar.setFixedHeight(10)
        self.evaluation_label = QLabel("")
        self.scheduler_combo = QComboBox()
        self.scheduler_combo.setEditable(True)
        for label, scheduler in SCHEDULERS:
            self.scheduler_combo.addItem(label, scheduler)
        self.scheduler_combo.setToolTip("Where the drops are evaluated: in this process, on worker processes of this "
                                        "machine (one per core), or type a Dask scheduler's address, tcp://host:8786")
        self.dashboard_label = QLabel("")
        self.dashboard_label.setOpenExternalLinks(True)
        self.dashboard_label.setVisible(False)
        self.cdf_plot = CdfPlot()
        self.export_png_button = QPushButton("Export PNG…")
        self.export_png_button.clicked.connect(self.export_png)
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.clicked.connect(self.export_csv)
        self._enable_exports(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.evaluate_button)
        buttons.addWidget(self.cancel_button)
        exports = QHBoxLayout()
        exports.addWidget(self.export_png_button)
        exports.addWidget(self.export_csv_button)
        form = QFormLayout()
        form.addRow("Drops", self.drops)
        form.addRow("AoA σ list (°)", self.sigma_list)
        form.addRow("Run on", self.scheduler_combo)
        form.addRow(buttons)
        form.addRow(self.evaluation_bar)
        form.addRow(self.evaluation_label)
        form.addRow(self.dashboard_label)
        form.addRow(self.cdf_plot)
        form.addRow(exports)
        group = QGroupBox("Batch evaluation (the settings above, over random drops)")
        group.setLayout(form)
        return group

    # ------------------------------------------------------------------ commands

    def settings(self) -> RayLaunchSettings:
        """The settings the widgets show."""
        return RayLaunchSettings(
            aoa_sigma_deg=self.aoa_sigma.value(),
            fusion=self.fusion_combo.currentData(),
            time_sigma_m=self.time_sigma.value(),
            rays=self.rays.value(),
            bounces=self.bounces.value(),
            mode=self.mode_combo.currentData(),
            seed=self.seed.value(),
        )

    def run(self) -> None:
        self._controller.set_settings(self.settings())
        self.show_in_view.setChecked(True)
        self.result_label.setText("Running…")
        self._controller.run()

    def evaluate(self) -> None:
        try:
            sigmas = [float(part) for part in self.sigma_list.text().replace(";", ",").split(",") if part.strip()]
            if not sigmas or any(not np.isfinite(s) or s < 0.0 for s in sigmas):
                raise ValueError
        except ValueError:
            show_error(self, "Cannot evaluate", "Give the AoA sigma values as numbers >= 0 separated by commas, e.g. 0.25, 1")
            return
        scheduler = self.scheduler()
        if scheduler not in SCHEDULER_CHOICES and "://" not in scheduler:
            show_error(self, "Cannot evaluate", f"“{scheduler}” is not a Dask scheduler's address; give one such as "
                                                "tcp://host:8786, or choose where to run from the list")
            return
        self._controller.set_settings(self.settings())
        self.evaluate_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.evaluation_bar.setValue(0)
        self.evaluation_label.setText("Evaluating…")
        self._show_dashboard("")
        self._controller.evaluate(self.drops.value(), sigmas, scheduler)

    def scheduler(self) -> str:
        """Where to evaluate: "none", "local" or the address typed in the combo box."""
        text = self.scheduler_combo.currentText().strip()
        index = self.scheduler_combo.findText(text)
        return self.scheduler_combo.itemData(index) if index >= 0 else text

    def add_station(self) -> None:
        stations = self._document.project.base_stations
        names = {b.name for b in stations}
        number = len(stations) + 1
        while f"BS{number}" in names:
            number += 1
        centre = np.asarray(self._document.scene.bounds, dtype=float).mean(axis=0)
        station = BaseStation(f"BS{number}", (float(centre[0]), float(centre[1]), _DEFAULT_STATION_HEIGHT_M))
        self._document.replace_base_stations((*stations, station), f"Add base station {station.name}")

    def remove_selected_stations(self) -> None:
        rows = {index.row() for index in self.station_table.selectionModel().selectedRows()}
        if not rows:
            return
        stations = self._document.project.base_stations
        kept = tuple(b for i, b in enumerate(stations) if i not in rows)
        text = f"Remove base station {stations[min(rows)].name}" if len(rows) == 1 else f"Remove {len(rows)} base stations"
        self._document.replace_base_stations(kept, text)

    def export_png(self) -> None:
        path = self._ask_path("Export CDF plot", "rrt_cdf.png", "PNG images (*.png)")
        if path is not None:
            self._export(lambda: self.cdf_plot.save_png(path), path)

    def export_csv(self) -> None:
        path = self._ask_path("Export percentile table", "rrt_percentiles.csv", "CSV files (*.csv)")
        if path is not None:
            self._export(lambda: self.cdf_plot.write_csv(path), path)

    # ------------------------------------------------------------------ document/controller → widgets

    def _show_stations(self) -> None:
        table = self.station_table
        table.blockSignals(True)
        try:
            stations = self._document.project.base_stations
            table.setRowCount(len(stations))
            for row, station in enumerate(stations):
                name = QTableWidgetItem(station.name)
                name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
                name.setForeground(Qt.GlobalColor.black)
                name.setBackground(_light(station_color(self._enabled_index(row))) if station.enabled else Qt.GlobalColor.lightGray)
                table.setItem(row, 0, name)
                for column, value in enumerate(station.position, start=1):
                    table.setItem(row, column, QTableWidgetItem(f"{value:.2f}"))
        finally:
            table.blockSignals(False)

    def _show_ue(self, position) -> None:
        for spin, value in zip(self.ue_spins, position):
            spin.blockSignals(True)
            spin.setValue(float(value))
            spin.blockSignals(False)

    def _show_settings(self, settings: RayLaunchSettings) -> None:
        widgets = (self.aoa_sigma, self.time_sigma, self.rays, self.bounces, self.seed, self.fusion_combo, self.mode_combo)
        for widget in widgets:
            widget.blockSignals(True)
        self.aoa_sigma.setValue(settings.aoa_sigma_deg)
        self.time_sigma.setValue(settings.time_sigma_m)
        self.rays.setValue(settings.rays)
        self.bounces.setValue(settings.bounces)
        self.seed.setValue(settings.seed)
        self.fusion_combo.setCurrentIndex(self.fusion_combo.findData(settings.fusion))
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(settings.mode))
        for widget in widgets:
            widget.blockSignals(False)

    def _show_result(self, result) -> None:
        if result is None:
            self.result_label.setText("Not run yet.")
        elif isinstance(result, LocateFailure):
            self.result_label.setText(f"No estimate: {result.message}")
        else:
            x, y, z = result.estimate.position
            self.result_label.setText(
                f"Estimate ({x:.2f}, {y:.2f}, {z:.2f}) m — error {result.error_m:.2f} m, "
                f"uncertainty {result.estimate.uncertainty_m:.2f} m, {result.seconds:.2f} s; "
                f"{len(result.estimate.stations_used)} base stations used."
            )

    def _on_evaluation_progress(self, fraction: float, text: str) -> None:
        self.evaluation_bar.setValue(round(fraction * 1000))
        self.evaluation_label.setText(text)

    def _show_dashboard(self, link: str) -> None:
        self.dashboard_label.setText(f'Dask dashboard: <a href="{html.escape(link)}">{html.escape(link)}</a>' if link else "")
        self.dashboard_label.setVisible(bool(link))

    def _on_evaluation_ended(self, outcome: str) -> None:
        self.evaluate_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if outcome == "finished":
            self.evaluation_bar.setValue(1000)
            self.evaluation_label.setText("Done.")
        elif outcome == "cancelled":
            self.evaluation_label.setText("Cancelled.")
        else:
            self.evaluation_label.setText(f"Failed: {outcome}")

    # ------------------------------------------------------------------ widgets → document/controller

    def _on_action_toggled(self, checked: bool) -> None:
        self.show_in_view.blockSignals(True)
        self.show_in_view.setChecked(checked)
        self.show_in_view.blockSignals(False)
        self._controller.set_visible(checked)

    def _on_station_edited(self, item: QTableWidgetItem) -> None:
        row, column = item.row(), item.column()
        stations = self._document.project.base_stations
        if column == 0 or row >= len(stations):
            return
        try:
            value = float(item.text())
            if not np.isfinite(value):
                raise ValueError
        except ValueError:
            self._show_stations()
            return
        station = stations[row]
        position = list(station.position)
        position[column - 1] = value
        moved = station.moved_to(tuple(position))
        self._document.replace_base_stations(
            tuple(moved if i == row else b for i, b in enumerate(stations)), f"Move base station {station.name}"
        )

    def _on_ue_edited(self) -> None:
        self._controller.set_ue([spin.value() for spin in self.ue_spins])

    def _on_settings_edited(self, *_args) -> None:
        self._controller.set_settings(self.settings())

    def _enabled_index(self, row: int) -> int:
        """The colour index of the station in ``row``: its place among the enabled stations."""
        return sum(b.enabled for b in self._document.project.base_stations[:row])

    def _enable_exports(self, enabled: bool) -> None:
        self.export_png_button.setEnabled(enabled)
        self.export_csv_button.setEnabled(enabled)

    def _ask_path(self, title: str, name: str, pattern: str) -> str | None:
        folder = self._document.path.parent if self._document.path is not None else Path.home()
        path, _ = QFileDialog.getSaveFileName(self, title, str(folder / name), pattern)
        return path or None

    def _export(self, write, path: str) -> None:
        try:
            write()
        except OSError as error:
            show_error(self, "Export failed", f"{path}: {error}")
            return
        self.message.emit(f"Exported to {path}")


def _light(color: str) -> QColor:
    return QColor(color).lighter(170)
