"""Layouts to judge the slime mould optimizer against.

- random search and SciPy's differential evolution with the same evaluation budget;
- the layouts a planner would pick by hand (corners, long-wall zigzag, centred triangle,
  perimeter spread), projected onto the mounting regions;
- exhaustive search over every combination of a coarse mounting grid.

The searches take the same batched objective as the optimizer: ``objective(X)`` with X
(P, D) decision vectors of a :class:`~twinloc.optim.mounting.MountingSpace` returning (P,)
fitness.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import differential_evolution

from twinloc.optim.mounting import MountingSpace

#: Layouts scored per objective call in exhaustive search (bounds the batch's memory).
_EXHAUSTIVE_CHUNK = 256


@dataclass(frozen=True, eq=False)
class SearchResult:
    """best_x : (D,) decision vector; best_fitness; evaluations : objective values computed."""

    best_x: np.ndarray
    best_fitness: float
    evaluations: int


def random_search(objective, space: MountingSpace, evaluations: int, seed: int = 0, batch: int = 50) -> SearchResult:
    """The best of ``evaluations`` uniformly drawn (then repaired) layouts, scored ``batch`` at a time."""
    rng = np.random.default_rng(seed)
    best_x, best_fitness, done = None, math.inf, 0
    while done < evaluations:
        size = min(batch, evaluations - done)
        X = space.repair(space.lower + rng.random((size, space.dimensions)) * (space.upper - space.lower), rng)
        fitness = np.asarray(objective(X), dtype=np.float64)
        done += size
        index = int(np.argmin(fitness))
        if fitness[index] < best_fitness:
            best_x, best_fitness = X[index].copy(), float(fitness[index])
    return SearchResult(best_x=best_x, best_fitness=best_fitness, evaluations=done)


def differential_evolution_search(objective, space: MountingSpace, evaluations: int, seed: int = 0, population: int = 50) -> SearchResult:
    """SciPy's differential evolution (best1bin, no polishing) within ``evaluations``.

    The whole population is scored in one objective call (``vectorized=True``). SciPy's
    population is ``popsize x D`` and each generation costs one population, so the number of
    generations is chosen to stay within the budget. Every vector SciPy asks about is
    repaired (with a generator seeded from ``seed``) before it is scored, and the result is
    the best repaired layout seen, so it is feasible.
    """
    rng = np.random.default_rng(seed)
    popsize = max(1, math.ceil(population / space.dimensions))
    members = popsize * space.dimensions
    generations = max(0, evaluations // members - 1)  # the initial population is one generation's cost
    seen = {"x": None, "fitness": math.inf, "count": 0}

    def score(columns: np.ndarray) -> np.ndarray:
        X = space.repair(np.atleast_2d(columns.T), rng)
        fitness = np.asarray(objective(X), dtype=np.float64)
        seen["count"] += len(X)
        index = int(np.argmin(fitness))
        if fitness[index] < seen["fitness"]:
            seen["x"], seen["fitness"] = X[index].copy(), float(fitness[index])
        return fitness

    differential_evolution(
        score,
        list(zip(space.lower, space.upper)),
        maxiter=generations,
        popsize=popsize,
        seed=seed,
        polish=False,
        tol=0.0,
        vectorized=True,
        updating="deferred",
    )
    return SearchResult(best_x=seen["x"], best_fitness=seen["fitness"], evaluations=seen["count"])


def exhaustive_search(objective, space: MountingSpace, spacing_m: float = 0.5, progress=None, cancel=None) -> SearchResult:
    """The best combination of N distinct points of a ``spacing_m`` mounting grid.

    Combinations closer than the minimum distance are skipped, not repaired. The number of
    layouts is C(G, N) for G grid points, so this is for small N (the 3-anchor hall has
    108 points and 204,156 layouts at 0.5 m).
    """
    grid = space.grid_decisions(spacing_m)  # (G, variables per anchor)
    total = math.comb(len(grid), space.anchor_count)
    combinations = itertools.combinations(range(len(grid)), space.anchor_count)
    best_x, best_fitness, done, scored = None, math.inf, 0, 0
    while True:
        chunk = np.array(list(itertools.islice(combinations, _EXHAUSTIVE_CHUNK)), dtype=np.int64)
        if chunk.size == 0:
            break
        if cancel is not None:
            cancel.raise_if_cancelled()
        X = grid[chunk].reshape(len(chunk), -1)
        X = X[space.feasible(space.positions(X))]
        done += len(chunk)
        if len(X):
            fitness = np.asarray(objective(X), dtype=np.float64)
            scored += len(X)
            index = int(np.argmin(fitness))
            if fitness[index] < best_fitness:
                best_x, best_fitness = X[index].copy(), float(fitness[index])
        if progress is not None:
            progress(done / total, f"layout {done} of {total}")
    return SearchResult(best_x=best_x, best_fitness=best_fitness, evaluations=scored)


def empirical_layouts(space: MountingSpace, floor_polygon) -> dict[str, np.ndarray]:
    """Hand-planned layouts of N anchors, as decision vectors (D,), keyed by name.

    floor_polygon : (K, 2) float64, metres; the area to cover (its bounding box is used).
    Each layout is a set of target points around that box, moved to the nearest mounting
    point (wall bands preferred when the space has any: that is where planners mount) and
    repaired for the minimum distance:

    corners : the box corners in the order SW, NE, SE, NW, then edge midpoints;
    long_wall_zigzag : evenly spaced along the long axis, alternating between the long sides;
    centred_triangle : a regular N-gon centred in the box, inscribed in its ellipse, first
        vertex toward the +short axis;
    perimeter_spread : evenly spaced along the box perimeter, starting half a step from SW.
    """
    polygon = np.asarray(floor_polygon, dtype=np.float64)
    low, high = polygon.min(axis=0), polygon.max(axis=0)
    centre, size = 0.5 * (low + high), high - low
    count = space.anchor_count
    z = np.mean([s.z_m for s in space.surfaces if s.is_band] or [s.z_m for s in space.surfaces])
    corners = [low, high, (high[0], low[1]), (low[0], high[1])]
    midpoints = [(centre[0], low[1]), (centre[0], high[1]), (low[0], centre[1]), (high[0], centre[1])]
    long_axis = 0 if size[0] >= size[1] else 1
    fractions = (np.arange(count) + 0.5) / count
    zigzag = np.zeros((count, 2))
    zigzag[:, long_axis] = low[long_axis] + fractions * size[long_axis]
    zigzag[:, 1 - long_axis] = np.where(np.arange(count) % 2 == 0, low[1 - long_axis], high[1 - long_axis])
    angles = 2.0 * np.pi * np.arange(count) / count + (np.pi / 2 if long_axis == 0 else 0.0)
    triangle = centre + 0.5 * size * np.column_stack([np.cos(angles), np.sin(angles)])
    targets = {
        "corners": np.array((corners + midpoints) * (count // 8 + 1))[:count],
        "long_wall_zigzag": zigzag,
        "centred_triangle": triangle,
        "perimeter_spread": _along_rectangle(low, size, fractions),
    }
    rng = np.random.default_rng(0)
    layouts = {}
    for name, points in targets.items():
        points3 = np.column_stack([points, np.full(count, z)])
        x = space.decisions_of(points3, bands_only=True).reshape(1, -1)
        layouts[name] = space.repair(x, rng)[0]
    return layouts


def _along_rectangle(low, size, fractions) -> np.ndarray:
    """(N, 2) points at ``fractions`` of the perimeter of a box, counter-clockwise from ``low``."""
    perimeter = 2.0 * (size[0] + size[1])
    distance = fractions * perimeter
    legs = np.cumsum([0.0, size[0], size[1], size[0]])
    points = np.zeros((len(fractions), 2))
    for index, d in enumerate(distance):
        if d < legs[1]:
            points[index] = (low[0] + d, low[1])
        elif d < legs[2]:
            points[index] = (low[0] + size[0], low[1] + d - legs[1])
        elif d < legs[3]:
            points[index] = (low[0] + size[0] - (d - legs[2]), low[1] + size[1])
        else:
            points[index] = (low[0], low[1] + size[1] - (d - legs[3]))
    return points
