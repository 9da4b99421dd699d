"""Ray engines shared between jobs, one per scene geometry: building an Embree scene is not free."""

from __future__ import annotations

import threading
from collections import OrderedDict

from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import Scene

MAX_ENGINES = 4

_engines: OrderedDict[str, RayEngine] = OrderedDict()
_lock = threading.Lock()


def ray_engine_for(scene: Scene) -> RayEngine:
    """The ray engine of ``scene``, built on first use and kept for the few scenes used last.

    Keyed by ``scene.geometry_hash()``: a material edit keeps the engine. Two threads asking for a new scene at once may
    both build it; the engine kept is the same either way, and building outside the
    lock keeps other scenes' jobs from waiting.
    """
    key = scene.geometry_hash()
    with _lock:
        engine = _engines.get(key)
        if engine is not None:
            _engines.move_to_end(key)
            return engine
    engine = RayEngine(scene)
    with _lock:
        _engines[key] = engine
        while len(_engines) > MAX_ENGINES:
            _engines.popitem(last=False)
    return engine
