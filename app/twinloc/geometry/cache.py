"""Ray engines and floor grids kept between computations on the same scene.

Building an Embree scene, and testing every floor cell against the solids, would otherwise be
repeated on every recomputation while an anchor is dragged. The application (the GUI's main
window) owns one :class:`GeometryCache` and hands it to every job; a CLI run makes its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.ray_engine import RayEngine, set_default_threads
from twinloc.geometry.scene import Scene

#: Ray engines kept: the scenes used last (an edited scene and the one before it, a site simulation).
MAX_ENGINES = 4
#: Floor grids kept: a few resolutions and tag heights of those scenes.
MAX_GRIDS = 8

_Value = TypeVar("_Value")


class GeometryCache:
    """Ray engines by scene geometry and floor grids by floor, resolution and tag height.

    Both are kept least-recently-used first out, and are safe to use from several threads.
    Two threads asking for the same new entry at once may both build it; the entry kept is
    the same either way, and building outside the lock keeps other scenes' jobs from waiting.

    Parameters
    ----------
    max_engines : int, default: MAX_ENGINES
    max_grids : int, default: MAX_GRIDS
    """

    def __init__(self, max_engines: int = MAX_ENGINES, max_grids: int = MAX_GRIDS) -> None:
        if max_engines < 1 or max_grids < 1:
            raise ValueError(f"a geometry cache keeps at least one engine and one grid, got {max_engines} and {max_grids}")
        self.max_engines = max_engines
        self.max_grids = max_grids
        self._engines: OrderedDict[str, RayEngine] = OrderedDict()
        self._grids: OrderedDict[tuple[str, float, float], FloorGrid] = OrderedDict()
        self._lock = threading.Lock()

    def ray_engine(self, scene: Scene) -> RayEngine:
        """The ray engine of ``scene``, keyed by ``scene.geometry_hash()``: a material edit keeps it."""
        return self._kept(self._engines, self.max_engines, scene.geometry_hash(), lambda: RayEngine(scene))

    def floor_grid(self, scene: Scene, resolution_m: float, tag_height_m: float) -> FloorGrid:
        """The floor grid of ``scene``'s evaluation regions, cells inside solids excluded.

        Keyed by ``scene.floor_hash()`` (geometry and regions: materials do not move cells),
        the resolution and the tag height, metres.
        """
        key = (scene.floor_hash(), float(resolution_m), float(tag_height_m))
        return self._kept(self._grids, self.max_grids, key,
                          lambda: FloorGrid.over_regions(scene, resolution_m, tag_height_m, engine=self.ray_engine(scene)))

    def clear(self) -> None:
        """Forget every engine and grid (e.g. to free their memory)."""
        with self._lock:
            self._engines.clear()
            self._grids.clear()

    def _kept(self, entries: OrderedDict, most: int, key: Hashable, build: Callable[[], _Value]) -> _Value:
        with self._lock:
            value = entries.get(key)
            if value is not None:
                entries.move_to_end(key)
                return value
        value = build()
        with self._lock:
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > most:
                entries.popitem(last=False)
        return value


def cache_or_new(geometry: GeometryCache | None) -> GeometryCache:
    """``geometry``, or a new cache for a caller that keeps none (one computation's own)."""
    return geometry if geometry is not None else GeometryCache()


_PROCESS_CACHE = GeometryCache()


def process_cache() -> GeometryCache:
    """This process's own cache, for study tasks.

    A study task gets the scene, not an engine (an Embree scene cannot be pickled); through this
    cache a Dask worker builds each scene's engine and floor grids on its first task and reuses
    them for the rest of the study.
    """
    return _PROCESS_CACHE


def prepare_study_worker() -> None:
    """What a study's worker process does before each task: ray queries on one thread.

    A cluster already runs one task per core, so threads inside a task would only compete for
    the same cores. Cheap to repeat (see :func:`twinloc.studies.open_runner`'s ``worker_setup``).
    """
    set_default_threads(1)
