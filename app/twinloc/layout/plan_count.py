"""How many anchors does a floor need? The best layout of every anchor count, and the least that meets a target.

Each anchor count is one task: the slime mould search of :mod:`twinloc.layout.search` on a
problem prepared for that count, scored on the reporting grid. The tasks are independent,
so a study runner (:mod:`twinloc.studies`) runs them in parallel; the scene and the request
are shared once, and each count's search seed derives from the study seed, so the answer
does not depend on where the tasks ran.

A count meets the target when the 90th percentile of the error over *every* floor cell is at
most the target; a cell without a fix (too few usable anchors) counts as infinitely wrong
there, so a layout that leaves a tenth of the floor unlocatable never meets a target. The
mean and the maximum are over the cells with a fix, as everywhere else in TwinLoc, and the
coverage (fraction of cells with a fix) is reported beside them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.geometry.cache import process_cache
from twinloc.geometry.scene import Scene
from twinloc.layout.problem import LayoutRequest, prepare_problem
from twinloc.layout.search import optimize_layout
from twinloc.optim.mounting import MountingSpace
from twinloc.uwb.error_map import ErrorMap

#: The percentile the target is set on.
TARGET_PERCENTILE = 90


@dataclass(frozen=True, eq=False)
class CountPlan:
    """The best layout found for one anchor count.

    anchor_count : anchors placed, N.
    positions : (N, 3) float64, metres; surfaces : the mounting region of each anchor.
    mean_error_m, max_error_m : over the reporting cells with a fix (None: no cell has one).
    p90_error_m : 90th percentile over every reporting cell, cells without a fix counting as
        infinitely wrong (None: more than a tenth of the cells have no fix).
    coverage : fraction of the reporting cells with a fix.
    sum_error_m : weighted summed error, what the search minimised.
    evaluations : objective values the search computed; seconds : the task's wall time.
    error_map : the layout's ErrorMap on the reporting grid (what a preview shows).
    """

    anchor_count: int
    positions: np.ndarray
    surfaces: tuple[str, ...]
    mean_error_m: float | None
    p90_error_m: float | None
    max_error_m: float | None
    coverage: float
    sum_error_m: float
    evaluations: int
    seconds: float
    error_map: ErrorMap

    def meets(self, target_p90_m: float) -> bool:
        """True when the p90 error (every cell counted) is at most ``target_p90_m`` metres."""
        return self.p90_error_m is not None and self.p90_error_m <= target_p90_m

    def to_json(self) -> dict:
        return {
            "anchors": self.anchor_count,
            "layout": self.positions.tolist(),
            "surfaces": list(self.surfaces),
            "mean_error_m": self.mean_error_m,
            "p90_error_m": self.p90_error_m,
            "max_error_m": self.max_error_m,
            "coverage": self.coverage,
            "sum_error_m": self.sum_error_m,
            "evaluations": self.evaluations,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, eq=False)
class CountStudy:
    """Result of :func:`plan_count`: one :class:`CountPlan` per count, in count order.

    target_p90_m : the target, metres. smallest_count : the least count whose plan meets it
    (None: none of the counts tried does). seconds : the whole study.
    """

    plans: tuple[CountPlan, ...]
    target_p90_m: float
    smallest_count: int | None
    seconds: float

    def to_json(self) -> dict:
        return {
            "target_p90_m": self.target_p90_m,
            "smallest_count": self.smallest_count,
            "counts": [plan.to_json() for plan in self.plans],
            "seconds": round(self.seconds, 3),
        }


def p90_over_every_cell(errors, without_fix) -> float | None:
    """The 90th percentile (numpy's linear interpolation) of ``errors`` (M,) metres with the
    cells flagged ``without_fix`` (M,) bool taken as infinitely wrong; None when it is infinite."""
    errors = np.where(np.asarray(without_fix, dtype=bool), np.inf, np.asarray(errors, dtype=np.float64))
    if errors.size == 0:
        return None
    ordered = np.sort(errors)
    position = TARGET_PERCENTILE / 100 * (ordered.size - 1)
    low, high = math.floor(position), math.ceil(position)
    if not np.isfinite(ordered[high]):
        return None
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def plan_one_count(anchor_count: int, shared: dict, rng_seed: np.random.SeedSequence) -> CountPlan:
    """The task of one anchor count: optimise ``shared["request"]`` with ``anchor_count`` anchors
    on ``shared["scene"]`` and score the best layout on the reporting grid.

    shared : {"scene": Scene, "request": LayoutRequest (its anchor count and seed are replaced)}.
    rng_seed : the count's seed sequence; the search seed is its first 32-bit word.
    """
    started = time.perf_counter()
    seed = int(rng_seed.generate_state(1)[0])
    request = replace(shared["request"], anchor_count=anchor_count, seed=seed, top_k=1)
    problem = prepare_problem(shared["scene"], request, geometry=process_cache())
    result = optimize_layout(problem)
    best = result.best
    error_map = best.error_map
    fixed = ~error_map.degenerate
    return CountPlan(
        anchor_count=anchor_count,
        positions=best.positions,
        surfaces=best.surfaces,
        mean_error_m=best.stats["mean_error_m"],
        p90_error_m=p90_over_every_cell(error_map.cell_error, error_map.degenerate),
        max_error_m=best.stats["max_error_m"],
        coverage=float(fixed.mean()) if fixed.size else 0.0,
        sum_error_m=best.stats["sum_error_m"],
        evaluations=result.evaluations,
        seconds=time.perf_counter() - started,
        error_map=error_map,
    )


def plan_count(
    scene: Scene,
    counts,
    target_p90_m: float,
    request: LayoutRequest,
    runner,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
) -> CountStudy:
    """The best layout of every anchor count in ``counts`` and the least count meeting the target.

    Parameters
    ----------
    scene : Scene with the mounting regions ``request`` may name.
    counts : iterable of int, the anchor counts to try (each at least what a fix needs).
    target_p90_m : float, metres; the p90 error a plan must reach (see the module docstring).
    request : LayoutRequest; everything but the anchor count (search budget, regions, minimum
        distance, grids). Its ``seed`` is the study seed the counts' seeds derive from.
    runner : a study runner (``twinloc.studies.open_runner``): ``runner.map(task, items,
        shared=, seed=, progress=, cancel=)``.
    progress, cancel : reported per finished count; a cancel ends the study (the runner raises).

    Raises
    ------
    ValueError
        No counts, a count below what a fix needs, a bad target, or mounting regions that are
        unknown or cannot hold the most anchors at the minimum distance (checked here, before
        any task starts).
    """
    counts = sorted(set(int(count) for count in counts))
    if not counts:
        raise ValueError("no anchor counts to try")
    needed = 3 if request.settings.dimensions == 2 else 4
    if counts[0] + len(request.fixed_anchors) < needed:
        raise ValueError(f"{request.settings.dimensions}D positioning needs at least {needed} anchors, got {counts[0]}")
    if not (math.isfinite(target_p90_m) and target_p90_m > 0):
        raise ValueError(f"the target p90 error must be a positive number of metres, got {target_p90_m!r}")
    MountingSpace.from_scene(scene, counts[-1], region_names=request.region_names, min_distance_m=request.min_distance_m,
                             fixed_anchors=np.asarray(request.fixed_anchors, dtype=np.float64).reshape(-1, 3))
    started = time.perf_counter()
    plans = runner.map(plan_one_count, counts, shared={"scene": scene, "request": request}, seed=request.seed,
                       progress=progress, cancel=cancel)
    meeting = [plan.anchor_count for plan in plans if plan.meets(target_p90_m)]
    return CountStudy(
        plans=tuple(plans),
        target_p90_m=float(target_p90_m),
        smallest_count=meeting[0] if meeting else None,
        seconds=time.perf_counter() - started,
    )
