"""What the layout optimization previews on the floor: a proposed layout's error map."""

from __future__ import annotations

import numpy as np

from twinloc.geometry.floor_layer import FloorLayer
from twinloc.uwb.error_map import ErrorMap


def preview_layer(error_map: ErrorMap, clim: tuple[float, float]) -> FloorLayer:
    """The per-cell positioning error of a proposal, on the colour range ``clim`` (metres) that
    every proposal and the current layout share; cells without a fix are not drawn."""
    values = np.where(error_map.degenerate, np.nan, error_map.cell_error)
    return FloorLayer(error_map.grid, values, "Error (m)", clim=clim)
