"""The live positioning-error map: the error map of the anchor layout, published to the floor.

Like the LOS overlay, inputs are captured on the GUI thread (effective scene, enabled anchor
positions, grid settings, :class:`~twinloc.model.analysis.ErrorMapSettings`) into an
:func:`~twinloc.compute.error_map_job.error_map_job` that runs in the live lane under the key
``"error_map"``, superseding the running one: a newer request (an anchor being dragged)
cancels the older one, and the map is published to the floor stack as the layer
``"error_map"`` in the display mode chosen in the dock. How the map is shown (display mode, colours, survey
thresholds, imported measurements) is view state kept here, not in the project.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.error_map_job import error_map_job
from twinloc.geometry.floor_layer import ArrowSet, FloorLayer, PointSet, nice_scale
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.live_floor_map import LiveFloorMap
from twinloc.gui.tasks import JobRunner
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.uwb.error_map import ErrorMap
from twinloc.uwb.measured import MeasuredPoint, PredictionComparison, compare_with_prediction, load_measured_csv, nearest_cells
from twinloc.uwb.survey_plan import SurveyPlan, SurveyPlanSettings, plan_survey

KEY = "error_map"
PREVIEW_THROTTLE_MS = 60
"""At most one recomputation per this interval while an anchor is dragged (a map takes ~0.2 s)."""

#: Display modes, in the order the panel lists them, with their labels.
MODES = {
    "magnitude": "Error magnitude",
    "vectors": "Error vectors",
    "gdop": "GDOP",
    "los_count": "LOS count",
    "survey": "Survey plan",
    "measured": "Measured vs predicted",
}
COLORMAPS = ("viridis", "magma", "plasma", "inferno", "cividis", "turbo", "coolwarm", "RdYlGn_r")
#: Arrows per side of the floor's longer extent in the "Error vectors" mode.
ARROWS_ACROSS = 30
COARSE_COLOR = "#2f6fde"
FINE_COLOR = "#f08a00"
MEASURED_COLOR = "#d62728"
PREDICTED_COLOR = "#5fa8e8"
TRUTH_COLOR = "#1c1f24"


@dataclass(frozen=True)
class ErrorMapDisplay:
    """How the error map is shown.

    mode : a key of :data:`MODES`.
    cmap : matplotlib colormap name.
    auto_range : colour range from the data; otherwise ``low``..``high`` (metres for error
        modes, unitless for GDOP).
    survey_error_threshold_m, survey_change_threshold : see
        :class:`~twinloc.uwb.survey_plan.SurveyPlanSettings`.
    """

    mode: str = "magnitude"
    cmap: str = "viridis"
    auto_range: bool = True
    low: float = 0.0
    high: float = 1.0
    survey_error_threshold_m: float = 0.10
    survey_change_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown display mode {self.mode!r}")
        if not self.auto_range and not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"The colour range's minimum ({self.low:g}) must be below its maximum ({self.high:g}).")
        SurveyPlanSettings(error_threshold_m=self.survey_error_threshold_m, change_threshold=self.survey_change_threshold)


class ErrorMapOverlay(LiveFloorMap):
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
        dx, dy = _vectors(error_map)[cell]
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
        job = error_map_job(scene, positions, self._document.grid_resolution_m, tag_height, project.error_map)
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


def heatmap_layer(error_map: ErrorMap, display: ErrorMapDisplay) -> FloorLayer:
    """The "magnitude", "gdop" or "los_count" mode of ``error_map``: a map coloured per cell."""
    if display.mode == "los_count":
        top = max(int(error_map.anchor_positions.shape[0]), 1)
        return FloorLayer(error_map.grid, error_map.los_count, "LOS anchors", cmap=display.cmap, clim=(0, top), categorical=True)
    if display.mode == "gdop":
        values, title = np.where(error_map.degenerate, np.nan, error_map.gdop), "GDOP"
    else:
        values = np.where(error_map.degenerate, np.nan, error_map.cell_error)
        draws = error_map.monte_carlo.draws if error_map.monte_carlo is not None else 0
        title = f"Mean error (m), {draws} draws" if draws else "Error (m)"
    return FloorLayer(error_map.grid, values, title, cmap=display.cmap, clim=_clim(values, display, display.mode))


def vectors_layer(error_map: ErrorMap, display: ErrorMapDisplay) -> FloorLayer | None:
    """The "vectors" mode: arrows on a sparse lattice of cells, coloured by length (None: no cell has a fix)."""
    grid = error_map.grid
    valid = ~error_map.degenerate
    extent = max(np.ptp(grid.x_centers), np.ptp(grid.y_centers), grid.resolution_m)
    stride = max(1, int(round(extent / ARROWS_ACROSS / grid.resolution_m)))
    rows, columns = np.nonzero(grid.mask)
    picked = (rows % stride == stride // 2) & (columns % stride == stride // 2) & valid
    vectors = _vectors(error_map)
    lengths = np.linalg.norm(vectors[picked], axis=1)
    if not lengths.size:
        return None
    spacing = stride * grid.resolution_m
    # Typical (upper-quartile) errors span one arrow spacing; the largest may overlap their neighbours.
    scale = nice_scale(spacing / max(float(np.percentile(lengths, 75)), 1e-6))
    clim = _clim(np.linalg.norm(vectors, axis=1)[valid], display, "magnitude")
    arrows = ArrowSet(grid.points[picked, :2], vectors[picked], scale, cmap=display.cmap, clim=clim)
    caption = f"Error vectors every {spacing:.2f} m, drawn ×{scale:g} (1 m of error = {scale:g} m on the floor)"
    return FloorLayer(markers=(arrows,), caption=caption)


def survey_layer(error_map: ErrorMap, display: ErrorMapDisplay) -> tuple[FloorLayer, SurveyPlan]:
    """The "survey" mode: the measuring points of a survey planned on ``error_map``, and the plan."""
    coarse = float(error_map.grid.resolution_m)
    settings = SurveyPlanSettings(
        coarse_m=coarse,
        fine_m=coarse / 2.0,
        error_threshold_m=display.survey_error_threshold_m,
        change_threshold=display.survey_change_threshold,
    )
    plan = plan_survey(error_map, settings)
    size = 4.0 if coarse >= 0.2 else 3.0
    layer = FloorLayer(
        markers=(
            PointSet(plan.points[~plan.fine], COARSE_COLOR, size, f"coarse ({coarse:g} m)"),
            PointSet(plan.points[plan.fine], FINE_COLOR, size * 0.8, f"fine ({coarse / 2:g} m)"),
        ),
        caption=f"Survey plan: {len(plan.points)} points vs {plan.uniform_points} uniform "
        f"(saving {100 * plan.saving_fraction:.0f} %)",
    )
    return layer, plan


def measured_layer(error_map: ErrorMap, measured: list[MeasuredPoint], source: str) -> tuple[FloorLayer, PredictionComparison]:
    """The "measured" mode: measured and predicted mean errors at each measured point, and their comparison."""
    comparison = compare_with_prediction(measured, error_map)
    lengths = np.concatenate([np.linalg.norm(comparison.measured_error, axis=1), np.linalg.norm(comparison.predicted_error, axis=1)])
    lengths = lengths[np.isfinite(lengths)]
    span = max(np.ptp(comparison.true[:, 0]), np.ptp(comparison.true[:, 1]), 1.0) if len(comparison.true) > 1 else 4.0
    reach = min(2.0, 0.15 * span)
    scale = nice_scale(reach / max(float(lengths.max()) if lengths.size else 0.0, 1e-6))
    layer = FloorLayer(
        markers=(
            PointSet(comparison.true, TRUTH_COLOR, 9.0, "true position"),
            # Predicted wide and light underneath, measured narrow on top: both stay visible where they agree.
            ArrowSet(comparison.true, comparison.predicted_error, scale, color=PREDICTED_COLOR, label="predicted error", width_px=6.0),
            ArrowSet(comparison.true, comparison.measured_error, scale, color=MEASURED_COLOR, label="measured mean error"),
        ),
        caption=f"{source}: {len(comparison.true)} points, arrows drawn ×{scale:g}",
    )
    return layer, comparison


def _clim(values: np.ndarray, display: ErrorMapDisplay, mode: str) -> tuple[float, float]:
    if not display.auto_range:
        return (display.low, display.high)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return (0.0, 1.0)
    if mode == "gdop":  # GDOP soars along the line through two anchors; keep the rest readable
        return (float(finite.min()), float(min(np.percentile(finite, 99), finite.max())))
    return (0.0, float(finite.max()))


def _vectors(error_map: ErrorMap) -> np.ndarray:
    """(M, 2) metres: the error vector each cell is shown with (Monte Carlo mean when available)."""
    return error_map.monte_carlo.mean_error if error_map.monte_carlo is not None else error_map.error


def _degenerate_note(error_map: ErrorMap) -> str:
    count = int(error_map.degenerate.sum())
    if not count:
        return ""
    if count == error_map.degenerate.size:
        need = 4 if error_map.settings.dimensions == 3 else 3
        return f"No cell can be located: {error_map.settings.dimensions}D fixes need at least {need} usable anchors."
    return f"{count} cells have no fix (too few usable anchors); they are not drawn."
