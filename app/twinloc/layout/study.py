"""What the GUI's Optimize section runs: an optimization plus the current layout's map, for comparison.

The layout optimization itself is :func:`~twinloc.layout.search.optimize_layout` (the CLI's
``twinloc optimize`` runs the same). This module adds the pieces the interactive loop needs
around it: the error map of the layout in place now on the same grid as the proposals (so the
two can be shown side by side on one colour scale) and again after the anchors were edited,
and names for the anchors of a proposal. The mounting regions a user drew join the scene
through :func:`twinloc.workspace.scene_with_mounting_regions`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.scene import Scene
from twinloc.layout.problem import LayoutRequest, LayoutScorer, prepare_problem
from twinloc.layout.search import IterationListener, LayoutOptimization, optimize_layout
from twinloc.uwb.error_map import ErrorMap
from twinloc.uwb.multilateration import minimum_anchors


@dataclass(frozen=True, eq=False)
class LayoutStudy:
    """Result of :func:`study_layouts`.

    optimization : the ranked layouts, convergence and whether the run was cancelled.
    current_stats, current_map : statistics and error map of the layout the project has now
        (enabled anchors), on the proposals' grid; None when it has too few anchors for a fix.
    request : what was optimized.
    scorer : scores another layout on the proposals' grid (see :func:`rescore_current`).
    """

    optimization: LayoutOptimization
    current_stats: dict | None
    current_map: ErrorMap | None
    request: LayoutRequest
    scorer: LayoutScorer


def study_layouts(
    scene: Scene,
    request: LayoutRequest,
    current_anchors: np.ndarray,
    progress: ProgressFn,
    cancel: CancelToken,
    *,
    listener: IterationListener | None = None,
    geometry: GeometryCache | None = None,
) -> LayoutStudy:
    """Optimize ``request`` on ``scene`` and map the current layout beside the proposals.

    Parameters
    ----------
    scene : Scene
        The effective scene with every mounting region the request may name.
    request : LayoutRequest
    current_anchors : (A, 3) float64, metres
        The enabled anchors in place now other than the request's fixed ones: the current
        layout is these plus ``request.fixed_anchors``.
    progress, cancel : progress reports and cancellation; a cancelled search keeps its best
        layouts so far.
    listener : called after every iteration (see :data:`~twinloc.layout.search.IterationListener`).
    geometry : GeometryCache or None, the scene's ray engine and floor grids.
    """
    progress(0.0, "Preparing mounting sites")
    problem = prepare_problem(scene, request, progress=scaled_progress(progress, 0.0, 0.3), cancel=cancel, geometry=geometry)
    optimization = optimize_layout(problem, progress=scaled_progress(progress, 0.3, 0.97), cancel=cancel, listener=listener)
    current_stats = current_map = None
    if len(current_anchors) + len(request.fixed_anchors) >= minimum_anchors(problem.settings.dimensions):
        progress(0.97, "Error map of the current layout")
        current_stats, current_map = problem.stats(current_anchors)
    progress(1.0, "Layouts ready")
    return LayoutStudy(optimization, current_stats, current_map, request, problem.scorer)


def rescore_current(study: LayoutStudy, anchors: np.ndarray, progress: ProgressFn, cancel: CancelToken) -> LayoutStudy:
    """``study`` with ``current_stats`` and ``current_map`` of ``anchors`` (A, 3) metres, every
    enabled anchor now (the kept-fixed ones included), on the proposals' grid; None when they
    are too few for a fix. The proposals are unchanged."""
    if len(anchors) < minimum_anchors(study.scorer.settings.dimensions):
        return replace(study, current_stats=None, current_map=None)
    progress(0.0, "Error map of the current layout")
    current_stats, current_map = study.scorer.stats(anchors, cancel)
    return replace(study, current_stats=current_stats, current_map=current_map)


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
