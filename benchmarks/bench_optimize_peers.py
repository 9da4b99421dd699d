"""TwinLoc's slime mould search against its peers at the same number of objective evaluations.

For 4, 6 and 8 anchors on the three shipped UWB scenes, each on all of its mounting regions
(uwb_hall: the four wall bands and the ceiling; industrial_hall: the ceiling; office_floor:
its wall bands), minimum distance 1 m, the 0.2 m objective grid of ``twinloc optimize``:

- twinloc_sma : :func:`twinloc.optim.sma.slime_mould_minimize`, the population scored in one
  batched call per iteration, repaired and split over ``SEARCH_RESTARTS`` independent runs as
  ``optimize_layout`` does;
- mealpy_sma : mealpy 3.0.2's ``SMA.OriginalSMA`` (same population, epochs so that its
  initial population plus the epochs make the same budget), calling the same objective one
  layout at a time, each layout repaired before it is scored;
- scipy_de : SciPy's ``differential_evolution`` through
  :func:`twinloc.optim.baselines.differential_evolution_search` (same budget, repaired).

Quality is the objective value of the best (repaired, feasible) layout each search found:
the weighted summed error the three minimise, median over the seeds. Speed is wall seconds
per objective evaluation of the whole search, mealpy's against TwinLoc's.

Exhaustive search: 3 anchors on every combination of a mounting grid (the spacing per scene
keeps it to some 10^5 layouts), against TwinLoc's SMA on the continuous regions: the gap is
(SMA - exhaustive) / exhaustive, median over the seeds (negative: SMA found better than the grid).

    python benchmarks/run.py optimize_peers           # 5 seeds, 50 x 80 (4000 evaluations), grids 1.5 m
    python benchmarks/run.py optimize_peers --quick   # 3 seeds, 30 x 30 (900 evaluations), grids 2 m

``run(first_seed=5)`` repeats a setting on the next seeds (5 to 9 at full) to show how much of a
comparison the choice of seeds decides.
"""

from __future__ import annotations

import math
import time

import numpy as np

from twinloc.geometry.loaders import load_scene
from twinloc.layout.problem import LayoutRequest, prepare_problem
from twinloc.optim.baselines import differential_evolution_search, exhaustive_search
from twinloc.layout.search import SEARCH_RESTARTS
from twinloc.optim.sma import slime_mould_minimize

SCENES = ("uwb_hall", "industrial_hall", "office_floor")
COUNTS = (4, 6, 8)
MIN_DISTANCE_M = 1.0
SETTINGS = {
    "full": {"seeds": 5, "population": 50, "iterations": 80, "grid_m": 1.5},
    "quick": {"seeds": 3, "population": 30, "iterations": 30, "grid_m": 2.0},
}


def twinloc_sma(problem, population: int, iterations: int, seed: int):
    """(best fitness, evaluations) of TwinLoc's SMA, repaired as ``optimize_layout`` repairs."""
    space = problem.space
    rng = np.random.default_rng([seed, 1])
    result = slime_mould_minimize(problem.fitness, space.lower, space.upper, population=population, iterations=iterations,
                                  seed=seed, repair=lambda X: space.repair(X, rng), restarts=SEARCH_RESTARTS)
    return result.best_fitness, result.evaluations


def mealpy_sma(problem, population: int, iterations: int, seed: int):
    """(best fitness, evaluations) of mealpy's OriginalSMA on the same objective, one layout a call."""
    from mealpy import SMA, FloatVar

    space = problem.space
    rng = np.random.default_rng([seed, 1])
    seen = {"best": math.inf, "count": 0}

    def objective(x):
        X = space.repair(np.asarray(x, dtype=np.float64)[None], rng)
        value = float(problem.fitness(X)[0])
        seen["count"] += 1
        seen["best"] = min(seen["best"], value)
        return value

    model = SMA.OriginalSMA(epoch=iterations - 1, pop_size=population)  # the initial population is one iteration's cost
    model.solve({"obj_func": objective, "bounds": FloatVar(lb=space.lower.tolist(), ub=space.upper.tolist()),
                 "minmax": "min", "log_to": None}, seed=seed)
    return seen["best"], seen["count"]


def scipy_de(problem, population: int, iterations: int, seed: int):
    result = differential_evolution_search(problem.fitness, problem.space, population * iterations, seed=seed, population=population)
    return result.best_fitness, result.evaluations


SEARCHES = {"twinloc_sma": twinloc_sma, "mealpy_sma": mealpy_sma, "scipy_de": scipy_de}


def _timed(search, *args):
    started = time.perf_counter()
    fitness, evaluations = search(*args)
    return fitness, evaluations, time.perf_counter() - started


def run(quick: bool = False, first_seed: int = 0) -> dict:
    config = SETTINGS["quick" if quick else "full"]
    seeds = range(first_seed, first_seed + config["seeds"])
    population, iterations = config["population"], config["iterations"]
    rows, exhaustive_rows = [], []
    for name in SCENES:
        scene = load_scene(name)
        for count in COUNTS:
            problem = prepare_problem(scene, LayoutRequest(count, min_distance_m=MIN_DISTANCE_M))
            runs = {key: [_timed(search, problem, population, iterations, seed) for seed in seeds] for key, search in SEARCHES.items()}
            median = {key: float(np.median([r[0] for r in value])) for key, value in runs.items()}
            per_evaluation = {key: sum(r[2] for r in value) / sum(r[1] for r in value) for key, value in runs.items()}
            rows.append({
                "scene": name, "anchors": count,
                "evaluations": {key: [r[1] for r in value] for key, value in runs.items()},
                "median_fitness": {key: round(value, 2) for key, value in median.items()},
                "ms_per_evaluation": {key: round(1e3 * value, 3) for key, value in per_evaluation.items()},
                "sma_at_least_as_good": bool(median["twinloc_sma"] <= min(median["mealpy_sma"], median["scipy_de"])),
                "speedup_vs_mealpy_per_evaluation": round(per_evaluation["mealpy_sma"] / per_evaluation["twinloc_sma"], 2),
            })
        problem = prepare_problem(scene, LayoutRequest(3, min_distance_m=MIN_DISTANCE_M))
        started = time.perf_counter()
        exhaustive = exhaustive_search(problem.fitness, problem.space, spacing_m=config["grid_m"])
        exhaustive_s = time.perf_counter() - started
        sma = [twinloc_sma(problem, population, iterations, seed)[0] for seed in seeds]
        gaps = [(value - exhaustive.best_fitness) / exhaustive.best_fitness for value in sma]
        exhaustive_rows.append({
            "scene": name, "grid_m": config["grid_m"], "layouts": exhaustive.evaluations, "exhaustive_s": round(exhaustive_s, 1),
            "exhaustive_fitness": round(exhaustive.best_fitness, 2), "sma_fitness": [round(v, 2) for v in sma],
            "median_gap": round(float(np.median(gaps)), 4), "worst_gap": round(float(max(gaps)), 4),
        })
    return {
        "what": (f"{'quick' if quick else 'full'}: seeds {seeds.start} to {seeds.stop - 1}, population {population} x {iterations} iterations "
                 f"= {population * iterations} evaluations per search, min distance {MIN_DISTANCE_M} m, 0.2 m objective grid; "
                 "fitness = the objective's weighted summed error (m), lower is better"),
        "rows": rows,
        "exhaustive_3_anchors": exhaustive_rows,
        "all_at_least_as_good": all(row["sma_at_least_as_good"] for row in rows),
        "slowest_speedup_vs_mealpy": min(row["speedup_vs_mealpy_per_evaluation"] for row in rows),
        "worst_median_gap_to_exhaustive": max(row["median_gap"] for row in exhaustive_rows),
        "targets": {"sma_at_least_as_good": True, "speedup_vs_mealpy_per_evaluation": 1.0, "median_gap_to_exhaustive": 0.01},
    }
