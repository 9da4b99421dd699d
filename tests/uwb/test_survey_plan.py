"""Adaptive survey plans against hand-counted cells."""

import numpy as np
import pytest

from twinloc.geometry.grid import FloorGrid
from twinloc.model.analysis import ErrorMapSettings
from twinloc.uwb.error_map import ErrorMap
from twinloc.uwb.survey_plan import SurveyPlanSettings, plan_survey, write_survey_csv


def _error_map(errors_x: np.ndarray) -> ErrorMap:
    """A 1 m x 0.3 m strip of 10 x 3 cells at 0.1 m with the given x errors (30,)."""
    grid = FloorGrid(
        x_centers=0.05 + 0.1 * np.arange(10), y_centers=0.05 + 0.1 * np.arange(3), z_m=1.0,
        mask=np.ones((3, 10), dtype=bool), resolution_m=0.1,
    )
    cells = grid.cell_count
    error = np.column_stack([errors_x, np.zeros(cells)])
    return ErrorMap(
        grid=grid, anchor_positions=np.zeros((3, 3)), settings=ErrorMapSettings(), error=error,
        magnitude=np.abs(errors_x), gdop=np.ones(cells), los_count=np.full(cells, 3),
        los=np.ones((cells, 3), dtype=bool), blocked=np.zeros((cells, 3), dtype=bool),
        degenerate=np.zeros(cells, dtype=bool),
    )


def test_small_smooth_error_needs_one_point_per_coarse_cell():
    plan = plan_survey(_error_map(np.full(30, 0.02)))
    assert len(plan.points) == 30 and not plan.fine.any()
    assert plan.uniform_points == 120 and plan.saving_fraction == pytest.approx(0.75)


def test_large_error_cells_are_split_into_four_fine_points():
    errors = np.full(30, 0.02)
    errors[[0, 1]] = 0.5  # two cells of row 0 exceed the 0.10 m threshold...
    # ...and their neighbours see the error change by 0.48 m over 0.1 m (4.8 m/m > 0.5): row 0
    # cells 0-2 and row 1 cells 0-1 are fine: 5 cells -> 20 points, 25 coarse points.
    plan = plan_survey(_error_map(errors))
    assert plan.fine.sum() == 20 and (~plan.fine).sum() == 25
    fine_around_first = plan.points[plan.fine][:4]
    np.testing.assert_allclose(np.sort(fine_around_first[:, 0]), [0.025, 0.025, 0.075, 0.075])
    np.testing.assert_allclose(np.sort(fine_around_first[:, 1]), [0.025, 0.025, 0.075, 0.075])
    assert plan.saving_fraction == pytest.approx(1 - 45 / 120)


def test_degenerate_cells_are_surveyed_finely():
    error_map = _error_map(np.zeros(30))
    error_map.degenerate[5] = True
    assert plan_survey(error_map).fine.sum() == 4


def test_settings_are_validated():
    with pytest.raises(ValueError, match="whole multiple"):
        SurveyPlanSettings(coarse_m=0.1, fine_m=0.03)
    with pytest.raises(ValueError, match="must equal the coarse"):
        plan_survey(_error_map(np.zeros(30)), SurveyPlanSettings(coarse_m=0.2, fine_m=0.05))


def test_csv_export(tmp_path):
    plan = plan_survey(_error_map(np.full(30, 0.02)))
    write_survey_csv(plan, tmp_path / "points.csv")
    lines = (tmp_path / "points.csv").read_text().splitlines()
    assert lines[0] == "x_m,y_m,density" and lines[1] == "0.0500,0.0500,coarse" and len(lines) == 31
