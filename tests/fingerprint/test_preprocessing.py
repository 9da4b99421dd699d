"""Seed-002 preprocessing on a hand-made survey, against hand-computed results."""

from __future__ import annotations

import numpy as np
import pytest

from twinloc.fingerprint.preprocessing import preprocess
from twinloc.fingerprint.survey import Survey, SurveyError

nan = np.nan


def hand_survey(range_m=None) -> Survey:
    # RP 0: four samples; RP 1: two. Columns AP1, AP2, AP3.
    rss = np.array([
        [-50.0, -60.0, nan],
        [-52.0, nan, nan],
        [-51.0, -62.0, nan],
        [-70.0, nan, nan],  # AP1: 14.25 dB from RP 0's mean -55.75, an outlier at 10 dB
        [-40.0, nan, -90.0],
        [-44.0, nan, nan],
    ])
    return Survey(
        positions=np.array([[1.0, 1.0, 1.0]] * 4 + [[3.0, 1.0, 1.0]] * 2),
        point_ids=np.array([0, 0, 0, 0, 1, 1]),
        times_s=None,
        transmitters=("AP1", "AP2", "AP3"),
        rss_dbm=rss,
        range_m=range_m,
    )


def test_outliers_missing_readings_and_rarely_heard_transmitters():
    cleaned, report = preprocess(hand_survey(), outlier_db=10.0, fill_dbm=-100.0, min_heard_fraction=0.2)
    # AP3 is heard in 1 of 6 samples (17 % < 20 %): dropped. AP2 in 2 of 6: kept.
    assert cleaned.transmitters == ("AP1", "AP2")
    assert report.dropped_transmitters == ("AP3",)
    expected = [
        [-50.0, -60.0],
        [-52.0, -61.0],  # AP2 missing: RP 0's mean of -60 and -62
        [-51.0, -62.0],
        [-55.75, -61.0],  # the outlier -70 becomes RP 0's mean (-50 - 52 - 51 - 70) / 4
        [-40.0, -100.0],  # RP 1 never heard AP2: the floor
        [-44.0, -100.0],
    ]
    np.testing.assert_allclose(cleaned.rss_dbm, expected)
    # Counts over all three transmitters, before AP3 is dropped: AP2 at RP 0 (2) and AP3 at RP 1 (1)
    # filled from the RP's mean; AP3 at RP 0 (4) and AP2 at RP 1 (2) with the floor.
    assert (report.outliers_replaced, report.filled_from_point_mean, report.filled_with_floor) == (1, 3, 6)
    assert report.summary()["kept_transmitters"] == 2


def test_a_wider_threshold_keeps_the_sample_and_the_input_is_untouched():
    survey = hand_survey()
    before = survey.rss_dbm.copy()
    cleaned, report = preprocess(survey, outlier_db=15.0, min_heard_fraction=0.0)
    assert report.outliers_replaced == 0 and cleaned.rss_dbm[3, 0] == -70.0
    assert cleaned.transmitters == ("AP1", "AP2", "AP3")
    np.testing.assert_allclose(cleaned.rss_dbm[:, 2], [-100.0] * 4 + [-90.0, -90.0])
    np.testing.assert_array_equal(survey.rss_dbm, before)


def test_a_transmitter_measured_only_by_range_is_kept():
    ranges = np.full((6, 3), nan)
    ranges[:, 2] = 4.0
    cleaned, report = preprocess(hand_survey(ranges), min_heard_fraction=0.5)
    assert cleaned.transmitters == ("AP1", "AP3") and report.dropped_transmitters == ("AP2",)
    np.testing.assert_array_equal(cleaned.range_m[:, 1], [4.0] * 6)


def test_refusals():
    survey = hand_survey()
    survey.rss_dbm[5, 0] = nan  # now no transmitter is heard in every sample
    with pytest.raises(SurveyError, match="every transmitter is heard in fewer than 100 %"):
        preprocess(survey, min_heard_fraction=1.0)
    for options, message in (({"outlier_db": 0.0}, "outlier threshold"), ({"fill_dbm": nan}, "fill value"),
                             ({"min_heard_fraction": 1.5}, "least heard fraction")):
        with pytest.raises(ValueError, match=message):
            preprocess(hand_survey(), **options)
