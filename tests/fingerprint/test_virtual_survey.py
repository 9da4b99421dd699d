"""Virtual surveys with hand-made twins: the draws have the distributions asked for (fixed seeds)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from twinloc.fingerprint.virtual_survey import virtual_survey


def flat_twin(rss_dbm: float, transmitters: int = 2, range_m: float | None = None):
    """A twin predicting the same RSS (and range) everywhere, as a tuple."""

    def predict(points):
        rss = np.full((len(points), transmitters), rss_dbm)
        return rss, None if range_m is None else np.full_like(rss, range_m)

    return predict


def line_of_points(count: int, step_m: float = 1.0) -> np.ndarray:
    return np.column_stack([np.arange(count) * step_m, np.zeros(count), np.ones(count)])


def test_noise_alone_has_the_asked_spread_around_the_twin():
    survey = virtual_survey(line_of_points(200), flat_twin(-60.0), transmitters=("A", "B"),
                            samples_per_point=50, shadowing_db=0.0, noise_db=2.0, seed=1)
    assert survey.rss_dbm.shape == (10_000, 2) and survey.transmitters == ("A", "B")
    # 20,000 draws: the mean is within 4 standard errors (0.057 dB), the spread within 2 %.
    assert abs(np.mean(survey.rss_dbm) + 60.0) < 0.06
    assert np.std(survey.rss_dbm) == pytest.approx(2.0, rel=0.02)


def test_shadowing_is_fixed_over_a_points_samples_and_varies_between_points():
    survey = virtual_survey(line_of_points(2000), flat_twin(-60.0, transmitters=1), transmitters=("A",),
                            samples_per_point=3, shadowing_db=4.0, noise_db=0.0, seed=2)
    per_point = survey.rss_dbm[:, 0].reshape(2000, 3)
    assert np.all(per_point == per_point[:, :1])
    assert np.std(per_point[:, 0]) == pytest.approx(4.0, rel=0.05)
    np.testing.assert_array_equal(survey.point_ids, np.repeat(np.arange(2000), 3))


def test_correlated_shadowing_follows_exp_of_minus_distance_over_the_decorrelation_distance():
    # Two RPs 5 m apart with a 5 m decorrelation distance: correlation 1/e, estimated over
    # 3000 transmitters (independent draws); its standard error is about 0.016.
    points = np.array([[0.0, 0.0, 1.0], [5.0, 0.0, 1.0]])
    survey = virtual_survey(points, flat_twin(-50.0, transmitters=3000), transmitters=[f"T{i}" for i in range(3000)],
                            samples_per_point=1, shadowing_db=4.0, noise_db=0.0, decorrelation_m=5.0, seed=3)
    first, second = survey.rss_dbm[0] + 50.0, survey.rss_dbm[1] + 50.0
    assert np.corrcoef(first, second)[0, 1] == pytest.approx(np.exp(-1.0), abs=0.06)
    assert np.std(np.concatenate([first, second])) == pytest.approx(4.0, rel=0.05)


def test_readings_below_the_sensitivity_are_not_heard():
    def predict(points):
        return np.tile([-94.0, -96.0, -np.inf, np.nan], (len(points), 1)), None

    survey = virtual_survey(line_of_points(3), predict, transmitters="ABCD", shadowing_db=0.0, noise_db=0.0)
    assert np.all(survey.rss_dbm[:, 0] == -94.0)
    assert np.all(np.isnan(survey.rss_dbm[:, 1:]))


def test_ranges_get_their_noise_and_vanish_where_not_heard():
    def predict(points):
        return SimpleNamespace(rss_dbm=np.tile([-70.0, -120.0], (len(points), 1)),
                               range_m=np.tile([4.0, 9.0], (len(points), 1)), transmitter_names=("A1", "A2"))

    survey = virtual_survey(line_of_points(100), predict, samples_per_point=100, shadowing_db=0.0, noise_db=0.0,
                            range_noise_m=0.1, seed=4)
    assert survey.transmitters == ("A1", "A2")
    assert np.mean(survey.range_m[:, 0]) == pytest.approx(4.0, abs=0.004)
    assert np.std(survey.range_m[:, 0]) == pytest.approx(0.1, rel=0.03)
    assert np.all(np.isnan(survey.range_m[:, 1]))


def test_samples_are_timed_along_the_route():
    # 3 samples 1 s apart; 5 m to the next RP at 0.5 m/s is 10 s; its first sample comes 1 s after arriving.
    points = np.array([[0.0, 0.0, 1.0], [5.0, 0.0, 1.0], [5.0, 1.0, 1.0]])
    survey = virtual_survey(points, flat_twin(-60.0), transmitters=("A", "B"), samples_per_point=3,
                            sample_interval_s=1.0, walking_speed_mps=0.5)
    np.testing.assert_allclose(survey.times_s, [0, 1, 2, 13, 14, 15, 18, 19, 20])
    np.testing.assert_array_equal(survey.positions[3], [5.0, 0.0, 1.0])


def test_the_same_seed_gives_the_same_survey_and_another_seed_another():
    args = (line_of_points(5), flat_twin(-60.0))
    one = virtual_survey(*args, transmitters=("A", "B"), seed=7)
    assert np.array_equal(one.rss_dbm, virtual_survey(*args, transmitters=("A", "B"), seed=7).rss_dbm)
    assert not np.array_equal(one.rss_dbm, virtual_survey(*args, transmitters=("A", "B"), seed=8).rss_dbm)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"samples_per_point": 0}, "samples per reference point"),
        ({"shadowing_db": -1.0}, "shadowing standard deviation"),
        ({"decorrelation_m": 0.0}, "decorrelation distance"),
        ({"walking_speed_mps": 0.0}, "walking speed"),
        ({"transmitters": None}, "needs 2 transmitter names"),
    ],
)
def test_bad_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        virtual_survey(line_of_points(3), flat_twin(-60.0), **{"transmitters": ("A", "B"), **options})


def test_the_size_limits_are_checked_before_drawing(monkeypatch):
    monkeypatch.setattr("twinloc.fingerprint.virtual_survey.MAX_CORRELATED_POINTS", 4)
    with pytest.raises(ValueError, match="at most 4 reference points"):
        virtual_survey(line_of_points(5), flat_twin(-60.0), transmitters=("A", "B"), decorrelation_m=3.0)
    monkeypatch.setattr("twinloc.fingerprint.virtual_survey.MAX_SURVEY_VALUES", 99)
    with pytest.raises(ValueError, match="more than the 99 values"):
        virtual_survey(line_of_points(5), flat_twin(-60.0), transmitters=("A", "B"))
