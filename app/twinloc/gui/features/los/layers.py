"""What the LOS map publishes to the floor: the count of anchors in line of sight, or what to do first."""

from __future__ import annotations

from twinloc.geometry.floor_layer import FloorLayer
from twinloc.uwb.visibility import LosMap

LEGEND_TITLE = "LOS anchors"
NO_ANCHORS_LAYER = FloorLayer(caption="LOS map: place anchors to see how many of them each floor cell sees")
"""Without enabled anchors every cell would read 0 on a 0-1 legend: a caption says what to do instead."""


def los_layer(los_map: LosMap) -> FloorLayer:
    """The floor layer of ``los_map``: one colour per count of anchors in line of sight, 0 to all."""
    top = max(int(los_map.anchor_positions.shape[0]), 1)
    return FloorLayer(los_map.grid, los_map.los_count, LEGEND_TITLE, clim=(0, top), categorical=True)
