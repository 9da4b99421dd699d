"""The Reference points section of the Fingerprinting dock: outer markers, plan settings, exports.

"Draw Markers" (the feature's tool-bar action too) puts the viewport in the outer-marker mode (clicks on the floor add markers,
markers can be dragged, Enter or Esc ends it); every change replans at once and the plan and
its route are drawn on the floor. The settings are view state of the
:class:`~twinloc.gui.features.fingerprint.plan.PlanController`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QWidget

from twinloc.fingerprint.limits import MAX_BETWEEN, MAX_LOOPS
from twinloc.gui.features.fingerprint.layers import plan_caption
from twinloc.gui.features.fingerprint.plan import PlanController, PlanSettings
from twinloc.gui.viewport.outer_markers import OuterMarkerEditor
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import int_spin, push_button, quantity_spin

SPACING, BETWEEN = "spacing", "between"


class PlanSection(QGroupBox):
    """Draw the outer markers, set how the reference points are placed, export the plan; the
    virtual survey's widgets (``virtual_survey``) go below.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, plan: PlanController, editor: OuterMarkerEditor, draw_action: QAction, virtual_survey: QWidget,
                 parent: QWidget | None = None) -> None:
        super().__init__("Reference points", parent)
        self._plan = plan

        self.draw_button = QPushButton("Draw Markers")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Click on the floor to add outer markers (3 or more), drag a marker to move it; "
                                    "Backspace removes the last, Enter or Esc ends")
        self.draw_button.toggled.connect(draw_action.setChecked)
        draw_action.toggled.connect(self.draw_button.setChecked)
        self.clear_button = push_button("Clear", "Remove every outer marker (and the plan)", lambda: editor.set_markers([]))

        settings = plan.settings
        self.loops = int_spin(0, MAX_LOOPS, settings.loops, "Inner loops inset from the outline")
        self.mode = QComboBox()
        self.mode.addItem("Spacing along a loop", SPACING)
        self.mode.addItem("RPs between two vertices", BETWEEN)
        self.spacing = quantity_spin(0.0, 100.0, 0.1, 2, " m")
        self.spacing.setValue(settings.spacing_m or 0.9)
        self.spacing.setToolTip("Distance between reference points along each loop (> 0)")
        self.between = int_spin(0, MAX_BETWEEN, settings.between, "Reference points between two vertices of a loop")
        self.clearance = quantity_spin(0.0, 10.0, 0.05, 2, " m")
        self.clearance.setValue(settings.clearance_m)
        self.clearance.setToolTip("Reference points closer than this to a wall or object are dropped")
        for spin in (self.loops, self.spacing, self.between, self.clearance):
            spin.valueChanged.connect(self._on_settings)
        self.mode.currentIndexChanged.connect(self._on_settings)
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        self.export_csv_button = push_button("Export CSV…", "point,loop,x_m,y_m,z_m of every reference point in route order", self._export_csv)
        self.export_waypoints_button = push_button("Export Waypoints…", "The route as a waypoint list (JSON) for a walker or a robot", self._export_waypoints)

        draw_row = QHBoxLayout()
        draw_row.addWidget(self.draw_button, 1)
        draw_row.addWidget(self.clear_button)
        export_row = QHBoxLayout()
        export_row.addWidget(self.export_csv_button)
        export_row.addWidget(self.export_waypoints_button)
        form = QFormLayout(self)
        form.addRow(draw_row)
        form.addRow("Inner loops", self.loops)
        form.addRow("Place by", self.mode)
        form.addRow("Spacing", self.spacing)
        form.addRow("Between", self.between)
        form.addRow("Clearance", self.clearance)
        form.addRow(self.summary)
        form.addRow(export_row)
        form.addRow(virtual_survey)
        self._form = form

        plan.planChanged.connect(self._show_plan)
        plan.problem.connect(lambda text: show_error(self, "Cannot plan reference points", text))
        self._show_mode()
        self._show_plan()

    # ------------------------------------------------------------------ widgets → plan

    def _on_settings(self) -> None:
        self._show_mode()
        by_spacing = self.mode.currentData() == SPACING
        self._plan.set_settings(PlanSettings(
            loops=self.loops.value(),
            spacing_m=self.spacing.value() if by_spacing else None,
            between=self.between.value(),
            clearance_m=self.clearance.value(),
        ))

    # ------------------------------------------------------------------ plan → widgets

    def _show_mode(self) -> None:
        by_spacing = self.mode.currentData() == SPACING
        self._form.setRowVisible(self.spacing, by_spacing)
        self._form.setRowVisible(self.between, not by_spacing)

    def _show_plan(self) -> None:
        plan = self._plan.plan
        markers = len(self._plan.markers)
        if plan is not None:
            self.summary.setText(f"{markers} outer markers · {plan_caption(plan)}")
        else:
            self.summary.setText(self._plan.note or "Draw the outline of the area to survey.")
        for button in (self.export_csv_button, self.export_waypoints_button):
            button.setEnabled(plan is not None)

    # ------------------------------------------------------------------ exports

    def _export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export reference points", "reference-points.csv", "CSV files (*.csv)")
        if path:
            self._write(lambda: self._plan.export_csv(path), path)

    def _export_waypoints(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export waypoints", "waypoints.json", "JSON files (*.json)")
        if path:
            self._write(lambda: self._plan.export_waypoints(path), path)

    def _write(self, write, path: str) -> None:
        try:
            write()
        except (ValueError, OSError) as error:
            show_error(self, "Cannot export the plan", str(error))
            return
        self.message.emit(f"Exported the plan to {Path(path).name}")
