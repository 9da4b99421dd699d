"""What the Fingerprinting feature publishes to the floor: the radio map of one transmitter, the
reference-point plan and its route, the survey points and the RMSE heat map.

The plan is drawn over the radio map too, so the user sees where the RPs fall in the map.
"""

from __future__ import annotations

import numpy as np

from twinloc.geometry.floor_layer import FloorLayer, PointSet, PolylineSet
from twinloc.geometry.grid import FloorGrid

BOUNDARY_COLOR = "#e8590c"
INNER_COLOR = "#7048e8"
ROUTE_COLOR = "#495057"
START_COLOR = "#2b8a3e"
SURVEY_COLOR = "#868e96"
TEST_POINT_COLOR = "#22b8cf"


def plan_markers(plan) -> tuple:
    """The route (a polyline through the RPs in walking order), the RPs of the boundary and of
    the inner loops, and the first RP, as floor markers (empty without a plan)."""
    if plan is None or not len(plan.points):
        return ()
    ordered = np.asarray(plan.points, dtype=np.float64)[np.asarray(plan.route)]
    on_boundary = np.asarray(plan.loop) == 0
    return (
        PolylineSet(ordered, ROUTE_COLOR, width_px=1.5, label="route"),
        PointSet(plan.points[on_boundary], BOUNDARY_COLOR, size_px=8.0, label="boundary RPs"),
        PointSet(plan.points[~on_boundary], INNER_COLOR, size_px=8.0, label="inner-loop RPs"),
        PointSet(ordered[:1], START_COLOR, size_px=14.0, label="start"),
    )


def plan_caption(plan) -> str:
    """"42 reference points · route 37.8 m · 3 dropped (inside a solid)" ("" without a plan)."""
    if plan is None:
        return ""
    text = f"{len(plan.points)} reference points · route {plan.route_length_m:.1f} m"
    dropped = {reason: count for reason, count in plan.dropped.items() if count}
    if dropped:
        text += f" · {sum(dropped.values())} dropped ({', '.join(dropped)})"
    return text


def plan_layer(plan) -> FloorLayer | None:
    """The plan alone on the floor (None without a plan)."""
    if plan is None:
        return None
    return FloorLayer(markers=plan_markers(plan), caption=plan_caption(plan))


#: What a radio-map layer shows: key -> (legend title, colormap).
QUANTITIES = {
    "path_gain_db": ("Path gain (dB)", "viridis"),
    "rss_dbm": ("RSS (dBm)", "viridis"),
    "range_m": ("Range (m)", "magma_r"),
    "los": ("LOS", "RdYlGn"),
}


def radio_layer(grid: FloorGrid, values: np.ndarray, quantity: str, transmitter: str, plan=None) -> FloorLayer:
    """One quantity of one transmitter over ``grid`` (values (M,) in the quantity's unit; LOS as 0/1),
    with the plan's markers on top."""
    title, cmap = QUANTITIES[quantity]
    if quantity == "los":
        clim, categorical = (0.0, 1.0), True
    else:
        finite = values[np.isfinite(values)]
        clim = (float(finite.min()), float(finite.max())) if finite.size else None
        categorical = False
    caption = f"{transmitter}: {title}"
    if plan is not None:
        caption += f"  ·  {plan_caption(plan)}"
    return FloorLayer(grid, np.asarray(values, dtype=np.float64), f"{title}", cmap=cmap, clim=clim,
                      categorical=categorical, markers=plan_markers(plan), caption=caption)


def survey_layer(points: np.ndarray, values: np.ndarray, title: str, diverging: bool) -> FloorLayer:
    """Survey points ((S, 2) metres) coloured by ``values`` ((S,); NaN: grey), on a diverging
    scale symmetric about 0 when ``diverging`` (residuals)."""
    finite = values[np.isfinite(values)]
    if diverging:
        limit = float(np.abs(finite).max()) if finite.size else 1.0
        clim, cmap = (-limit, limit), "RdBu_r"
    else:
        clim, cmap = ((float(finite.min()), float(finite.max())) if finite.size else None), "viridis"
    if clim is not None and clim[0] == clim[1]:
        clim = (clim[0] - 1.0, clim[1] + 1.0)
    markers = (PointSet(points, SURVEY_COLOR, size_px=9.0, values=values, cmap=cmap, clim=clim, title=title),)
    heard = int(np.isfinite(values).sum())
    return FloorLayer(markers=markers, caption=f"{len(points)} survey points · {heard} with a value")


def heat_layer(grid: FloorGrid, rmse_m: np.ndarray, points: np.ndarray, caption: str) -> FloorLayer:
    """The RMSE heat map over ``grid`` (values (M,) metres, NaN cells not drawn) with the test
    points ((N, 2) metres) it interpolates."""
    finite = rmse_m[np.isfinite(rmse_m)]
    clim = (0.0, float(finite.max()) if finite.size and finite.max() > 0 else 1.0)
    return FloorLayer(grid, np.asarray(rmse_m, dtype=np.float64), "RMSE (m)", cmap="inferno", clim=clim,
                      markers=(PointSet(points, TEST_POINT_COLOR, size_px=6.0, label="test points"),), caption=caption)


CHANGED_COLOR = "#e03131"
UNCHANGED_COLOR = "#adb5bd"


def change_layer(changes) -> FloorLayer:
    """The change map (:class:`~twinloc.fingerprint.site_change.ChangeMap`): the floor cells where
    some transmitter's radio map changed in red, the others small and grey."""
    changed = changes.changed_cells
    points = changes.points[:, :2]
    markers = (PointSet(points[~changed], UNCHANGED_COLOR, size_px=4.0, label="unchanged cells"),
               PointSet(points[changed], CHANGED_COLOR, size_px=9.0, label="radio map changed"))
    return FloorLayer(markers=markers, caption=f"Change map: {int(changed.sum())} of {len(points)} floor cells changed")


def error_points_layer(points: np.ndarray, errors_m: np.ndarray, caption: str) -> FloorLayer:
    """Test samples ((T, 2) metres) coloured by their positioning error ((T,) metres)."""
    largest = float(errors_m.max()) if errors_m.size and errors_m.max() > 0 else 1.0
    markers = (PointSet(points, TEST_POINT_COLOR, size_px=7.0, values=np.asarray(errors_m, dtype=np.float64),
                        cmap="inferno", clim=(0.0, largest), title="Error (m)"),)
    return FloorLayer(markers=markers, caption=caption)
