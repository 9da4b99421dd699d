"""The Fingerprinting feature's Qt side: its parts, and what they put on the floor.

:class:`FingerprintController` owns one controller per section of the dock (the radio map,
the reference-point plan, the surveys, the positioning model) and the outer-marker editor of
the viewport, and turns their results into the feature's floor layers: the radio map of the
chosen transmitter (with the plan drawn over it), the plan alone, the survey points and the
RMSE heat map, the few-labels run's test errors and the change map of a scene edit. While the radio map is on the floor, its transmitter is highlighted in the
viewport when it is an access point. A result the user asked for is put on the floor at once (its layer becomes
the active one); the View menu switches between them like every other floor layer.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

import numpy as np

from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.fingerprint.changes import SiteChangeController
from twinloc.gui.features.fingerprint.channel import ChannelController
from twinloc.gui.features.fingerprint.few_labels import FewLabelsController
from twinloc.gui.features.fingerprint.layers import (QUANTITIES, change_layer, error_points_layer, heat_layer, plan_layer,
                                                     radio_layer, survey_layer)
from twinloc.gui.features.fingerprint.plan import PlanController
from twinloc.gui.features.fingerprint.positioning import PositioningController
from twinloc.gui.features.fingerprint.radio import RadioMapController
from twinloc.gui.features.fingerprint.surveys import SHOWN, SurveyController, point_means
from twinloc.gui.tasks import JobRunner
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.gui.viewport.outer_markers import OuterMarkerEditor

RADIO_KEY = "radio_map"
PLAN_KEY = "rp_plan"
SURVEY_KEY = "survey_points"
HEAT_KEY = "rmse_heat_map"
SSL_ERRORS_KEY = "ssl_test_errors"
CHANGE_KEY = "change_map"
#: The floor layers, as registered: key -> (View-menu title, status tip).
LAYERS = {
    RADIO_KEY: ("&Radio Map", "Show the twin's radio map of one transmitter (Fingerprinting dock)"),
    PLAN_KEY: ("Reference &Points", "Show the reference-point plan and its route (Fingerprinting dock)"),
    SURVEY_KEY: ("Sur&vey Points", "Show the survey's points coloured by RSS or residual (Fingerprinting dock)"),
    HEAT_KEY: ("RMSE &Heat Map", "Show the positioning model's RMSE interpolated over the floor (Fingerprinting dock)"),
    SSL_ERRORS_KEY: ("Few-Label &Test Errors", "Show the few-labels run's test samples coloured by error (Fingerprinting dock)"),
    CHANGE_KEY: ("&Change Map", "Show the floor cells whose radio map a scene edit changed (Fingerprinting dock)"),
}


class FingerprintController(QObject):
    """The sections of fingerprinting for a document, and their floor layers.

    Parameters
    ----------
    document : ProjectDocument
    runner : JobRunner
    viewport : SceneViewport
        Where the outer markers are drawn and edited.
    floor : FloorStack
        Shows the layers of :data:`LAYERS`, which must be registered.
    """

    def __init__(self, document: ProjectDocument, runner: JobRunner, viewport, floor: FloorStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._floor = floor
        self._viewport = viewport
        plotter = viewport.plotter
        self.editor = OuterMarkerEditor(plotter, plotter.renderer, plotter, viewport.request_render)
        self.draw_action = QAction("Draw RP &Markers", self)
        self.draw_action.setCheckable(True)
        self.draw_action.setIconText("RP Markers")
        self.draw_action.setStatusTip("Click outer markers of a reference-point plan on the floor; drag them to adjust "
                                      "(Backspace removes the last, Enter or Esc ends)")
        self.draw_action.toggled.connect(lambda on: self.editor.start() if on else self.editor.stop())
        self.editor.editingEnded.connect(lambda: self.draw_action.setChecked(False))
        self.plan = PlanController(document, runner, self)
        self.radio = RadioMapController(document, runner, self)
        self.surveys = SurveyController(document, runner, self.radio, self.plan, self)
        self.positioning = PositioningController(document, runner, self.radio, self.surveys, self)
        self.channel = ChannelController(document, runner, self)
        self.few_labels = FewLabelsController(runner, self.channel, self)
        self.changes = SiteChangeController(document, runner, self.positioning, self.channel, self)
        self.editor.markersChanged.connect(lambda markers: self.plan.set_markers(markers, final=not self.editor.dragging))
        self.plan.planChanged.connect(self._on_plan_changed)
        self.radio.mapChanged.connect(self._on_radio_changed)
        self.radio.viewChanged.connect(lambda: self.plan.set_height(self.radio.view.receiver_height_m))
        self.surveys.surveyChanged.connect(self._on_survey_changed)
        self.positioning.resultChanged.connect(self._on_heat_map_changed)
        self.few_labels.resultChanged.connect(self._on_few_labels_changed)
        self.changes.changesChanged.connect(self._on_change_map_changed)
        document.sceneChanged.connect(self._on_scene_changed)
        floor.activeChanged.connect(self._highlight_transmitter)
        self._on_scene_changed()

    def stop(self) -> None:
        """Stop every computation for good (the window is closing)."""
        self.editor.detach()
        for part in (self.plan, self.radio, self.surveys, self.positioning, self.channel, self.few_labels, self.changes):
            part.stop()

    # ------------------------------------------------------------------ the floor

    def readout(self, x: float, y: float) -> str | None:
        """"x 3.25 m  y 4.05 m · AP01 RSS −52.3 dBm" while the radio map is on the floor and (x, y)
        metres is one of its cells; None otherwise."""
        values, grid = self.radio.values(), self.radio.grid
        if self._floor.active != RADIO_KEY or values is None:
            return None
        column = int(round((x - grid.x_centers[0]) / grid.resolution_m))
        row = int(round((y - grid.y_centers[0]) / grid.resolution_m))
        if not (0 <= row < grid.mask.shape[0] and 0 <= column < grid.mask.shape[1]) or not grid.mask[row, column]:
            return None
        value = values[int(np.count_nonzero(grid.mask.ravel()[: row * grid.mask.shape[1] + column]))]
        title = QUANTITIES[self.radio.quantity][0]
        return f"x {x:.2f} m  y {y:.2f} m · {self.radio.transmitter} {title}: {'no signal' if np.isnan(value) else f'{value:.1f}'}"

    def _on_scene_changed(self) -> None:
        """Markers belong to a site: another scene (or the first) starts without them."""
        self.editor.set_floor_height(float(self._document.scene.bounds[0][2]))
        self.editor.set_markers([])
        self.plan.set_height(self.radio.view.receiver_height_m)

    def _on_plan_changed(self) -> None:
        self._publish(PLAN_KEY, plan_layer(self.plan.plan))
        self._publish_radio()
        if self.plan.plan is not None and self._floor.active not in (RADIO_KEY, PLAN_KEY):
            self._floor.set_active(PLAN_KEY)

    def _on_radio_changed(self) -> None:
        if self._publish_radio():
            self._floor.set_active(RADIO_KEY)
        self._highlight_transmitter()

    def _highlight_transmitter(self) -> None:
        shown = self._floor.active == RADIO_KEY and self.radio.values() is not None
        self._viewport.highlight_access_points(RADIO_KEY, {self.radio.transmitter} if shown else set())

    def _publish_radio(self) -> bool:
        """Publish the shown quantity of the radio map with the plan over it; False without a map."""
        values = self.radio.values()
        layer = None if values is None else radio_layer(self.radio.grid, values, self.radio.quantity,
                                                        self.radio.transmitter, self.plan.plan)
        self._publish(RADIO_KEY, layer)
        return layer is not None

    def _on_survey_changed(self) -> None:
        surveys = self.surveys
        values = surveys.point_values()
        if values is None:
            self._publish(SURVEY_KEY, None)
            return
        positions = point_means(surveys.measured.raw).positions[:, :2]
        title = f"{surveys.transmitter}: {SHOWN[surveys.shown]}"
        self._publish(SURVEY_KEY, survey_layer(positions, values, title, diverging=surveys.shown != "measured"))
        self._floor.set_active(SURVEY_KEY)

    def _on_heat_map_changed(self) -> None:
        positioning = self.positioning
        if positioning.heat_map is None:
            self._publish(HEAT_KEY, None)
            return
        grid, rmse = positioning.heat_map
        run = positioning.run
        caption = (f"{run.model.kind.upper()} · RMSE {run.metrics.rmse_m:.2f} m over {len(run.points.point_ids)} test points")
        self._publish(HEAT_KEY, heat_layer(grid, rmse, np.asarray(run.points.positions)[:, :2], caption))
        self._floor.set_active(HEAT_KEY)

    def _on_few_labels_changed(self) -> None:
        from twinloc.fingerprint.evaluation import position_errors

        few_labels = self.few_labels
        result = few_labels.result
        if result is None:
            self._publish(SSL_ERRORS_KEY, None)
            return
        errors = position_errors(few_labels.test_positions, result.predictions)
        caption = (f"{result.method}: {len(errors)} test samples · mean {result.metrics.mean_m:.2f} m · "
                   f"p90 {result.metrics.p90_m:.2f} m")
        self._publish(SSL_ERRORS_KEY, error_points_layer(few_labels.test_positions, errors, caption))
        self._floor.set_active(SSL_ERRORS_KEY)

    def _on_change_map_changed(self) -> None:
        changes = self.changes.changes
        self._publish(CHANGE_KEY, None if changes is None else change_layer(changes))
        if changes is None:
            self._floor.release(CHANGE_KEY)  # the twin is as the models know it again
        else:
            self._floor.set_active(CHANGE_KEY)

    def _publish(self, key: str, layer) -> None:
        self._floor.publish(key, layer, self._floor.revise(key))
