from dataclasses import replace

import numpy as np
import pytest
from matplotlib.path import Path as PolygonPath

from geometry_scenes import make_scene, solid_box
from twinloc.geometry.grid import FloorGrid, grid_shape, points_in_polygon
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
