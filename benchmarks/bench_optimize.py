"""Anchor-layout optimization on uwb_hall: SMA against the baselines, side by side.

Three anchors on the four wall bands at 2 m (the paper's setting; the ceiling is left out
so that exhaustive search stays feasible), minimum distance 1 m, population 50 x 80
iterations, several seeds. Every layout's summed error is the weighted sum of
``compute_error_map`` on the 0.1 m grid; the 0.2 m objective grid only steers the searches.

- paper_layout: the paper's anchors (380, 0), (940, 720), (1440, 10) cm at 2 m, taken as
  given coordinates (y = 7.2 m is not on a wall);
- random search and differential evolution with SMA's budget (4000 evaluations);
- four empirical layouts; exhaustive search over the 0.5 m wall grid (108 points,
  C(108, 3) layouts) with the same precomputed tables.

Timings: ``sma_run_s`` is the whole optimization as the CLI runs it (link tables, 4000
evaluations, full-resolution maps of the top layouts); ``exhaustive_s`` is the exhaustive
search alone, on tables already built (so the speed ratio favours exhaustive search).
"""

from __future__ import annotations

import time

import numpy as np

from twinloc.geometry.loaders import load_scene
from twinloc.layout.problem import LayoutRequest, prepare_problem
from twinloc.layout.search import optimize_layout
from twinloc.optim.baselines import differential_evolution_search, empirical_layouts, exhaustive_search, random_search

PAPER_ANCHORS = np.array([[3.8, 0.0, 2.0], [9.4, 7.2, 2.0], [14.4, 0.1, 2.0]])
WALLS = ("south wall band", "east wall band", "north wall band", "west wall band")
SEEDS = (0, 1, 2)


def run() -> dict:
    scene = load_scene("uwb_hall")
    runs = []
    for seed in SEEDS:
        request = LayoutRequest(3, min_distance_m=1.0, region_names=WALLS, seed=seed)
        started = time.perf_counter()
        problem = prepare_problem(scene, request)
        result = optimize_layout(problem)
        runs.append({"seed": seed, "sum_error_m": result.best.stats["sum_error_m"], "seconds": time.perf_counter() - started,
                     "layout": result.best.positions.round(3).tolist(), "problem": problem, "evaluations": result.evaluations})
    problem = runs[0]["problem"]
    space, budget = problem.space, runs[0]["evaluations"]

    def full_sum(x) -> float:
        return problem.stats(space.positions(np.asarray(x)[None])[0])[0]["sum_error_m"]

    baselines = {"paper_layout": problem.stats(PAPER_ANCHORS)[0]["sum_error_m"]}
    for name, x in empirical_layouts(space, scene.evaluation_regions()[0].polygon).items():
        baselines[f"empirical_{name}"] = full_sum(x)
    baselines["random_search"] = float(np.mean([full_sum(random_search(problem.fitness, space, budget, seed=s).best_x) for s in SEEDS]))
    baselines["differential_evolution"] = float(
        np.mean([full_sum(differential_evolution_search(problem.fitness, space, budget, seed=s).best_x) for s in SEEDS])
    )
    started = time.perf_counter()
    exhaustive = exhaustive_search(problem.fitness, space, spacing_m=0.5)
    exhaustive_s = time.perf_counter() - started
    baselines["exhaustive_0.5m"] = full_sum(exhaustive.best_x)

    sma_sum = float(np.mean([r["sum_error_m"] for r in runs]))
    sma_worst = float(max(r["sum_error_m"] for r in runs))
    sma_s = float(np.median([r["seconds"] for r in runs]))
    empirical_best = min(v for k, v in baselines.items() if k.startswith("empirical_"))
    return {
        "what": "uwb_hall, 3 anchors on the wall bands at 2 m, min distance 1 m, SMA 50 x 80, 0.2 m objective grid, 0.1 m reported maps",
        "sma_sum_error_m_per_seed": {r["seed"]: round(r["sum_error_m"], 1) for r in runs},
        "sma_layouts": {r["seed"]: r["layout"] for r in runs},
        "sma_sum_error_m_mean": round(sma_sum, 1),
        "baselines_sum_error_m": {k: round(v, 1) for k, v in baselines.items()},
        "improvement_vs_paper_layout": round((baselines["paper_layout"] - sma_worst) / baselines["paper_layout"], 4),
        "improvement_vs_best_empirical": round((empirical_best - sma_worst) / empirical_best, 4),
        "gap_to_exhaustive": round((sma_worst - baselines["exhaustive_0.5m"]) / baselines["exhaustive_0.5m"], 4),
        "evaluations_sma": budget,
        "evaluations_exhaustive": exhaustive.evaluations,
        "sma_run_s": round(sma_s, 2),
        "prepare_s": round(problem.prepare_seconds, 2),
        "exhaustive_s": round(exhaustive_s, 2),
        "speedup_vs_exhaustive": round(exhaustive_s / sma_s, 1),
        "targets": {"improvement": 0.25, "gap_to_exhaustive": 0.02, "speedup_vs_exhaustive": 10.0, "sma_run_s": 10.0},
    }
