"""The batched layout objective against compute_error_map on the same cells."""

import numpy as np
import pytest

from optim_scenes import room
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.ray_engine import RayEngine
from twinloc.model.analysis import ErrorMapSettings
from twinloc.optim.mounting import MountingSpace
from twinloc.uwb.error_map import compute_error_map
from twinloc.uwb import layout_objective
from twinloc.uwb.layout_objective import LayoutObjective, cell_weights, weighted_sum_error


@pytest.fixture(scope="module")
def setup():
    scene = room(with_ceiling=True)
    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, 0.25, engine=engine)
    return scene, engine, grid


def _reference(setup, anchors, settings=ErrorMapSettings()):
    scene, engine, grid = setup
    return weighted_sum_error(compute_error_map(engine, scene, grid, anchors, settings), scene)


@pytest.mark.parametrize("settings", [ErrorMapSettings(), ErrorMapSettings(physics_only=True), ErrorMapSettings(dimensions=3)])
def test_layouts_on_sites_match_the_error_map_exactly(setup, settings):
    scene, engine, grid = setup
    space = MountingSpace.from_scene(scene, 4, band_spacing_m=0.5)
    objective = LayoutObjective(engine, scene, grid, space.sites, settings)
    # Decision values on site nodes: the interpolation weights are 0 and 1.
    X = np.array([[1.0, 0.0, 7.5, 0.0, 13.0, 0.0, 22.5, 0.5], [0.5, 0.0, 4.0, 0.0, 11.0, 0.0, 17.5, 0.0]])
    scores = objective.evaluate(space.positions(X), *space.site_weights(X))
    compared = 0
    for row, degenerate, positions in zip(scores.sum_error_m, scores.degenerate_cells, space.positions(X)):
        error_map = compute_error_map(engine, scene, grid, positions, settings)
        assert degenerate == error_map.degenerate.sum()
        if degenerate == 0:
            assert row == pytest.approx(weighted_sum_error(error_map, scene), rel=1e-5)
            compared += 1
    assert compared >= 1


@pytest.mark.parametrize("spacing,tolerance", [(0.1, 0.02), (0.25, 0.05)])
def test_layouts_between_sites_match_within_interpolation_error(setup, spacing, tolerance):
    # The excess path jumps at column shadows, so linear interpolation between sites is
    # the objective's main error: within 2 % at 0.1 m sites and 5 % at 0.25 m in this
    # small room, where a 0.6 m column shadows a large share of the cells.
    scene, engine, grid = setup
    space = MountingSpace.from_scene(scene, 3, min_distance_m=1.0, band_spacing_m=spacing, area_spacing_m=spacing)
    objective = LayoutObjective(engine, scene, grid, space.sites)
    rng = np.random.default_rng(5)
    X = space.repair(rng.random((6, space.dimensions)) * space.upper, rng)
    scores = objective.evaluate(space.positions(X), *space.site_weights(X))
    for row, positions in zip(scores.sum_error_m, space.positions(X)):
        assert row == pytest.approx(_reference(setup, positions), rel=tolerance)


def test_fixed_anchors_take_part_in_every_layout(setup):
    scene, engine, grid = setup
    fixed = np.array([[0.0, 0.0, 2.0]])
    space = MountingSpace.from_scene(scene, 2, fixed_anchors=fixed, band_spacing_m=0.5)
    objective = LayoutObjective(engine, scene, grid, space.sites, fixed_anchors=fixed)
    X = np.array([[8.0, 0.0, 14.5, 0.0]])
    scores = objective.evaluate(space.positions(X), *space.site_weights(X))
    assert scores.sum_error_m[0] == pytest.approx(_reference(setup, np.vstack([fixed, space.positions(X)[0]])), rel=1e-5)


def test_a_large_population_is_scored_in_batches_with_the_same_scores(setup, monkeypatch):
    scene, engine, grid = setup
    space = MountingSpace.from_scene(scene, 3, min_distance_m=1.0, band_spacing_m=0.5)
    objective = LayoutObjective(engine, scene, grid, space.sites, main_threshold_m=0.2)
    rng = np.random.default_rng(3)
    X = space.repair(rng.random((7, space.dimensions)) * space.upper, rng)
    whole = objective.evaluate(space.positions(X), *space.site_weights(X))
    # A budget below one layout's pairs scores the layouts one by one.
    monkeypatch.setattr(layout_objective, "_PAIRS_PER_BATCH", 1)
    single = objective.evaluate(space.positions(X), *space.site_weights(X))
    for name in ("sum_error_m", "main_excess_m", "main_violations", "degenerate_cells"):
        np.testing.assert_allclose(getattr(single, name), getattr(whole, name), rtol=1e-12)
        assert getattr(single, name).shape == (7,)


def test_collinear_anchors_are_charged_not_rewarded(setup):
    scene, engine, grid = setup
    space = MountingSpace.from_scene(scene, 3, band_spacing_m=0.5)
    objective = LayoutObjective(engine, scene, grid, space.sites, degenerate_error_m=7.0)
    X = np.array([[1.0, 0.0, 3.0, 0.0, 5.0, 0.0]])  # all on the south wall
    scores = objective.evaluate(space.positions(X), *space.site_weights(X))
    assert scores.degenerate_cells[0] == grid.cell_count
    assert scores.sum_error_m[0] == pytest.approx(7.0 * grid.cell_count)


def test_scaling_to_the_reporting_resolution_and_main_area_threshold(setup):
    scene, engine, grid = setup
    space = MountingSpace.from_scene(scene, 3, band_spacing_m=0.5)
    plain = LayoutObjective(engine, scene, grid, space.sites)
    scaled = LayoutObjective(engine, scene, grid, space.sites, reference_resolution_m=0.125, main_threshold_m=0.05)
    X = np.array([[1.0, 0.0, 7.5, 0.0, 13.0, 0.0]])
    a = plain.evaluate(space.positions(X), *space.site_weights(X))
    b = scaled.evaluate(space.positions(X), *space.site_weights(X))
    assert b.sum_error_m[0] == pytest.approx(4.0 * a.sum_error_m[0])
    error_map = compute_error_map(engine, scene, grid, space.positions(X)[0])
    above = error_map.magnitude > 0.05
    assert b.main_violations[0] == above.sum()
    assert b.main_excess_m[0] == pytest.approx(4.0 * np.sum(error_map.magnitude[above] - 0.05), rel=1e-5)


def test_cell_weights_take_the_largest_region_weight():
    from twinloc.geometry.scene import Region, RegionType
    import dataclasses

    scene = room()
    heavy = Region("corner", RegionType.EVALUATION, np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float), weight=3.0)
    scene = dataclasses.replace(scene, regions=scene.regions + (heavy,))
    weights, main = cell_weights(scene, np.array([[0.5, 0.5, 1.0], [3.0, 3.0, 1.0], [9.0, 9.0, 1.0]]))
    assert weights.tolist() == [3.0, 1.0, 1.0]
    assert main.tolist() == [True, True, False]
