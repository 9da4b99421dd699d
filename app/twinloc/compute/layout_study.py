"""What the GUI's Optimise section runs: an optimisation plus the current layout's map, for comparison.

The layout optimisation itself is :func:`~twinloc.compute.layout_optimization.optimize_layout`
(the CLI's ``twinloc optimize`` runs the same). This module adds the pieces the interactive
loop needs around it: the project's drawn mounting regions merged into the scene, the error
map of the layout in place now on the same grid as the proposals (so the two can be shown
side by side on one colour scale) and again after the anchors were edited, and names for the
anchors of a proposal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job
from twinloc.compute.layout_optimization import (
    IterationListener,
    LayoutOptimization,
    LayoutRequest,
    LayoutScorer,
    optimize_layout,
    prepare_problem,
)
from twinloc.geometry.scene import Region, RegionType, Scene
from twinloc.model.mounting import MountingRegion
from twinloc.uwb.error_map import ErrorMap
from twinloc.uwb.multilateration import minimum_anchors


@dataclass(frozen=True, eq=False)
class LayoutStudy:
    """Result of :func:`layout_study_job`.

    optimization : the ranked layouts, convergence and whether the run was cancelled.
    current_stats, current_map : statistics and error map of the layout the project has now
        (enabled anchors), on the proposals' grid; None when it has too few anchors for a fix.
    request : what was optimised.
    scorer : scores another layout on the proposals' grid (see :func:`current_layout_job`).
    """

    optimization: LayoutOptimization
    current_stats: dict | None
    current_map: ErrorMap | None
    request: LayoutRequest
    scorer: LayoutScorer


def scene_with_mounting_regions(scene: Scene, regions: tuple[MountingRegion, ...]) -> Scene:
    """``scene`` with the user's mounting ``regions`` added to its own.

    Raises
    ------
    ValueError
        A drawn region named like one of the scene's regions.
    """
    if not regions:
        return scene
    taken = {region.name for region in scene.regions}
    clashes = [region.name for region in regions if region.name in taken]
    if clashes:
        raise ValueError(f"mounting region name(s) already used by the scene: {', '.join(map(repr, clashes))}")
    added = tuple(
        Region(
            name=region.name,
            type=RegionType.MOUNTING,
            polygon=np.asarray(region.polygon, dtype=np.float64),
            z_range_m=region.z_range_m,
            is_polyline=region.is_polyline,
        )
        for region in regions
    )
    return replace(scene, regions=(*scene.regions, *added))


def layout_study_job(scene: Scene, request: LayoutRequest, current_anchors, listener: IterationListener | None = None) -> Job:
    """A job optimising ``request`` on ``scene`` and mapping the current layout beside it.

    Parameters
    ----------
    scene : Scene
        The effective scene with every mounting region the request may name
        (see :func:`scene_with_mounting_regions`).
    request : LayoutRequest
    current_anchors : (A, 3) array_like of float, metres
        The enabled anchors in place now other than the request's fixed ones (copied): the
        current layout is these plus ``request.fixed_anchors``.
    listener : callable or None
        ``listener(t, best_layout (N, 3) metres, best_fitness, convergence (t,))``, called on
        the worker thread after every iteration (the GUI bridges it to a queued signal).

    The job has no cache key: a cancelled run returns normally with its best layouts so far,
    which must not be remembered as the answer to the request.
    """
    current = np.array(current_anchors, dtype=np.float64).reshape(-1, 3)

    def run(progress: ProgressFn, cancel: CancelToken) -> LayoutStudy:
        progress(0.0, "Preparing mounting sites")
        problem = prepare_problem(scene, request, progress=scaled_progress(progress, 0.0, 0.3), cancel=cancel)
        optimization = optimize_layout(problem, progress=scaled_progress(progress, 0.3, 0.97), cancel=cancel, listener=listener)
        current_stats = current_map = None
        if len(current) + len(request.fixed_anchors) >= minimum_anchors(problem.settings.dimensions):
            progress(0.97, "Error map of the current layout")
            current_stats, current_map = problem.stats(current)
        progress(1.0, "Layouts ready")
        return LayoutStudy(optimization, current_stats, current_map, request, problem.scorer)

    return Job(name="Anchor layout optimisation", function=run, key=None)


def current_layout_job(study: LayoutStudy, anchors) -> Job:
    """A job scoring the layout in place now on ``study``'s grid, after the anchors were edited.

    Parameters
    ----------
    study : LayoutStudy
    anchors : (A, 3) array_like of float, metres
        Every enabled anchor of the project now (copied), the kept-fixed ones included.

    Returns the study with ``current_stats`` and ``current_map`` of ``anchors`` (None when
    they are too few for a fix); the proposals are unchanged.
    """
    current = np.array(anchors, dtype=np.float64).reshape(-1, 3)

    def run(progress: ProgressFn, cancel: CancelToken) -> LayoutStudy:
        if len(current) < minimum_anchors(study.scorer.settings.dimensions):
            return replace(study, current_stats=None, current_map=None)
        progress(0.0, "Error map of the current layout")
        current_stats, current_map = study.scorer.stats(current, cancel)
        return replace(study, current_stats=current_stats, current_map=current_map)

    return Job(name="Error map of the current layout", function=run, key=None)


def names_for_layout(count: int, taken: set[str] | frozenset[str] = frozenset(), stem: str = "A") -> tuple[str, ...]:
    """``count`` names ``A1, A2, ...`` skipping those in ``taken`` (the anchors kept fixed)."""
    names: list[str] = []
    index = 1
    while len(names) < count:
        name = f"{stem}{index}"
        if name not in taken:
            names.append(name)
        index += 1
    return tuple(names)
