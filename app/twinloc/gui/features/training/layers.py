"""What the training publishes to the floor: the mitigated error map, in one of its views."""

from __future__ import annotations

import numpy as np

from twinloc.mitigation.maps import MitigatedMap
from twinloc.geometry.floor_layer import FloorLayer

#: What the mitigated map shows: per-cell mean error after the network, before it, or the gain.
MAP_VIEWS = {"nn": "NN error (m)", "raw": "Raw error (m)", "gain": "Reduction (m)"}


def view_values(mitigated: MitigatedMap, view: str) -> np.ndarray:
    """(M,) float64, metres: the per-cell values ``view`` (a key of :data:`MAP_VIEWS`) shows."""
    return {"nn": mitigated.nn, "raw": mitigated.raw, "gain": mitigated.raw - mitigated.nn}[view]


def mitigated_layer(mitigated: MitigatedMap, view: str) -> FloorLayer:
    """The floor layer of ``view``: errors from 0 to the 99th percentile of both maps, or the gain
    on a diverging scale symmetric about 0 (the 99th percentile of its magnitude)."""
    values = view_values(mitigated, view)
    if view == "gain":
        limit = float(np.nanpercentile(np.abs(values), 99)) if np.isfinite(values).any() else 1.0
        clim, cmap = (-limit, limit), "RdBu"
    else:
        both = np.concatenate([mitigated.raw, mitigated.nn])
        clim, cmap = (0.0, float(np.nanpercentile(both, 99)) if np.isfinite(both).any() else 1.0), "viridis"
    return FloorLayer(mitigated.grid, values, MAP_VIEWS[view], cmap=cmap, clim=clim)
