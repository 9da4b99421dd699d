"""Mounting spaces: decoding, sites, and repaired layouts that always keep the rules."""

import numpy as np
import pytest

from optim_scenes import DEPTH, WIDTH, room
from twinloc.optim.mounting import MountingSpace, MountingSurface

PERIMETER = 2 * (WIDTH + DEPTH)


def _on_a_surface(point):
    """Analytically: on a wall line at z = 2, or inside the ceiling rectangle at z = 3."""
    x, y, z = point
    if abs(z - 2.0) < 1e-9:
        on_x = (abs(y) < 1e-9 or abs(y - DEPTH) < 1e-9) and -1e-9 <= x <= WIDTH + 1e-9
        on_y = (abs(x) < 1e-9 or abs(x - WIDTH) < 1e-9) and -1e-9 <= y <= DEPTH + 1e-9
        return on_x or on_y
    return abs(z - 3.0) < 1e-9 and -1e-9 <= x <= WIDTH + 1e-9 and -1e-9 <= y <= DEPTH + 1e-9


def test_bands_only_give_one_variable_per_anchor_along_the_perimeter():
    space = MountingSpace.from_scene(room(with_ceiling=False), 2)
    assert space.variables_per_anchor == 1
    assert np.allclose(space.upper, [PERIMETER, PERIMETER])
    # 7 m along the perimeter: past the south wall (6 m), 1 m up the east wall.
    points = space.positions(np.array([[7.0, 0.5 * PERIMETER + 1.0]]))[0]
    assert np.allclose(points, [[WIDTH, 1.0, 2.0], [WIDTH - 1.0, DEPTH, 2.0]])
    assert space.surface_names([7.0, 11.0]) == ["band 1", "band 2"]


def test_ceiling_adds_a_second_variable_and_decodes_x_y():
    space = MountingSpace.from_scene(room(), 1)
    assert space.variables_per_anchor == 2
    point = space.positions(np.array([[PERIMETER + 2.5, 0.25]]))[0, 0]
    assert np.allclose(point, [2.5, 1.0, 3.0])


def test_site_weights_interpolate_to_the_position():
    space = MountingSpace.from_scene(room(), 3)
    rng = np.random.default_rng(0)
    X = space.repair(rng.random((200, space.dimensions)) * space.upper, rng)
    index, weight = space.site_weights(X)
    assert np.allclose(weight.sum(axis=2), 1.0) and np.all(weight >= 0)
    interpolated = np.einsum("pnj,pnjk->pnk", weight, space.sites[index])
    assert np.allclose(interpolated, space.positions(X), atol=1e-9)


@pytest.mark.parametrize("anchors,min_distance,fixed", [(3, 1.0, None), (6, 2.5, None), (4, 2.0, [[0.0, 0.0, 2.0], [3.0, 2.0, 3.0]])])
def test_repaired_layouts_always_lie_on_surfaces_and_keep_the_distance(anchors, min_distance, fixed):
    space = MountingSpace.from_scene(room(), anchors, min_distance_m=min_distance, fixed_anchors=fixed)
    rng = np.random.default_rng(3)
    # Crowded on purpose: every anchor drawn near the same spot, and plain random vectors.
    crowded = np.tile(space.lower + 0.01 * (space.upper - space.lower), (100, 1)) + rng.normal(0, 0.05, (100, space.dimensions))
    random = space.lower + rng.random((400, space.dimensions)) * (space.upper - space.lower)
    for X in (crowded, random):
        positions = space.positions(space.repair(X, rng))
        assert all(_on_a_surface(p) for p in positions.reshape(-1, 3))
        everyone = np.concatenate([np.broadcast_to(space.fixed_anchors, (len(positions), *space.fixed_anchors.shape)), positions], axis=1)
        distance = np.linalg.norm(everyone[:, :, None] - everyone[:, None], axis=3)
        distance[:, np.arange(everyone.shape[1]), np.arange(everyone.shape[1])] = np.inf
        assert distance.min() >= min_distance - 1e-9


def test_non_convex_area_points_are_moved_inside():
    l_shape = np.array([[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]], dtype=float)
    space = MountingSpace([MountingSurface("L ceiling", l_shape, 3.0, False)], 1)
    # (3, 3) lies in the bounding box but outside the L: the nearest boundary point is (1, 3)... or (3, 1).
    point = space.positions(np.array([[3.0, 0.75]]))[0, 0]
    assert np.allclose(point[:2], [3.0, 1.0]) or np.allclose(point[:2], [1.0, 3.0])
    rng = np.random.default_rng(1)
    X = space.repair(rng.random((300, 2)) * space.upper, rng)
    xy = space.positions(X)[:, 0, :2]
    assert np.all((xy[:, 0] <= 1 + 1e-9) | (xy[:, 1] <= 1 + 1e-9))


def test_decisions_of_round_trip_and_band_preference():
    space = MountingSpace.from_scene(room(), 1)
    x = space.decisions_of(np.array([[2.0, 0.3, 2.0], [2.0, 1.5, 3.0]]))
    assert np.allclose(space.positions(x[:1].reshape(1, -1))[0, 0], [2.0, 0.0, 2.0])
    assert np.allclose(space.positions(x[1:].reshape(1, -1))[0, 0], [2.0, 1.5, 3.0])
    banded = space.decisions_of(np.array([[2.0, 1.5, 3.0]]), bands_only=True)
    assert np.allclose(space.positions(banded.reshape(1, -1))[0, 0], [2.0, 0.0, 2.0])


def test_grid_decisions_list_each_corner_once():
    space = MountingSpace.from_scene(room(with_ceiling=False), 1)
    grid = space.grid_decisions(0.5)
    assert len(grid) == int(PERIMETER / 0.5)  # 40 points around a closed 20 m perimeter


def test_impossible_distance_and_missing_regions_are_refused():
    with pytest.raises(ValueError, match="cannot be placed"):
        MountingSpace.from_scene(room(), 4, min_distance_m=8.0)
    with pytest.raises(ValueError, match="no mounting regions"):
        MountingSpace.from_scene(room(mounting=False), 3)
    with pytest.raises(ValueError, match="unknown mounting region"):
        MountingSpace.from_scene(room(), 3, region_names=["roof"])
