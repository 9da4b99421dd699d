"""Floor layers are checked values: a map needs its grid and one value per masked cell; arrow scales are round."""

import numpy as np
import pytest

from twinloc.geometry.floor_layer import FloorLayer, nice_scale
from twinloc.geometry.grid import FloorGrid

# 3 x 2 cells, the middle one of the first row masked out: 5 cells.
MASK = np.array([[True, False, True], [True, True, True]])
GRID = FloorGrid(np.array([0.5, 1.5, 2.5]), np.array([0.5, 1.5]), 1.0, MASK, 1.0)


def test_a_map_needs_one_value_per_masked_cell():
    layer = FloorLayer(GRID, np.arange(5.0), "Error (m)")
    assert layer.has_map and not FloorLayer(caption="place anchors").has_map
    with pytest.raises(ValueError, match="5 cells"):
        FloorLayer(GRID, np.arange(6.0), "Error (m)")
    with pytest.raises(ValueError, match="both a grid and its values"):
        FloorLayer(GRID)
    with pytest.raises(ValueError, match="both a grid and its values"):
        FloorLayer(values=np.arange(5.0))


@pytest.mark.parametrize(("value", "expected"), [(1.0, 1.0), (3.0, 2.0), (3.3, 5.0), (0.07, 0.05), (140.0, 100.0), (0.0, 1.0)])
def test_nice_scale_is_the_nearest_one_two_or_five(value, expected):
    # 3.0 is nearer 2 than 5 on a log scale (log 1.5 < log 1.667); 3.3 is nearer 5 (log 1.65 > log 1.515).
    assert nice_scale(value) == pytest.approx(expected)
