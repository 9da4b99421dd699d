"""What the error map publishes to the floor: one layer per display mode.

Pure functions of an :class:`~twinloc.uwb.error_map.ErrorMap` and the display settings
(:class:`ErrorMapDisplay`, view state that is not saved with the project).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinloc.geometry.floor_layer import ArrowSet, FloorLayer, PointSet, nice_scale
from twinloc.uwb.error_map import ErrorMap
from twinloc.uwb.measured import MeasuredPoint, PredictionComparison, compare_with_prediction
from twinloc.uwb.survey_plan import SurveyPlan, SurveyPlanSettings, plan_survey

#: Display modes, in the order the dock lists them, with their labels.
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
    vectors = error_vectors(error_map)
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


def error_vectors(error_map: ErrorMap) -> np.ndarray:
    """(M, 2) metres: the error vector each cell is shown with (Monte Carlo mean when available)."""
    return error_map.monte_carlo.mean_error if error_map.monte_carlo is not None else error_map.error
