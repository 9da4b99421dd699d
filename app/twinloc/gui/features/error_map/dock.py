"""The Error Map dock: how the positioning error map is computed and shown, its summary, exports.

Computation settings are document state: the widgets write them with
``ProjectDocument.set_error_map`` / ``set_settings`` (undoable) and are refreshed from the
document with their signals blocked, so edits never loop. How the map is shown (display mode,
colours, survey thresholds) is view state of the :class:`ErrorMapController`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from twinloc.geometry.grid import FLOOR_CELL_BUDGET, RESOLUTION_STEPS_M
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.error_map.controller import ErrorMapController
from twinloc.gui.features.error_map.layers import COLORMAPS, MODES
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import push_button, quantity_spin, scroll_column
from twinloc.model.analysis import ErrorMapSettings
from twinloc.uwb.error_map import write_error_map_csv, write_error_map_npz
from twinloc.uwb.measured import MeasuredDataError
from twinloc.uwb.survey_plan import write_survey_csv

#: Ranging-model fields: (attribute of RangingModel, label, tooltip).
_RANGING_FIELDS = (
    ("los_mean_m", "LOS bias", "Mean error of a line-of-sight range, metres"),
    ("los_std_m", "LOS spread", "Standard deviation of a line-of-sight range, metres (>= 0)"),
    ("nlos_mean_m", "NLOS bias", "Statistical bias added to a non-line-of-sight range beyond the obstacles' excess path, metres"),
    ("nlos_std_m", "NLOS spread", "Standard deviation of a non-line-of-sight range, metres (>= 0)"),
)
_DEFAULT_DRAWS = 100


class ErrorMapDock(QDockWidget):
    """Dock controlling the :class:`ErrorMapController`.

    Parameters
    ----------
    document : ProjectDocument
    controller : ErrorMapController
    show_action : QAction
        The checkable action that puts the error map on the floor (in place of the LOS map).
    viewport : SceneViewport
        The view "Export View as PNG" saves.

    Signals
    -------
    message(str)
        A short confirmation for the status bar ("Exported … to …").
    """

    message = Signal(str)

    def __init__(
        self, document: ProjectDocument, controller: ErrorMapController, show_action: QAction, viewport, parent: QWidget | None = None
    ) -> None:
        super().__init__("Error Map", parent)
        self.setObjectName("ErrorMapDock")
        self._document = document
        self._controller = controller
        self._show_action = show_action
        self._viewport = viewport

        self.show_on_floor = QCheckBox("Show on the floor (instead of LOS)")
        self.show_on_floor.setToolTip("Compute the error map and draw it on the floor (View ▸ Error Map, E)")
        self.show_on_floor.toggled.connect(show_action.setChecked)
        show_action.toggled.connect(self._on_action_toggled)

        self.setWidget(
            scroll_column(
                self.show_on_floor,
                self._build_display_group(),
                self._build_model_group(),
                self._build_ranging_group(),
                self._build_survey_group(),
                self._build_summary_group(),
                self._build_buttons(),
            )
        )

        document.settingsChanged.connect(self._show_settings)
        document.sceneChanged.connect(self._show_settings)
        document.errorMapSettingsChanged.connect(self._show_settings)
        controller.updated.connect(lambda _map: self._show_summary())
        controller.displayChanged.connect(self._show_display)
        self._show_settings()
        self._show_display()

    # ------------------------------------------------------------------ construction

    def _build_display_group(self) -> QGroupBox:
        self.mode_combo = QComboBox()
        for key, label in MODES.items():
            self.mode_combo.addItem(label, key)
        self.mode_combo.setToolTip("What the floor shows (choosing one puts the error map on the floor)")
        self.mode_combo.currentIndexChanged.connect(self._on_mode)
        self.cmap_combo = QComboBox()
        self.cmap_combo.addItems(COLORMAPS)
        self.cmap_combo.currentTextChanged.connect(lambda name: self._set_display(cmap=name))
        self.auto_range = QCheckBox("Auto")
        self.auto_range.setToolTip("Colour range from the data (0 to the largest error; GDOP up to its 99th percentile)")
        self.auto_range.toggled.connect(self._on_range)
        self.range_low = quantity_spin(0.0, 1000.0, 0.05, 2)
        self.range_high = quantity_spin(0.0, 1000.0, 0.05, 2)
        for spin in (self.range_low, self.range_high):
            spin.valueChanged.connect(self._on_range)
        self.range_row = QWidget()
        range_row = QHBoxLayout(self.range_row)
        range_row.setContentsMargins(0, 0, 0, 0)
        range_row.addWidget(self.auto_range)
        range_row.addWidget(self.range_low, 1)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.range_high, 1)

        self.tag_height = quantity_spin(0.0, 10.0, 0.1, 2, " m")
        self.tag_height.setToolTip("Height of the tag above the floor (the cells' height)")
        self.tag_height.valueChanged.connect(self._on_tag_height)
        self.auto_resolution = QCheckBox("Auto")
        self.auto_resolution.setToolTip(
            "Adapt the cell size to the floor area: the finest of "
            f"{', '.join(f'{step:g}' for step in RESOLUTION_STEPS_M)} m that keeps the map within {FLOOR_CELL_BUDGET:,} cells"
        )
        self.auto_resolution.toggled.connect(self._on_resolution)
        self.resolution = quantity_spin(0.02, 5.0, 0.05, 2, " m")
        self.resolution.setToolTip("Cell size of the floor maps (also the coarse spacing of the survey plan)")
        self.resolution.valueChanged.connect(self._on_resolution)
        self.resolution_row = QWidget()
        resolution_row = QHBoxLayout(self.resolution_row)
        resolution_row.setContentsMargins(0, 0, 0, 0)
        resolution_row.addWidget(self.auto_resolution)
        resolution_row.addWidget(self.resolution, 1)
        self.resolution_note = QLabel()
        self.resolution_note.setWordWrap(True)

        form = QFormLayout()
        self._display_form = form
        form.addRow("Show", self.mode_combo)
        form.addRow("Colours", self.cmap_combo)
        form.addRow("Range", self.range_row)
        form.addRow("Tag height", self.tag_height)
        form.addRow("Resolution", self.resolution_row)
        form.addRow("", self.resolution_note)
        group = QGroupBox("Display")
        group.setLayout(form)
        return group

    def _build_model_group(self) -> QGroupBox:
        self.dimensions = QComboBox()
        self.dimensions.addItem("2D (known tag height)", 2)
        self.dimensions.addItem("3D (needs 4 anchors)", 3)
        self.dimensions.currentIndexChanged.connect(lambda _i: self._set_model(dimensions=int(self.dimensions.currentData())))
        self.physics_only = QCheckBox("Physics only")
        self.physics_only.setToolTip("Ranges carry only the obstacles' excess path: no statistical bias, no noise")
        self.physics_only.toggled.connect(lambda on: self._set_model(physics_only=bool(on)))
        self.noise = QCheckBox("Noise")
        self.noise.setToolTip("Monte Carlo: solve noisy ranges and show the mean error of each cell")
        self.noise.toggled.connect(self._on_noise)
        self.draws = QSpinBox()
        self.draws.setRange(1, 10_000)
        self.draws.setValue(_DEFAULT_DRAWS)
        self.draws.setKeyboardTracking(False)
        self.draws.setSuffix(" draws")
        self.draws.setToolTip("Noisy draws per cell")
        self.draws.valueChanged.connect(self._on_noise)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.setPrefix("seed ")
        self.seed.setToolTip("Seed of the random draws (the same seed gives the same map)")
        self.seed.valueChanged.connect(lambda value: self._set_model(seed=int(value)))
        noise_row = QHBoxLayout()
        noise_row.addWidget(self.noise)
        noise_row.addWidget(self.draws, 1)
        noise_row.addWidget(self.seed, 1)
        self.refine = QSpinBox()
        self.refine.setRange(0, 50)
        self.refine.setKeyboardTracking(False)
        self.refine.setSuffix(" steps")
        self.refine.setToolTip("Gauss-Newton iterations after the linearised least squares")
        self.refine.valueChanged.connect(lambda value: self._set_model(refine_iterations=int(value)))

        form = QFormLayout()
        form.addRow("Fix", self.dimensions)
        form.addRow(self.physics_only)
        form.addRow(noise_row)
        form.addRow("Gauss-Newton", self.refine)
        group = QGroupBox("Positioning")
        group.setLayout(form)
        return group

    def _build_ranging_group(self) -> QWidget:
        self.ranging_toggle = QToolButton()
        self.ranging_toggle.setText("Ranging model")
        self.ranging_toggle.setCheckable(True)
        self.ranging_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.ranging_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.ranging_toggle.setAutoRaise(True)
        self.ranging_toggle.setToolTip(
            "Statistics of UWB ranging errors. Defaults: a DW1000-class system as seed 004 measured it "
            "(LOS within a few cm, NLOS biased and spread by tens of cm); calibrate per site."
        )
        self.ranging_fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for name, label, tip in _RANGING_FIELDS:
            edit = QLineEdit()
            edit.setToolTip(tip)
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.editingFinished.connect(self._on_ranging_edited)
            self.ranging_fields[name] = edit
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(QLabel("m"))
            form.addRow(label, row)
        self.incidence = QCheckBox("Incidence correction")
        self.incidence.setToolTip("Thin surfaces count thickness / |cos(incidence)| instead of their thickness")
        self.incidence.toggled.connect(self._on_incidence)
        form.addRow(self.incidence)
        self.ranging_body = QWidget()
        self.ranging_body.setLayout(form)
        self.ranging_body.setVisible(False)
        self.ranging_toggle.toggled.connect(self._on_ranging_toggled)

        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.ranging_toggle)
        layout.addWidget(self.ranging_body)
        return box

    def _build_survey_group(self) -> QGroupBox:
        self.survey_error = quantity_spin(0.0, 100.0, 0.05, 2, " m")
        self.survey_error.setToolTip("Cells whose predicted error reaches this are surveyed finely")
        self.survey_change = quantity_spin(0.0, 1000.0, 0.1, 2, " m/m")
        self.survey_change.setToolTip("Cells whose error vector changes faster than this (per metre of floor) are surveyed finely")
        for spin in (self.survey_error, self.survey_change):
            spin.valueChanged.connect(self._on_survey_thresholds)
        self.survey_label = QLabel()
        self.survey_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Error threshold", self.survey_error)
        form.addRow("Change threshold", self.survey_change)
        form.addRow(self.survey_label)
        self.survey_group = QGroupBox("Survey plan")
        self.survey_group.setLayout(form)
        return self.survey_group

    def _build_summary_group(self) -> QGroupBox:
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hover_label = QLabel()
        self.hover_label.setWordWrap(True)
        self.hover_label.setStyleSheet("color: #3b4250;")
        layout = QVBoxLayout()
        layout.addWidget(self.summary_label)
        layout.addWidget(self.hover_label)
        group = QGroupBox("Summary")
        group.setLayout(layout)
        return group

    def _build_buttons(self) -> QGridLayout:
        self.export_png_button = push_button("Export PNG…", "Save the 3D view as a PNG image", self.export_png)
        self.export_csv_button = push_button("Export CSV…", "x_m,y_m,err_x_m,err_y_m,err_m,gdop,los_count per cell", self.export_csv)
        self.export_npz_button = push_button("Export NPZ…", "Every per-cell array (numpy .npz)", self.export_npz)
        self.import_measured_button = push_button(
            "Import Measured CSV…", "true_x,true_y then measured x,y pairs (or measured_x,measured_y rows)", self.import_measured
        )
        self.export_survey_button = push_button("Export Survey Plan CSV…", "x_m,y_m,density of every measuring point", self.export_survey)
        grid = QGridLayout()
        grid.addWidget(self.export_png_button, 0, 0)
        grid.addWidget(self.export_csv_button, 0, 1)
        grid.addWidget(self.export_npz_button, 0, 2)
        grid.addWidget(self.import_measured_button, 1, 0, 1, 3)
        grid.addWidget(self.export_survey_button, 2, 0, 1, 3)
        return grid

    # ------------------------------------------------------------------ document → widgets

    def _show_settings(self) -> None:
        project = self._document.project
        settings, model = project.settings, project.error_map
        tag_height = self._document.tag_height_m
        with _blocked(
            self.tag_height, self.auto_resolution, self.resolution, self.dimensions, self.physics_only, self.noise,
            self.draws, self.seed, self.refine, self.incidence, *self.ranging_fields.values(),
        ):
            self.tag_height.setValue(tag_height)
            self.auto_resolution.setChecked(settings.grid_resolution_m is None)
            self.resolution.setValue(self._document.grid_resolution_m)
            self.dimensions.setCurrentIndex(self.dimensions.findData(model.dimensions))
            self.physics_only.setChecked(model.physics_only)
            self.noise.setChecked(model.monte_carlo_draws > 0)
            if model.monte_carlo_draws > 0:
                self.draws.setValue(model.monte_carlo_draws)
            self.seed.setValue(model.seed)
            self.refine.setValue(model.refine_iterations)
            for name, edit in self.ranging_fields.items():
                edit.setText(f"{getattr(model.ranging, name):g}")
            self.incidence.setChecked(model.ranging.incidence_correction)
        self.resolution.setEnabled(settings.grid_resolution_m is not None)
        self.resolution_note.setText(self._document.grid_resolution_note.capitalize())
        self.resolution_note.setVisible(bool(self._document.grid_resolution_note))
        for widget in (self.noise, self.draws, self.seed):
            widget.setEnabled(not model.physics_only)
        self.draws.setEnabled(not model.physics_only and model.monte_carlo_draws > 0)
        self.seed.setEnabled(not model.physics_only and model.monte_carlo_draws > 0)

    def _show_display(self) -> None:
        display = self._controller.display
        with _blocked(self.mode_combo, self.cmap_combo, self.auto_range, self.range_low, self.range_high, self.survey_error, self.survey_change):
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(display.mode))
            self.cmap_combo.setCurrentText(display.cmap)
            self.auto_range.setChecked(display.auto_range)
            self.range_low.setValue(display.low)
            self.range_high.setValue(display.high)
            self.survey_error.setValue(display.survey_error_threshold_m)
            self.survey_change.setValue(display.survey_change_threshold)
        unit = "" if display.mode == "gdop" else " m"
        for spin in (self.range_low, self.range_high):
            spin.setSuffix(unit)
            spin.setEnabled(not display.auto_range)
        self._display_form.setRowVisible(self.range_row, display.mode in ("magnitude", "vectors", "gdop"))
        self.survey_group.setVisible(display.mode == "survey")
        self._show_summary()

    def _show_summary(self) -> None:
        controller = self._controller
        error_map = controller.error_map
        if not controller.enabled:
            self.summary_label.setText("The error map is computed while it is shown on the floor.")
            self.survey_label.setText("")
            return
        if error_map is None:
            self.summary_label.setText("Computing…")
            return
        if error_map.grid.empty_reason:
            self.summary_label.setText(error_map.grid.empty_reason)
            return
        summary = error_map.summary()
        lines = []
        if summary["mean_error_m"] is not None:
            lines.append(
                f"Error  mean {_length(summary['mean_error_m'])} · p50 {_length(summary['p50_error_m'])} · "
                f"p90 {_length(summary['p90_error_m'])} · max {_length(summary['max_error_m'])}"
            )
        if "monte_carlo_draws" in summary:
            lines.append(f"Monte Carlo  {summary['monte_carlo_draws']} draws, mean RMSE {_length(summary['mean_rmse_m'])}")
        if summary["nlos_fraction"] is not None:
            lines.append(f"Cells with an NLOS anchor  {100 * summary['nlos_fraction']:.0f} %")
        lines.append(
            f"{summary['cells']} cells at {summary['resolution_m']:g} m, {summary['anchors']} anchors, "
            f"{summary['degenerate_cells']} degenerate"
        )
        if controller.compute_seconds is not None:
            lines.append(f"Computed in {controller.compute_seconds:.2f} s")
        if controller.note:
            lines.append(f"<i>{controller.note}</i>")
        if controller.comparison is not None:
            comparison = controller.comparison
            usable = comparison.distance_to_predicted[~_isnan_rows(comparison.predicted_error)]
            if usable.size:
                lines.append(
                    f"Measured points  {len(comparison.true)}: mean |fix − truth| {_length(float(comparison.distance_to_true.mean()))}, "
                    f"mean |fix − prediction| {_length(float(usable.mean()))}"
                )
        self.summary_label.setText("<br>".join(lines))
        plan = controller.survey_plan
        if plan is not None:
            self.survey_label.setText(
                f"{len(plan.points)} points ({int((~plan.fine).sum())} coarse, {int(plan.fine.sum())} fine) "
                f"vs {plan.uniform_points} on a uniform {plan.settings.fine_m:g} m grid: "
                f"saving {100 * plan.saving_fraction:.0f} %"
            )

    def show_readout(self, text: str) -> None:
        """Show the values of the cell under the mouse ("" clears)."""
        self.hover_label.setText(text)

    # ------------------------------------------------------------------ widgets → document / controller

    def _on_action_toggled(self, checked: bool) -> None:
        with _blocked(self.show_on_floor):
            self.show_on_floor.setChecked(checked)
        self._show_summary()

    def _on_mode(self, _index: int) -> None:
        self._set_display(mode=self.mode_combo.currentData())
        self._show_action.setChecked(True)

    def _on_range(self) -> None:
        self._set_display(auto_range=self.auto_range.isChecked(), low=self.range_low.value(), high=self.range_high.value())

    def _on_survey_thresholds(self) -> None:
        self._set_display(survey_error_threshold_m=self.survey_error.value(), survey_change_threshold=self.survey_change.value())

    def _set_display(self, **changes) -> None:
        try:
            display = replace(self._controller.display, **changes)
        except ValueError as error:
            self._show_display()
            show_error(self, "Cannot show the error map that way", str(error))
            return
        self._controller.set_display(display)

    def _on_tag_height(self, value: float) -> None:
        settings = self._document.project.settings
        self._apply_settings(lambda: replace(settings, tag_height_m=float(value)))

    def _on_resolution(self) -> None:
        settings = self._document.project.settings
        chosen = None if self.auto_resolution.isChecked() else float(self.resolution.value())
        self._apply_settings(lambda: replace(settings, grid_resolution_m=chosen))

    def _apply_settings(self, make) -> None:
        try:
            settings = make()
        except ValueError as error:
            self._show_settings()
            show_error(self, "Cannot change the floor grid", str(error))
            return
        self._document.set_settings(settings)

    def _on_noise(self) -> None:
        draws = self.draws.value() if self.noise.isChecked() else 0
        self._set_model(monte_carlo_draws=int(draws))

    def _on_incidence(self, checked: bool) -> None:
        ranging = self._document.project.error_map.ranging
        self._set_model(ranging=replace(ranging, incidence_correction=bool(checked)))

    def _on_ranging_edited(self) -> None:
        ranging = self._document.project.error_map.ranging
        try:
            values = {name: _parse_metres(edit.text(), label) for (name, label, _tip), edit in zip(_RANGING_FIELDS, self.ranging_fields.values())}
            changed = replace(ranging, **values)
        except ValueError as error:
            self._show_settings()  # first, so the dialog's focus change finds nothing to commit
            show_error(self, "Cannot change the ranging model", str(error))
            return
        self._set_model(ranging=changed)

    def _set_model(self, **changes) -> None:
        try:
            settings: ErrorMapSettings = replace(self._document.project.error_map, **changes)
        except ValueError as error:
            self._show_settings()
            show_error(self, "Cannot change the error map settings", str(error))
            return
        self._document.set_error_map(settings)

    def _on_ranging_toggled(self, open_: bool) -> None:
        self.ranging_toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.ranging_body.setVisible(open_)

    # ------------------------------------------------------------------ exports and imports

    def export_png(self) -> None:
        """Save the 3D view as a PNG file the user picks."""
        target = self._ask_save("Export View as PNG", "error-map.png", "PNG images (*.png)", ".png")
        if target is None:
            return
        try:
            self._viewport.screenshot(target)
        except (OSError, RuntimeError, ValueError) as error:
            show_error(self, "Could not export the view", f"{target}: {error}")
            return
        self.message.emit(f"Saved the view to {target}")

    def export_csv(self) -> None:
        """Write the shown error map as CSV (one row per cell)."""
        self._export_map("CSV", ".csv", "CSV files (*.csv)", write_error_map_csv)

    def export_npz(self) -> None:
        """Write every per-cell array of the shown error map as a numpy .npz."""
        self._export_map("NPZ", ".npz", "NumPy archives (*.npz)", write_error_map_npz)

    def export_survey(self) -> None:
        """Write the survey plan's measuring points as CSV (x_m,y_m,density)."""
        if self._controller.error_map is None:
            self._no_map()
            return
        if self._controller.display.mode != "survey":
            self._set_display(mode="survey")
        plan = self._controller.survey_plan
        if plan is None:
            return
        target = self._ask_save("Export Survey Plan", "survey-plan.csv", "CSV files (*.csv)", ".csv")
        if target is None:
            return
        try:
            write_survey_csv(plan, target)
        except OSError as error:
            show_error(self, "Could not export the survey plan", f"{target}: {error.strerror or error}")
            return
        self.message.emit(f"Exported {len(plan.points)} measuring points to {target}")

    def import_measured(self) -> None:
        """Read measured points and show them against the prediction."""
        path, _ = QFileDialog.getOpenFileName(self, "Import Measured Points", self._folder(), "CSV files (*.csv);;All files (*)")
        if not path:
            return
        try:
            count = self._controller.load_measured(path)
        except MeasuredDataError as error:
            show_error(self, "Could not import measured points", str(error))
            return
        self._set_display(mode="measured")
        self._show_action.setChecked(True)
        self.message.emit(f"Imported {count} measured points from {Path(path).name}")

    def _export_map(self, kind: str, suffix: str, label: str, write) -> None:
        error_map = self._controller.error_map
        if error_map is None:
            self._no_map()
            return
        target = self._ask_save(f"Export Error Map ({kind})", f"error-map{suffix}", label, suffix)
        if target is None:
            return
        try:
            write(error_map, target)
        except OSError as error:
            show_error(self, f"Could not export the error map as {kind}", f"{target}: {error.strerror or error}")
            return
        self.message.emit(f"Exported {error_map.magnitude.size} cells to {target}")

    def _no_map(self) -> None:
        show_error(self, "No error map", "Show the error map on the floor and wait for it to be computed first.")

    def _ask_save(self, title: str, name: str, label: str, suffix: str) -> Path | None:
        suggestion = str(Path(self._folder()) / f"{self._document.display_name}-{name}")
        path, _ = QFileDialog.getSaveFileName(self, title, suggestion, label)
        if not path:
            return None
        return Path(path) if Path(path).suffix.lower() == suffix else Path(f"{path}{suffix}")

    def _folder(self) -> str:
        path = self._document.path
        return str(path.parent) if path is not None else str(Path.home())


@contextmanager
def _blocked(*widgets: QWidget) -> Iterator[None]:
    """Update widgets from the document without their signals writing back."""
    previous = [widget.blockSignals(True) for widget in widgets]
    try:
        yield
    finally:
        for widget, was in zip(widgets, previous):
            widget.blockSignals(was)


def _parse_metres(text: str, label: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{label} must be a number of metres, got {text!r}.") from None
    if not math.isfinite(value):
        raise ValueError(f"{label} must be a finite number of metres, got {text!r}.")
    return value


def _length(metres: float | None) -> str:
    if metres is None:
        return "n/a"
    return f"{100 * metres:.0f} cm" if abs(metres) < 1.0 else f"{metres:.2f} m"


def _isnan_rows(values: np.ndarray) -> np.ndarray:
    return np.isnan(values).any(axis=1)
