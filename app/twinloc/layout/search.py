"""The slime mould search of a prepared layout problem and its ranked, distinct best layouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.layout.problem import LayoutProblem
from twinloc.optim.ranking import best_distinct
from twinloc.optim.sma import SmaResult, slime_mould_minimize
from twinloc.uwb.error_map import ErrorMap

SEARCH_RESTARTS = 2
"""Independent slime mould runs a layout search splits its iterations over (see
``slime_mould_minimize``'s ``restarts``). A layout objective has a few distinct optima and one
run settles in one of them: on the uwb hall with 4 anchors, 24 of 65 full runs ended within 6 m
of the best summed error, most others 40-110 m above. Two runs of half the iterations each are
better more often than one: in ``benchmarks/run.py optimize_peers`` (4000 evaluations), at least
as good as both peers in 6 of 9 settings on seeds 0-4 and 7 of 9 on seeds 5-9, against 5 and 5
with one run (docs/benchmarks.md)."""


IterationListener = Callable[[int, np.ndarray, float, np.ndarray], None]
"""``listener(t, best_layout (N, 3) metres, best_fitness, convergence (t,))`` after iteration t."""


@dataclass(frozen=True, eq=False)
class RankedLayout:
    """One reported layout: positions (N, 3) metres, the mounting region of each anchor,
    its objective fitness, statistics (see :meth:`LayoutProblem.stats`) and error map."""

    positions: np.ndarray
    surfaces: tuple[str, ...]
    fitness: float
    stats: dict
    error_map: ErrorMap


@dataclass(frozen=True, eq=False)
class LayoutOptimization:
    """Result of :func:`optimize_layout`.

    layouts : best first by the summed error on the reporting grid (the Sum a user is shown),
    so layouts[0] is the best. convergence : (T,) best fitness per iteration, on the coarser
    objective grid. seconds : the whole run, preparation included. sma : the raw SMA result.
    """

    layouts: tuple[RankedLayout, ...]
    convergence: np.ndarray
    evaluations: int
    seconds: float
    cancelled: bool
    sma: SmaResult

    @property
    def best(self) -> RankedLayout:
        return self.layouts[0]


def optimize_layout(
    problem: LayoutProblem,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    listener: IterationListener | None = None,
) -> LayoutOptimization:
    """Run the slime mould algorithm on a prepared problem and rank its distinct best layouts.

    Progress covers the search (to 0.9, one report per iteration: "iteration t of T, best
    ... m") and the full-resolution maps of the reported layouts. A cancelled run keeps
    the best layouts found so far (``cancelled`` set).
    """
    started = time.perf_counter()
    request, space = problem.request, problem.space
    report = progress or (lambda fraction, text: None)
    search_progress = scaled_progress(report, 0.0, 0.9)
    rng = np.random.default_rng([request.seed, 1])  # the repair's own stream, fixed by the seed

    def on_iteration(t: int, best_x: np.ndarray, best_fitness: float, convergence: np.ndarray) -> None:
        search_progress(t / request.iterations, f"iteration {t} of {request.iterations}, best {best_fitness:.1f} m")
        if listener is not None:
            listener(t, space.positions(best_x[None])[0], best_fitness, convergence)

    result = slime_mould_minimize(
        problem.fitness,
        space.lower,
        space.upper,
        population=request.population,
        iterations=request.iterations,
        seed=request.seed,
        repair=lambda X: space.repair(X, rng),
        cancel=cancel,
        callback=on_iteration,
        restarts=min(SEARCH_RESTARTS, request.iterations),
    )
    layouts = space.positions(result.evaluated_x)
    chosen = best_distinct(layouts, result.evaluated_fitness, request.top_k, request.distinct_m)
    ranked = []
    for rank, index in enumerate(chosen):
        report(0.9 + 0.1 * rank / len(chosen), f"Error map of layout {rank + 1} of {len(chosen)}")
        stats, error_map = problem.stats(layouts[index])
        ranked.append(
            RankedLayout(
                positions=layouts[index],
                surfaces=tuple(space.surface_names(result.evaluated_x[index])),
                fitness=float(result.evaluated_fitness[index]),
                stats=stats,
                error_map=error_map,
            )
        )
    report(1.0, "Layouts ready")
    # The search ranked them on the coarse objective grid; the numbers reported (and shown) are
    # the reporting grid's, so they are ordered by those.
    ranked.sort(key=lambda layout: layout.stats["sum_error_m"])
    return LayoutOptimization(
        layouts=tuple(ranked),
        convergence=result.convergence,
        evaluations=result.evaluations,
        seconds=problem.prepare_seconds + time.perf_counter() - started,
        cancelled=result.cancelled,
        sma=result,
    )
