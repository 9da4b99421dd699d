"""k of twin-aided kNN by cross-validation over the measured reference points."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tests.fingerprint.conftest import make_survey
from twinloc.fingerprint.models import FingerprintSettings
from twinloc.fingerprint.twin import choose_neighbours


class _FixedTwin:
    """A stand-in for the twin's floor: one virtual sample far away in signal space (-99 dBm at
    x = 50 m, 49 dB or more from every measured one), so kNN's neighbours are measured ones.
    Records the measured points each fold calibrates on."""

    def __init__(self) -> None:
        self.folds: list[list[int]] = []

    def survey(self, measured, *, calibrated, seed):
        self.folds.append(sorted(np.unique(measured.point_ids).tolist()))
        return SimpleNamespace(survey=make_survey([[50.0, 0.0]], [[-99.0]], ("a",), point_ids=[100]))


def test_k_is_chosen_by_holding_out_each_reference_point_in_turn():
    # Five points 1 m apart on a line, one sample each, RSS falling 5 dB per metre.
    x = np.arange(5.0)
    measured = make_survey(np.column_stack([x, np.zeros(5)]), (-30.0 - 5.0 * x)[:, None], ("a",))
    floor = _FixedTwin()
    choice = choose_neighbours(floor, measured, FingerprintSettings(), calibrated=True, candidates=(1, 2))
    # Held out, each point's nearest fingerprints are its neighbours on the line, 5 dB away.
    # k = 1: one of them, 1 m off, for every point. k = 2: an interior point gets both, equally
    # weighted, and lands on itself; an end point gets the points 1 m (5 dB) and 2 m (10 dB)
    # away, weighted 2:1, and lands 4/3 m off. Mean (4/3 + 0 + 0 + 0 + 4/3) / 5 = 8/15 m.
    assert choice.errors_m[1] == pytest.approx(1.0)
    assert choice.errors_m[2] == pytest.approx(8.0 / 15.0)
    assert choice.neighbours == 2
    # The twin was calibrated without the held-out point, every point held out once.
    assert floor.folds == [[p for p in range(5) if p != held] for held in range(5)]


def test_a_single_reference_point_keeps_the_settings_k():
    measured = make_survey([[0.0, 0.0], [0.0, 0.0]], [[-40.0], [-41.0]], ("a",), point_ids=[7, 7])
    choice = choose_neighbours(_FixedTwin(), measured, FingerprintSettings(neighbours=4))
    assert (choice.neighbours, choice.errors_m) == (4, {})
