from dataclasses import replace

import numpy as np
import pytest
from matplotlib.path import Path as PolygonPath

from geometry_scenes import make_scene, solid_box, surface_plane
from twinloc.geometry.grid import (
    FLOOR_CELL_BUDGET,
    FloorGrid,
    adaptive_resolution,
    adaptive_resolution_note,
    grid_resolution,
    grid_shape,
    points_in_polygon,
)
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import Region, RegionType


def test_uwb_hall_grid_counts_by_hand():
    scene = load_scene("uwb_hall")
    bare = FloorGrid.over_regions(scene, 0.1)
    assert bare.mask.shape == (84, 183)
    assert bare.cell_count == 183 * 84
    grid = FloorGrid.over_regions(scene, 0.1, engine=RayEngine(scene))
    # Each column (0.7 m square) strictly contains 7 cell centres along x (e.g. 3.35..3.95 in
    # 3.31..4.01) and 6 along y (2.45 and 3.15 are centres on the faces, which stay).
    assert grid.cell_count == 183 * 84 - 8 * 7 * 6
    assert grid.z_m == 1.0
    np.testing.assert_allclose(grid.x_centers[[0, -1]], [0.05, 18.25])
    np.testing.assert_allclose(grid.y_centers[[0, -1]], [0.05, 8.35])
    # The cell centred in column 1 is out, its neighbour on the face y = 2.45 is in.
    col = int(np.argmin(np.abs(grid.x_centers - 3.65)))
    assert not grid.mask[int(np.argmin(np.abs(grid.y_centers - 2.75))), col]
    assert grid.mask[int(np.argmin(np.abs(grid.y_centers - 2.45))), col]


def test_grid_shape_is_known_before_the_grid_is_built():
    # 18.3 m x 8.4 m of evaluation region: 183 x 84 cells at 0.1 m, 37 x 17 at 0.5 m (ceil).
    assert grid_shape(load_scene("uwb_hall"), 0.1) == (183, 84)
    assert grid_shape(load_scene("uwb_hall"), 0.5) == (37, 17)


def test_industrial_hall_grid_excludes_clutter_at_tag_height():
    scene = load_scene("industrial_hall")
    grid = FloorGrid.over_regions(scene, 0.1, engine=RayEngine(scene))
    # Boxes taller than the 1 m tag height, cells strictly inside (centres 0.05 + 0.1 k):
    # press 20x12, milling machine 14x24, robot cell 10x10, pallet rack 6x40, shelf east 6x30,
    # shelf north 30x6, pillar 4x4; the 1 m control cabinet only touches the cells' plane.
    boxes = 240 + 336 + 100 + 240 + 180 + 180 + 16
    xx, yy = np.meshgrid(grid.x_centers, grid.y_centers)
    centres = np.column_stack([xx.ravel(), yy.ravel()])
    cylinders = 0
    for center, radius in (((6.0, 5.0), 0.6), ((6.2, 14.5), 0.5)):
        angles = np.arange(32) * 2 * np.pi / 32
        ring = np.column_stack([center[0] + radius * np.cos(angles), center[1] + radius * np.sin(angles)])
        cylinders += int(PolygonPath(ring).contains_points(centres).sum())
    assert grid.cell_count == 80 * 180 - boxes - cylinders


def test_points_are_row_major_and_to_image_round_trips():
    scene = make_scene(solid_box("b", (1.0, 1.0, 1.0), (0.5, 0.5, 0.5)))
    grid = FloorGrid.over_regions(scene, 0.25, tag_height_m=2.0)
    assert grid.mask.shape == (4, 4) and grid.cell_count == 16  # no evaluation region: the floor bounds
    points = grid.points
    np.testing.assert_allclose(points[:5], [[0.125, 0.125, 2.0], [0.375, 0.125, 2.0], [0.625, 0.125, 2.0], [0.875, 0.125, 2.0], [0.125, 0.375, 2.0]])
    image = grid.to_image(np.arange(16.0))
    assert image[1, 0] == 4.0
    with pytest.raises(ValueError):
        grid.to_image(np.zeros(3))


def test_office_grid_union_of_rooms_and_corridor():
    grid = FloorGrid.over_regions(load_scene("office_floor"), 0.5)
    assert grid.cell_count == 40 * 24  # the rooms and corridor tile the 20 m x 12 m floor


@pytest.mark.parametrize("resolution", [0.0, -0.1, float("nan"), float("inf")])
def test_bad_resolution_is_a_clear_error(resolution):
    with pytest.raises(ValueError, match="resolution"):
        FloorGrid.over_regions(load_scene("uwb_hall"), resolution)


def test_points_in_polygon_l_shape():
    polygon = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]
    points = [[0.5, 0.5], [1.5, 0.5], [0.5, 1.5], [1.5, 1.5], [3.0, 0.5]]
    assert points_in_polygon(points, polygon).tolist() == [True, True, True, False, False]


def test_a_grid_without_cells_says_why():
    # A room given as one closed solid: every cell centre at tag height lies inside it.
    shell = make_scene(solid_box("shell", (10.0, 10.0, 5.0), (0.0, 0.0, 2.5), "metal"))
    grid = FloorGrid.over_regions(shell, 0.5, engine=RayEngine(shell))
    assert grid.cell_count == 0
    assert "every cell at tag height 1 m lies inside a solid ('shell')" in grid.empty_reason
    assert "change the tag height" in grid.empty_reason
    above = FloorGrid.over_regions(shell, 0.5, tag_height_m=6.0, engine=RayEngine(shell))
    assert above.cell_count == 400 and above.empty_reason == ""


def test_a_region_smaller_than_a_cell_says_so():
    scene = make_scene(solid_box("crate", (1.0, 1.0, 1.0), (5.0, 5.0, 0.5)))
    tiny = Region("spot", RegionType.EVALUATION, np.array([[0.01, 0.01], [0.04, 0.01], [0.04, 0.04]]))
    grid = FloorGrid.over_regions(replace(scene, regions=(tiny,)), 1.0)
    assert grid.cell_count == 0 and "no cell centre of the 1 m grid lies in an evaluation region" in grid.empty_reason


def floor_of(width_m: float, depth_m: float):
    """A scene that is one floor plane, ``width_m`` x ``depth_m``, with its corner at the origin."""
    return make_scene(surface_plane("floor", (width_m, depth_m), (width_m / 2, depth_m / 2, 0.0)))


@pytest.mark.parametrize(
    ("width_m", "depth_m", "expected_m"),
    [
        (18.3, 8.4, 0.1),  # 183 x 84 cells at 0.1 m
        (50.0, 50.0, 0.1),  # 500 x 500 = 250,000 cells: exactly the budget
        (50.1, 50.0, 0.2),  # 501 x 500 = 250,500 at 0.1 m; 251 x 250 = 62,750 at 0.2 m
        (600.0, 500.0, 2.0),  # 600 x 500 = 300,000 at 1 m; 300 x 250 = 75,000 at 2 m
        (5000.0, 5000.0, 5.0),  # 1,000,000 cells even at 5 m: the coarsest step
    ],
)
def test_adaptive_resolution_is_the_finest_step_within_the_budget(width_m, depth_m, expected_m):
    assert FLOOR_CELL_BUDGET == 250_000
    scene = floor_of(width_m, depth_m)
    assert adaptive_resolution(scene) == expected_m
    assert grid_resolution(scene, None) == expected_m
    assert grid_resolution(scene, 0.3) == 0.3


def test_adaptive_resolution_follows_the_evaluation_regions_not_the_scene():
    city = floor_of(1000.0, 800.0)
    room = Region("room", RegionType.EVALUATION, np.array([[10.0, 10.0], [30.0, 10.0], [30.0, 20.0], [10.0, 20.0]]))
    assert adaptive_resolution(city) == 2.0  # 500 x 400 = 200,000 cells at 2 m
    assert adaptive_resolution(replace(city, regions=(room,))) == 0.1  # 200 x 100 cells


def test_adaptive_resolution_note_names_the_floor_and_the_budget():
    assert adaptive_resolution_note(floor_of(600.0, 500.0)) == "adapted to the 600 m × 500 m floor (at most 250,000 cells)"
    assert adaptive_resolution_note(floor_of(18.3, 8.4)) == "adapted to the 18.3 m × 8.4 m floor (at most 250,000 cells)"


def test_too_fine_a_resolution_names_the_automatic_one():
    with pytest.raises(ValueError, match=r"too fine for this scene: 60000 x 50000 cells .* the automatic 2 m"):
        FloorGrid.over_regions(floor_of(600.0, 500.0), 0.01)
