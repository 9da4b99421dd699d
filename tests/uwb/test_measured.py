"""Measured survey data: reading both CSV layouts and comparing with the predicted errors."""

import os

import numpy as np
import pytest

from twinloc.geometry.grid import FloorGrid
from twinloc.uwb.measured import (MEASURED_FILE_LIMIT_BYTES, MeasuredDataError, MeasuredPoint, MeasuredRanges, compare_with_prediction,
                                  load_measured_csv, load_measurements, nearest_cells)


def test_long_layout_groups_rows_by_true_point(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("true_x,true_y,measured_x,measured_y\n1,4.5,1.2,4.4\n1,4.5,1.4,4.6\n9,4.5,9,4.5\n")
    points = load_measured_csv(path)
    assert [tuple(p.true) for p in points] == [(1.0, 4.5), (9.0, 4.5)]
    np.testing.assert_allclose(points[0].mean_error, [0.3, 0.0], atol=1e-12)


def test_wide_layout_reads_many_samples_per_row(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("true_x,true_y,x1,y1,x2,y2\n1,1,1.1,1.0,1.3,1.2\n")
    (point,) = load_measured_csv(path)
    assert point.measured.shape == (2, 2)
    np.testing.assert_allclose(point.mean_error, [0.2, 0.1], atol=1e-12)


def test_range_layout_averages_each_link_and_leaves_unmeasured_ones_empty(tmp_path):
    path = tmp_path / "ranges.csv"
    path.write_text("true_x,true_y,range_1,range_2,range_3\n1,2,3.0,4.0,\n1,2,3.2,,\n5,2,1.5,2.5,3.5\n")
    measured = load_measurements(path)
    assert isinstance(measured, MeasuredRanges)
    np.testing.assert_array_equal(measured.true, [[1.0, 2.0], [5.0, 2.0]])
    np.testing.assert_allclose(measured.ranges, [[3.1, 4.0, np.nan], [1.5, 2.5, 3.5]])
    np.testing.assert_array_equal(measured.readings, [[2, 1, 0], [1, 1, 1]])


def test_position_readers_refuse_a_range_file(tmp_path):
    path = tmp_path / "ranges.csv"
    path.write_text("true_x,true_y,range_1\n1,2,3\n")
    with pytest.raises(MeasuredDataError, match="holds ranges per anchor"):
        load_measured_csv(path)
    assert isinstance(load_measurements(tmp_path / "ranges.csv"), MeasuredRanges)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("true_x,true_y,range_1,range_3\n1,2,3,4\n", "range columns must be range_1,range_2"),
        ("true_x,true_y,range_1\n1,2,-0.5\n", "line 2: a range must not be negative"),
        ("true_x,true_y,range_1\n1,,3\n", "line 2: not a number"),
        ("true_x,true_y,range_1\n1,2,inf\n", "line 2: NaN or infinite"),
        ("true_x,true_y,range_1,range_2\n1,2,3\n", "line 2: 3 values, the header has 4"),
        ("true_x,true_y," + ",".join(f"range_{k}" for k in range(1, 102)) + "\n", "101 range columns; a file holds ranges to at most 100"),
    ],
)
def test_broken_range_files_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "broken.csv"
    path.write_text(text)
    with pytest.raises(MeasuredDataError, match=message) as caught:
        load_measurements(path)
    assert str(caught.value).startswith(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no measured data"),
        ("x,y,a,b\n1,2,3,4\n", "header must start with true_x,true_y"),
        ("true_x,true_y,measured_x,measured_y\n1,2,3\n", "line 2: 3 values"),
        ("true_x,true_y,measured_x,measured_y\n1,2,abc,4\n", "line 2: not a number"),
        ("true_x,true_y,measured_x,measured_y\n1,2,nan,4\n", "line 2: NaN"),
        ("true_x,true_y,measured_x,measured_y\n1,2," + "1" * 131_073 + ",4\n", "line 2: field larger than field limit"),
        ("true_x,true_y,measured_x,measured_y\n1,2,1e300,4\n", "line 2: a coordinate beyond ±100,000 m"),
        ("true_x,true_y,measured_x,measured_y\n\n1,2,3,4\n1,2,3,-1000001\n", "line 4: a coordinate beyond"),
        ("true_x,true_y,measured_x,measured_y\n1,2,3\x00,4\n", "line 2: not a number"),
    ],
)
def test_broken_files_name_the_file_and_the_problem(tmp_path, text, message):
    path = tmp_path / "broken.csv"
    path.write_text(text)
    with pytest.raises(MeasuredDataError, match=message) as caught:
        load_measured_csv(path)
    assert str(caught.value).startswith(str(path))


class _Map:
    """An error map with a 2 x 2 grid of 1 m cells and known error vectors."""

    grid = FloorGrid(x_centers=np.array([0.5, 1.5]), y_centers=np.array([0.5, 1.5]), z_m=1.0,
                     mask=np.ones((2, 2), dtype=bool), resolution_m=1.0)
    error = np.array([[0.1, 0.0], [0.0, 0.2], [0.3, 0.3], [0.0, 0.0]])
    degenerate = np.array([False, False, False, True])


def test_nearest_cells_and_comparison():
    assert nearest_cells(_Map.grid, np.array([[0.2, 0.9], [1.9, 0.1], [5.0, 5.0]])).tolist() == [0, 1, -1]
    points = [
        MeasuredPoint(true=np.array([0.5, 0.5]), measured=np.array([[0.6, 0.5], [0.6, 0.5]])),
        MeasuredPoint(true=np.array([1.5, 1.5]), measured=np.array([[1.5, 1.5]])),
    ]
    comparison = compare_with_prediction(points, _Map)
    np.testing.assert_allclose(comparison.predicted_error[0], [0.1, 0.0])
    assert comparison.distance_to_true[0] == pytest.approx(0.1)
    assert comparison.distance_to_predicted[0] == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(comparison.predicted_error[1]).all()  # a degenerate cell predicts nothing


def test_a_pipe_and_an_oversized_file_are_refused_without_reading_them(tmp_path):
    fifo = tmp_path / "plan.csv"
    os.mkfifo(fifo)
    with pytest.raises(MeasuredDataError, match="plan.csv: cannot read measured data: is not a regular file"):
        load_measured_csv(fifo)
    big = tmp_path / "big.csv"
    with big.open("wb") as stream:
        stream.truncate(MEASURED_FILE_LIMIT_BYTES + 1)
    with pytest.raises(MeasuredDataError, match="larger than the 16 MiB"):
        load_measured_csv(big)


def test_long_layout_groups_interleaved_rows_in_file_order_of_fixes(tmp_path):
    # Three points whose rows alternate; each point's fixes keep their order in the file.
    rows = [(x, 0.0, x + 0.1 * k, 0.01 * k) for k in range(4) for x in (3.0, 1.0, 2.0)]
    path = tmp_path / "m.csv"
    path.write_text("true_x,true_y,measured_x,measured_y\n" + "".join(f"{a},{b},{c},{d}\n" for a, b, c, d in rows))
    points = load_measured_csv(path)
    assert [tuple(p.true) for p in points] == [(1.0, 0.0), (2.0, 0.0), (3.0, 0.0)]
    for point in points:
        x = point.true[0]
        np.testing.assert_allclose(point.measured, [[x + 0.1 * k, 0.01 * k] for k in range(4)])
