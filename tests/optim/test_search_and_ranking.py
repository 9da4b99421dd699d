"""Baselines, distinct ranking and the layout optimization run on a small room."""

import numpy as np
import pytest

from optim_scenes import room
from twinloc.layout.problem import LayoutRequest, prepare_problem
from twinloc.layout.search import optimize_layout
from twinloc.optim.baselines import differential_evolution_search, empirical_layouts, exhaustive_search, random_search
from twinloc.optim.mounting import MountingSpace
from twinloc.optim.ranking import best_distinct, layout_difference_m

FLOOR = np.array([[0, 0], [6, 0], [6, 4], [0, 4]], dtype=float)


def _distance_to(target):
    """A test objective: summed distance of each anchor to the matching target point."""
    def objective(space):
        return lambda X: np.linalg.norm(space.positions(X) - target[None], axis=2).sum(axis=1)
    return objective


def test_exhaustive_search_finds_the_grid_optimum():
    space = MountingSpace.from_scene(room(with_ceiling=False), 2, min_distance_m=1.0)
    target = np.array([[2.0, 0.0, 2.0], [6.0, 3.0, 2.0]])
    result = exhaustive_search(_distance_to(target)(space), space, spacing_m=0.5)
    assert result.best_fitness == pytest.approx(0.0, abs=1e-9)
    assert result.evaluations <= 40 * 39 // 2


def test_random_search_and_differential_evolution_keep_the_budget_and_rules():
    space = MountingSpace.from_scene(room(with_ceiling=False), 3, min_distance_m=1.5)
    target = np.array([[2.0, 0.0, 2.0], [6.0, 3.0, 2.0], [1.0, 4.0, 2.0]])
    objective = _distance_to(target)(space)
    for result in (random_search(objective, space, 600, seed=1), differential_evolution_search(objective, space, 600, seed=1, population=30)):
        assert result.evaluations <= 600
        assert space.feasible(space.positions(result.best_x[None]))[0]
        assert result.best_fitness < 3.0
    again = differential_evolution_search(objective, space, 600, seed=1, population=30)
    assert np.array_equal(again.best_x, differential_evolution_search(objective, space, 600, seed=1, population=30).best_x)


def test_empirical_layouts_are_on_the_walls_and_feasible():
    space = MountingSpace.from_scene(room(), 3, min_distance_m=1.0)
    layouts = empirical_layouts(space, FLOOR)
    assert set(layouts) == {"corners", "long_wall_zigzag", "centred_triangle", "perimeter_spread"}
    corners = space.positions(layouts["corners"][None])[0]
    assert np.allclose(corners, [[0, 0, 2], [6, 4, 2], [6, 0, 2]])
    zigzag = space.positions(layouts["long_wall_zigzag"][None])[0]
    assert np.allclose(zigzag[:, :2], [[1, 0], [3, 4], [5, 0]])
    for x in layouts.values():
        assert space.feasible(space.positions(x[None]))[0]


def test_layout_difference_ignores_anchor_order():
    a = np.array([[0, 0, 2], [5, 0, 2], [5, 4, 2]], dtype=float)
    assert layout_difference_m(a, a[[2, 0, 1]]) == 0.0
    moved = a.copy()
    moved[1, 0] += 0.3
    assert layout_difference_m(a, moved[[1, 2, 0]]) == pytest.approx(0.3)
    layouts = np.stack([a, moved, a + [3.0, 0, 0], a[[1, 0, 2]]])
    assert best_distinct(layouts, np.array([1.0, 2.0, 3.0, 0.5]), 5, 0.5).tolist() == [3, 2]


def test_optimize_layout_is_deterministic_and_reports_full_resolution_stats():
    scene = room()
    request = LayoutRequest(3, min_distance_m=1.0, population=12, iterations=6, seed=4, top_k=3, resolution_m=0.2, objective_resolution_m=0.4)
    problem = prepare_problem(scene, request)
    seen = []
    first = optimize_layout(problem, listener=lambda t, layout, fitness, curve: seen.append((t, layout.shape, curve.shape)))
    second = optimize_layout(prepare_problem(scene, request))
    assert np.array_equal(first.best.positions, second.best.positions)
    assert seen == [(t, (3, 3), (t,)) for t in range(1, 7)]
    assert first.evaluations == 72 and first.convergence.shape == (6,)
    assert 1 <= len(first.layouts) <= 3
    sums = [layout.stats["sum_error_m"] for layout in first.layouts]
    assert sums == sorted(sums)  # best first by the reported Sum, not by the coarse objective
    for layout in first.layouts:
        assert problem.space.feasible(layout.positions[None])[0]
        stats, _ = problem.stats(layout.positions)
        assert layout.stats == stats
        assert set(stats) >= {"sum_error_m", "mean_error_m", "p90_error_m", "max_error_m", "main_area_violations"}
    for a in range(len(first.layouts)):
        for b in range(a):
            assert layout_difference_m(first.layouts[a].positions, first.layouts[b].positions) > 0.5


def test_two_anchors_in_2d_are_refused():
    with pytest.raises(ValueError, match="at least 3 anchors"):
        prepare_problem(room(), LayoutRequest(2))
