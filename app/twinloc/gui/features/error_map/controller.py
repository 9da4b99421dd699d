"""The live positioning-error map: the error map of the anchor layout, published to the floor.

Like the LOS map, inputs are captured on the GUI thread (effective scene, enabled anchor
positions, grid settings, :class:`~twinloc.model.analysis.ErrorMapSettings`) into an
:func:`~twinloc.compute.error_map_jobs.error_map_job` that runs in the live lane under the key
``"error_map"``, superseding the running one: a newer request (an anchor being dragged)
cancels the older one, and the map is published to the floor stack as the layer
``"error_map"`` in the display mode chosen in the dock. How the map is shown (display mode, colours, survey
thresholds, imported measurements) is view state kept here, not in the project; the layers
of each mode are built in :mod:`twinloc.gui.features.error_map.layers`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.error_map_jobs import error_map_job
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.error_map.layers import (
    ErrorMapDisplay,
    error_vectors,
    heatmap_layer,
    measured_layer,
    survey_layer,
    vectors_layer,
)
from twinloc.gui.features.live_map import LiveMapController
from twinloc.gui.tasks import JobRunner
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.uwb.error_map import ErrorMap
from twinloc.uwb.measured import MeasuredPoint, PredictionComparison, load_measured_csv, nearest_cells
from twinloc.uwb.survey_plan import SurveyPlan

KEY = "error_map"
PREVIEW_THROTTLE_MS = 60
"""At most one recomputation per this interval while an anchor is dragged (a map takes ~0.2 s)."""

class ErrorMapController(LiveMapController):
    """Keeps the floor layer ``"error_map"`` showing the error map of the document's enabled anchors.

    Signals
    -------
    updated(object)
        A new :class:`~twinloc.uwb.error_map.ErrorMap` is shown (or None: it was turned off).
    displayChanged()
        :attr:`display` or the imported measurements changed.
    """

    updated = Signal(object)
    displayChanged = Signal()
    key = KEY

    def __init__(self, document: ProjectDocument, runner: JobRunner, floor: FloorStack, parent: QObject | None = None) -> None:
        self._display = ErrorMapDisplay()
        self._revision = 0
        self.error_map: ErrorMap | None = None
        """The map on display (None before the first result or while off)."""
        self.anchor_names: tuple[str, ...] = ()
        """Names of the map's anchors, in the order of ``error_map.anchor_positions``."""
        self.compute_seconds: float | None = None
        """Seconds from the request to the result of the map on display."""
        self.survey_plan: SurveyPlan | None = None
        self.measured: list[MeasuredPoint] = []
        self.measured_source: str = ""
        self.comparison: PredictionComparison | None = None
        self.note = ""
        """What the current view leaves out or needs, in the user's words ("" when nothing)."""
        super().__init__(document, runner, floor, PREVIEW_THROTTLE_MS, parent)

        for signal in (
            document.sceneChanged,
            document.anchorsChanged,
            document.materialsChanged,
            document.objectsChanged,
            document.settingsChanged,
            document.errorMapSettingsChanged,
        ):
            signal.connect(self.refresh)
        document.sceneChanged.connect(self._forget_measured)

    # ------------------------------------------------------------------ state

    @property
    def display(self) -> ErrorMapDisplay:
        return self._display

    def _on_disabled(self) -> None:
        self.error_map = None
        self.survey_plan = None
        self.comparison = None
        self.updated.emit(None)

    def set_display(self, display: ErrorMapDisplay) -> None:
        """Show the map another way (no recomputation)."""
        if display != self._display:
            self._display = display
            self._draw()
            self.displayChanged.emit()

    def load_measured(self, path: str | Path) -> int:
        """Read measured points (see :mod:`twinloc.uwb.measured`); returns how many.

        Raises :class:`~twinloc.uwb.measured.MeasuredDataError` and keeps the previous points
        when the file cannot be read.
        """
        points = load_measured_csv(path)
        self.measured = points
        self.measured_source = Path(path).name
        self._draw()
        self.displayChanged.emit()
        return len(points)

    def _forget_measured(self) -> None:
        """Measurements belong to a site: another scene drops them."""
        if self.measured:
            self.measured, self.measured_source, self.comparison = [], "", None
            self.displayChanged.emit()

    # ------------------------------------------------------------------ readouts

    def cell_at(self, x: float, y: float) -> int:
        """Index of the map's cell holding floor point (x, y) metres; -1 outside or without a map."""
        if self.error_map is None or not self.error_map.magnitude.size:
            return -1
        return int(nearest_cells(self.error_map.grid, np.array([[x, y]]))[0])

    def readout(self, x: float, y: float) -> str | None:
        """"x 3.25 m  y 4.05 m · error 0.42 m (dx +0.31, dy -0.28) · GDOP 1.9 · NLOS: A1, A3",
        or None when (x, y) is outside the map."""
        cell = self.cell_at(x, y)
        if cell < 0:
            return None
        error_map = self.error_map
        where = f"x {x:.2f} m  y {y:.2f} m"
        los, blocked = error_map.los[cell], error_map.blocked[cell]
        nlos = [
            f"{name} (blocked)" if blocked[index] else name
            for index, name in enumerate(self.anchor_names)
            if not los[index]
        ]
        links = f"NLOS: {', '.join(nlos)}" if nlos else "all anchors in LOS"
        if error_map.degenerate[cell]:
            return f"{where} · no fix (too few usable anchors or degenerate geometry) · {links}"
        dx, dy = error_vectors(error_map)[cell]
        return (
            f"{where} · error {error_map.cell_error[cell]:.2f} m (dx {dx:+.2f}, dy {dy:+.2f})"
            f" · GDOP {error_map.gdop[cell]:.1f} · {links}"
        )

    # ------------------------------------------------------------------ compute

    def _submit(self) -> None:
        project = self._document.project
        scene = self._document.scene
        names, positions = self._enabled_anchors()
        tag_height = self._document.tag_height_m
        submitted_at = time.perf_counter()
        revision = self._floor.revise(KEY)
        job = error_map_job(scene, positions, self._document.grid_resolution_m, tag_height, project.error_map,
                            geometry=self._document.geometry)
        task = self._runner.submit(job, key=KEY, supersede=True)
        task.finished.connect(lambda result: self._on_finished(result, names, submitted_at, revision))
        task.failed.connect(self._on_failed)

    def _on_finished(self, result: ErrorMap, names: tuple[str, ...], submitted_at: float, revision: int) -> None:
        if not self._enabled:
            return
        self._revision = revision
        self.error_map = result
        self.anchor_names = names
        self.compute_seconds = time.perf_counter() - submitted_at
        self._draw()
        self.updated.emit(result)

    # ------------------------------------------------------------------ drawing

    def _draw(self) -> None:
        """Publish the current map in the current mode (GUI thread only)."""
        error_map = self.error_map
        self.survey_plan = None
        self.comparison = None
        if error_map is None or not self._enabled:
            return
        mode, display = self._display.mode, self._display
        self.note = _degenerate_note(error_map)
        if mode in ("magnitude", "gdop", "los_count"):
            layer = heatmap_layer(error_map, display)
        elif mode == "vectors":
            layer = vectors_layer(error_map, display)
        elif mode == "survey":
            layer, self.survey_plan = survey_layer(error_map, display)
        elif self.measured:
            layer, self.comparison = measured_layer(error_map, self.measured, self.measured_source)
        else:
            self.note = "Import measured points (Import Measured CSV…) to compare them with the prediction."
            layer = None
        self._floor.publish(KEY, layer, self._revision)


def _degenerate_note(error_map: ErrorMap) -> str:
    count = int(error_map.degenerate.sum())
    if not count:
        return ""
    if count == error_map.degenerate.size:
        need = 4 if error_map.settings.dimensions == 3 else 3
        return f"No cell can be located: {error_map.settings.dimensions}D fixes need at least {need} usable anchors."
    return f"{count} cells have no fix (too few usable anchors); they are not drawn."
