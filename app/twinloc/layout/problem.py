"""The anchor-layout optimization problem of a scene: what is asked, and what every search shares.

:func:`prepare_problem` builds what every search shares, once: the mounting space, a
coarse objective grid (0.2 m by default: a quarter of the 0.1 m map's cells, and 16 sites
per metre of wall traced to each of them) and the link tables of
:class:`~twinloc.uwb.layout_objective.LayoutObjective`. :class:`LayoutScorer` gives the
statistics of a layout on the full reporting grid, which the results show and are ordered by
(:mod:`twinloc.layout.search`), so the interpolated, coarse objective only steers the search
and never makes (or orders) the reported numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.scene import Scene
from twinloc.model.analysis import ErrorMapSettings
from twinloc.optim.mounting import MountingSpace
from twinloc.uwb.error_map import ErrorMap, compute_error_map
from twinloc.uwb.layout_objective import LayoutObjective, cell_weights

#: Fitness charged per metre of weighted main-area error above the threshold. Large enough
#: that a layout breaking the constraint loses against any that keeps it in the hall scenes.
MAIN_AREA_PENALTY = 10.0

@dataclass(frozen=True)
class LayoutRequest:
    """What to optimize.

    anchor_count : anchors to place, N.
    min_distance_m : least distance between any two anchors, metres.
    fixed_anchors : ((x, y, z), ...) metres; installed anchors kept where they are.
    region_names : mounting regions to use (None: all of the scene's).
    main_threshold_m : error allowed in main-area cells (None: no constraint).
    resolution_m : cell size of the reported maps; objective_resolution_m : of the objective.
    tag_height_m : None: the scene's.
    band_spacing_m, area_spacing_m : spacing of the precomputed sites.
    population, iterations, seed : of the slime mould run.
    top_k : distinct layouts reported; distinct_m : how far apart (largest matched anchor
        distance) two reported layouts are at least.
    settings : the error-map model (Monte Carlo draws are not used: the objective is the
        deterministic map).
    """

    anchor_count: int
    min_distance_m: float = 1.0
    fixed_anchors: tuple = ()
    region_names: tuple | None = None
    main_threshold_m: float | None = None
    resolution_m: float = 0.1
    objective_resolution_m: float = 0.2
    tag_height_m: float | None = None
    band_spacing_m: float = 0.25
    area_spacing_m: float = 0.5
    population: int = 50
    iterations: int = 80
    seed: int = 0
    top_k: int = 5
    distinct_m: float = 0.5
    settings: ErrorMapSettings = ErrorMapSettings()


@dataclass(frozen=True, eq=False)
class LayoutProblem:
    """The shared parts of every search on one scene and request.

    objective_grid, report_grid : FloorGrid; objective : LayoutObjective on objective_grid.
    """

    scene: Scene
    request: LayoutRequest
    engine: object
    space: MountingSpace
    objective: LayoutObjective
    objective_grid: object
    report_grid: object
    settings: ErrorMapSettings
    prepare_seconds: float

    def fitness(self, X) -> np.ndarray:
        """(P,) float64: summed error plus the main-area penalty of decision vectors X (P, D)."""
        scores = self.objective.evaluate(self.space.positions(X), *self.space.site_weights(X))
        return scores.sum_error_m + MAIN_AREA_PENALTY * scores.main_excess_m

    @property
    def scorer(self) -> LayoutScorer:
        """What scores a layout on the reporting grid (kept by a study without the link tables)."""
        return LayoutScorer(self.engine, self.scene, self.report_grid, self.settings, self.request.main_threshold_m)

    def stats(self, anchors) -> tuple[dict, ErrorMap]:
        """Statistics of one layout (A, 3) metres (fixed anchors added) on the reporting grid;
        see :meth:`LayoutScorer.stats`."""
        anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
        return self.scorer.stats(np.vstack([self.space.fixed_anchors, anchors]))


@dataclass(frozen=True, eq=False)
class LayoutScorer:
    """Scores anchor layouts on one reporting grid: the statistics the results show.

    grid : FloorGrid; main_threshold_m : error allowed in main-area cells (None: no constraint).
    """

    engine: object
    scene: Scene
    grid: object
    settings: ErrorMapSettings
    main_threshold_m: float | None

    def stats(self, anchors, cancel: CancelToken | None = None) -> tuple[dict, ErrorMap]:
        """Statistics of the layout ``anchors`` (A, 3) metres, every anchor of it.

        Returns a JSON-ready dict (sum_error_m weighted, mean/p90/max error over cells with a
        fix, main_area_violations: main-area cells above the threshold or without a fix,
        degenerate_cells) and the ErrorMap.
        """
        anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
        error_map = compute_error_map(self.engine, self.scene, self.grid, anchors, self.settings, cancel=cancel)
        weights, main = cell_weights(self.scene, self.grid.points)
        errors = error_map.cell_error
        valid = ~error_map.degenerate
        threshold = self.main_threshold_m
        violations = 0 if threshold is None else int((main & (error_map.degenerate | (errors > threshold))).sum())
        values = errors[valid]
        stats = {
            "sum_error_m": float(np.sum(weights[valid] * values)),
            "mean_error_m": float(values.mean()) if values.size else None,
            "p90_error_m": float(np.percentile(values, 90)) if values.size else None,
            "max_error_m": float(values.max()) if values.size else None,
            "main_area_violations": violations,
            "degenerate_cells": int(error_map.degenerate.sum()),
        }
        return stats, error_map


def prepare_problem(
    scene: Scene,
    request: LayoutRequest,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    geometry: GeometryCache | None = None,
) -> LayoutProblem:
    """Build the mounting space and the objective's link tables.

    ``geometry`` gives the scene's ray engine and floor grids (None: built for this problem).

    Raises
    ------
    ValueError
        No mounting regions, an impossible minimum distance, fewer anchors than a fix needs,
        or a scene without floor cells.
    """
    started = time.perf_counter()
    report = progress or (lambda fraction, text: None)
    settings = replace(request.settings, monte_carlo_draws=0)
    needed = 3 if settings.dimensions == 2 else 4
    if request.anchor_count + len(request.fixed_anchors) < needed:
        raise ValueError(f"{settings.dimensions}D positioning needs at least {needed} anchors, got {request.anchor_count + len(request.fixed_anchors)}")
    fixed = np.asarray(request.fixed_anchors, dtype=np.float64).reshape(-1, 3)
    space = MountingSpace.from_scene(
        scene,
        request.anchor_count,
        region_names=request.region_names,
        min_distance_m=request.min_distance_m,
        fixed_anchors=fixed,
        band_spacing_m=request.band_spacing_m,
        area_spacing_m=request.area_spacing_m,
    )
    tag_height = scene.tag_height_m if request.tag_height_m is None else request.tag_height_m
    geometry = cache_or_new(geometry)
    engine = geometry.ray_engine(scene)
    objective_grid = geometry.floor_grid(scene, request.objective_resolution_m, tag_height)
    report_grid = geometry.floor_grid(scene, request.resolution_m, tag_height)
    if objective_grid.cell_count == 0 or report_grid.cell_count == 0:
        raise ValueError(f"scene {scene.name!r} has no floor cells to evaluate")
    objective = LayoutObjective(
        engine,
        scene,
        objective_grid,
        space.sites,
        settings,
        fixed_anchors=fixed,
        reference_resolution_m=request.resolution_m,
        main_threshold_m=request.main_threshold_m,
        progress=report,
        cancel=cancel,
    )
    return LayoutProblem(
        scene=scene,
        request=request,
        engine=engine,
        space=space,
        objective=objective,
        objective_grid=objective_grid,
        report_grid=report_grid,
        settings=settings,
        prepare_seconds=time.perf_counter() - started,
    )
