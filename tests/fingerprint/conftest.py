"""Surveys built by hand for the fingerprint tests."""

from __future__ import annotations

import numpy as np

from twinloc.fingerprint.survey import Survey


def make_survey(positions, rss_dbm, transmitters, point_ids=None, times_s=None, range_m=None) -> Survey:
    """A survey of (S, 2) positions at 1 m height; point ids default to one per sample."""
    positions = np.asarray(positions, dtype=np.float64)
    positions = np.column_stack([positions, np.ones(len(positions))])
    point_ids = np.arange(len(positions)) if point_ids is None else np.asarray(point_ids)
    return Survey(positions, point_ids, None if times_s is None else np.asarray(times_s, dtype=np.float64),
                  tuple(transmitters), np.asarray(rss_dbm, dtype=np.float64),
                  None if range_m is None else np.asarray(range_m, dtype=np.float64))
