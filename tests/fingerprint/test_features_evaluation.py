"""Features, lag windows, kNN by hand, metrics on hand-made errors, grouped folds, the heat map."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.fingerprint.conftest import make_survey
from twinloc.fingerprint.evaluation import error_cdf, evaluate, per_point_errors
from twinloc.fingerprint.features import NOT_HEARD_RSS_DBM, FeatureSpec, lag_windows, time_order
from twinloc.fingerprint.grid_search import grid_search, grouped_folds
from twinloc.fingerprint.heatmap import rmse_heat_map
from twinloc.fingerprint.models import FingerprintSettings, fit_fingerprint_model

# A radio map of four reference points at the corners of a 4 m square, two transmitters.
CORNERS = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0), (4.0, 4.0)]
CORNER_RSS = [(-40.0, -70.0), (-50.0, -60.0), (-60.0, -50.0), (-70.0, -40.0)]


def test_weighted_knn_on_a_hand_made_radio_map():
    model = fit_fingerprint_model("knn", make_survey(CORNERS, CORNER_RSS, ("ap1", "ap2")),
                                  FingerprintSettings(neighbours=2))
    # (-44, -67) is 5 dB from the first corner and sqrt(6^2 + 7^2) = sqrt(85) dB from the second;
    # the other corners are farther. Weights 1/d: x = 4 * (1/sqrt(85)) / (1/5 + 1/sqrt(85)).
    w_a, w_b = 1 / 5, 1 / math.sqrt(85)
    expected = np.array([4 * w_b / (w_a + w_b), 0.0])
    predicted = model.predict(make_survey([(9.0, 9.0)], [(-44.0, -67.0)], ("ap1", "ap2")))
    assert predicted[0] == pytest.approx(expected, abs=1e-9)
    # The columns are matched by name, and a transmitter the test survey lacks reads as not
    # heard (-100 dBm): (-45, -100) is 30.4 dB from corner one and 41.2 from corner two.
    reordered = model.predict(make_survey([(0.0, 0.0)], [(-100.0, -45.0)], ("ap3", "ap1")))
    w_a, w_b = 1 / math.hypot(5, 30), 1 / math.hypot(5, 40)
    assert reordered[0] == pytest.approx([4 * w_b / (w_a + w_b), 0.0], abs=1e-9)


def test_features_fill_floor_values_and_refuse_a_survey_with_no_shared_transmitter():
    survey = make_survey([(0, 0), (1, 0)], [(-50.0, np.nan), (-120.0, -60.0)], ("a", "b"),
                         range_m=[(2.0, np.nan), (3.0, 4.0)])
    both = FeatureSpec("rss+range", ("a", "b")).features(survey)
    assert both.tolist() == [[-50.0, NOT_HEARD_RSS_DBM, 2.0, 50.0], [NOT_HEARD_RSS_DBM, -60.0, 3.0, 4.0]]
    with pytest.raises(ValueError, match="include none of the model's"):
        FeatureSpec("rss", ("x", "y")).features(survey)
    no_ranges = make_survey([(0, 0)], [(-50.0, -60.0)], ("a", "b"))
    with pytest.raises(ValueError, match="need ranges"):
        FeatureSpec("range", ("a", "b")).features(no_ranges)


def test_lag_windows_and_route_order_by_hand():
    features = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    assert lag_windows(features, 2).tolist() == [[1, 10, 1, 10], [1, 10, 2, 20], [2, 20, 3, 30]]
    assert lag_windows(features, 3)[2].tolist() == [1, 10, 2, 20, 3, 30]
    assert lag_windows(features, 1).tolist() == features.tolist()
    survey = make_survey([(0, 0)] * 4, [(-50.0,)] * 4, ("a",), times_s=[2.0, 0.0, 1.0, 0.0])
    assert time_order(survey).tolist() == [1, 3, 2, 0]  # by time, ties in file order
    assert time_order(make_survey([(0, 0)] * 3, [(-50.0,)] * 3, ("a",))).tolist() == [0, 1, 2]


def test_metrics_of_hand_made_errors():
    # Errors 1, 2, ..., 10 m as 3-4-5 triangles: predicted (0.6 e, 0.8 e) against the origin.
    errors = np.arange(1.0, 11.0)
    metrics = evaluate(np.zeros((10, 2)), np.column_stack([0.6 * errors, 0.8 * errors]))
    assert metrics.mean_m == pytest.approx(5.5)
    assert metrics.rmse_m == pytest.approx(math.sqrt(385 / 10))  # sum of k^2, k = 1..10, is 385
    assert (metrics.p50_m, metrics.p67_m, metrics.p80_m, metrics.p90_m) == pytest.approx((5, 7, 8, 9))
    assert metrics.within_2m == pytest.approx(0.2)
    values, fractions = error_cdf(errors[::-1])
    assert values.tolist() == errors.tolist() and fractions[[0, 4, 9]].tolist() == [0.1, 0.5, 1.0]


def test_per_point_errors_group_samples_by_reference_point():
    true = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 2.0]])
    predicted = np.array([[3.0, 0.0], [0.0, 4.0], [2.0, 3.0]])
    points = per_point_errors(true, predicted, np.array([7, 7, 3]))
    assert points.point_ids.tolist() == [3, 7]
    assert points.mean_m.tolist() == pytest.approx([1.0, 3.5])
    assert points.rmse_m.tolist() == pytest.approx([1.0, math.sqrt((9 + 16) / 2)])
    assert points.positions.tolist() == [[2.0, 2.0], [0.0, 0.0]] and points.samples.tolist() == [1, 2]


def test_grouped_folds_never_share_a_reference_point():
    point_ids = np.random.default_rng(4).integers(0, 23, size=400)
    folds = grouped_folds(point_ids, folds=5)
    assert len(folds) == 5
    validated = []
    for training, validation in folds:
        assert not set(point_ids[training]) & set(point_ids[validation])
        assert len(training) + len(validation) == len(point_ids)
        validated.extend(point_ids[validation])
    assert sorted(validated) == sorted(point_ids)  # each sample validated exactly once
    with pytest.raises(ValueError, match="at least 2 reference points"):
        grouped_folds(np.zeros(10, dtype=int))


def test_knn_grid_search_scores_every_candidate_on_grouped_folds():
    # Points along a line, RSS falling 5 dB per metre from a transmitter at x = 0: one
    # neighbour picks the nearest fingerprint of a held-out point, a neighbour 1 m away.
    x = np.repeat(np.arange(10.0), 3)
    survey = make_survey(np.column_stack([x, np.zeros_like(x)]), (-30.0 - 5.0 * x)[:, None], ("a",),
                         point_ids=np.repeat(np.arange(10), 3))
    result = grid_search("knn", survey, {"neighbours": [1, 3]}, folds=5)
    assert [score.values["neighbours"] for score in result.table] == [1, 3]
    assert result.best.neighbours == 1 and result.folds == 5
    assert result.table[0].mean_rmse_m == pytest.approx(1.0)


def test_heat_map_interpolates_the_point_values():
    points = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    rmse = np.array([1.0, 2.0, 4.0])
    at_points = rmse_heat_map(points, rmse, points, epsilon_per_m=1.0, smoothing=0.0)
    assert at_points == pytest.approx(rmse, abs=1e-9)
    # One point: its Gaussian weight is 0 and the fitted constant is its value, everywhere.
    single = rmse_heat_map(points[:1], rmse[:1], np.array([[0.0, 0.0], [10.0, -5.0]]), smoothing=0.0)
    assert single == pytest.approx([1.0, 1.0])
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        rmse_heat_map(points, rmse, points, epsilon_per_m=0.0)
