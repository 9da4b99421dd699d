"""The line-of-sight map job: which anchors each floor cell of a scene sees."""

from __future__ import annotations

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job, input_key
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.scene import Scene
from twinloc.uwb.visibility import LosMap, compute_los_map


def los_map_job(
    scene: Scene,
    anchor_positions: np.ndarray,
    resolution_m: float,
    tag_height_m: float,
    geometry: GeometryCache | None = None,
) -> Job:
    """A job computing the LOS map of ``scene`` over its evaluation regions.

    Parameters
    ----------
    scene : Scene
        The effective scene (material overrides applied); it is immutable, so the job can hold it.
    anchor_positions : (A, 3) array_like of float, metres
        Copied here: later edits by the caller do not reach the running job.
    resolution_m : float
        Floor grid cell size, metres.
    tag_height_m : float
        Height of the grid above the floor, metres.
    geometry : GeometryCache or None
        The application's ray engines and floor grids (None: the job builds its own).

    Returns
    -------
    Job
        Its result is a :class:`~twinloc.uwb.visibility.LosMap`; its key hashes every input,
        so the same map is not computed twice while it stays in the pool's cache.
    """
    anchors = np.array(anchor_positions, dtype=np.float64).reshape(-1, 3)
    anchors.flags.writeable = False
    resolution_m, tag_height_m = float(resolution_m), float(tag_height_m)

    def run(progress: ProgressFn, cancel: CancelToken) -> LosMap:
        progress(0.0, "Preparing ray engine")
        cache = cache_or_new(geometry)
        engine = cache.ray_engine(scene)
        cancel.raise_if_cancelled()
        progress(0.1, "Building floor grid")
        grid = cache.floor_grid(scene, resolution_m, tag_height_m)
        cancel.raise_if_cancelled()
        return compute_los_map(engine, grid, anchors, progress=scaled_progress(progress, 0.15, 1.0), cancel=cancel)

    key = input_key("los_map", scene.content_hash(), anchors, resolution_m, tag_height_m)
    return Job(name="LOS map", function=run, key=key)
