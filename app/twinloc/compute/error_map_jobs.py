"""The error map job: the positioning error of an anchor layout over a scene's floor."""

from __future__ import annotations

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job, input_key
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.scene import Scene
from twinloc.uwb.error_map import ErrorMap, ErrorMapSettings, compute_error_map


def error_map_job(
    scene: Scene,
    anchor_positions: np.ndarray,
    resolution_m: float,
    tag_height_m: float,
    settings: ErrorMapSettings = ErrorMapSettings(),
    geometry: GeometryCache | None = None,
) -> Job:
    """A job computing the :class:`~twinloc.uwb.error_map.ErrorMap` of an anchor layout.

    Parameters
    ----------
    scene : Scene, the effective scene (material overrides applied).
    anchor_positions : (A, 3) array_like of float, metres; the enabled anchors (copied).
    resolution_m : float, floor cell size in metres.
    tag_height_m : float, metres.
    settings : ErrorMapSettings
    geometry : GeometryCache or None, the application's ray engines and floor grids (None: the job builds its own).
    """
    anchors = np.array(anchor_positions, dtype=np.float64).reshape(-1, 3)
    anchors.flags.writeable = False
    resolution_m, tag_height_m = float(resolution_m), float(tag_height_m)

    def run(progress: ProgressFn, cancel: CancelToken) -> ErrorMap:
        progress(0.0, "Preparing floor grid")
        cache = cache_or_new(geometry)
        engine = cache.ray_engine(scene)
        grid = cache.floor_grid(scene, resolution_m, tag_height_m)
        cancel.raise_if_cancelled()
        return compute_error_map(
            engine, scene, grid, anchors, settings, progress=scaled_progress(progress, 0.1, 1.0), cancel=cancel
        )

    key = input_key("error_map", scene.content_hash(), anchors, resolution_m, tag_height_m, settings)
    return Job(name="Error map", function=run, key=key)
