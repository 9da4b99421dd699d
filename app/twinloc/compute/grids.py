"""Floor grids shared between jobs: a grid depends only on geometry, resolution and tag height.

Building one tests every cell against the solids, which would otherwise be repeated on every
recomputation while an anchor is dragged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from twinloc.compute.engines import ray_engine_for
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.scene import Scene

MAX_GRIDS = 8

_grids: OrderedDict[tuple[str, float, float], FloorGrid] = OrderedDict()
_lock = threading.Lock()


def floor_grid_for(scene: Scene, resolution_m: float, tag_height_m: float) -> FloorGrid:
    """The floor grid of ``scene``'s evaluation regions, cells inside solids excluded (cached)."""
    key = (scene.floor_hash(), float(resolution_m), float(tag_height_m))  # materials do not move cells
    with _lock:
        grid = _grids.get(key)
        if grid is not None:
            _grids.move_to_end(key)
            return grid
    grid = FloorGrid.over_regions(scene, resolution_m, tag_height_m, engine=ray_engine_for(scene))
    with _lock:
        _grids[key] = grid
        while len(_grids) > MAX_GRIDS:
            _grids.popitem(last=False)
    return grid
