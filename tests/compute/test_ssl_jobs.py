"""The semi-supervised positioning job: rounds reported as they end, cancellation, the dataset read once."""

import json

import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.compute.ssl_jobs import SslRequest, ssl_job
from twinloc.fingerprint.ssl import SslSettings

SETTINGS = SslSettings(pretrain_epochs=3, finetune_epochs=2)


@pytest.fixture
def dataset(tmp_path):
    """100 samples whose 2-feature multipath rows are their own (x, y): the MLP's easiest map."""
    rng = np.random.default_rng(0)
    positions = np.column_stack([rng.uniform(0.0, 5.0, (100, 2)), np.ones(100)])
    multipath = np.full((100, 1, 7), np.nan, dtype=np.float32)
    multipath[:, 0, :2] = positions[:, :2]
    path = tmp_path / "data.npz"
    np.savez(path, positions=positions, angle_delay=np.zeros((100, 1, 2), np.float32), multipath=multipath,
             provenance=np.array(json.dumps({})))
    return str(path)


def test_each_round_is_reported_as_it_ends(dataset):
    heard = []
    request = SslRequest(dataset, "multipath", 0.2, "consistency", rounds=2, settings=SETTINGS)
    result = ssl_job(request, on_round=lambda number, found: heard.append((number, found))).function(
        lambda fraction, text: None, CancelToken())
    assert [number for number, _ in heard] == [1, 2]
    assert tuple(found for _, found in heard) == result.rounds
    assert all(found.accepted + found.rejected == result.unlabelled == 64 for _, found in heard)


def test_a_cancelled_job_raises(dataset):
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        ssl_job(SslRequest(dataset, "multipath", 0.2, "supervised", settings=SETTINGS)).function(
            lambda fraction, text: None, token)
