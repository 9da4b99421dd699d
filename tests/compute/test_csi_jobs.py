"""The CSI dataset job: progress from 0 to 1, cancel leaves no file, given points in order."""

import math

import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.compute.csi_jobs import csi_dataset_job
from twinloc.fingerprint.csi_dataset import CsiSettings, open_csi_dataset
from twinloc.geometry.loaders import load_scene
from twinloc.radio.channel import AntennaArray, OfdmBand
from twinloc.radio.radiomap import RadioSettings
from twinloc.radio.transmitters import Transmitter

SETTINGS = CsiSettings(AntennaArray(1, 4), OfdmBand(3.5e9, 100e6, 16), delay_bins=8)
STATION = Transmitter("BS1", (0.1, 0.1, 2.4), 3.5e9, 0.0)
POINTS = np.array([[2.0, 3.0, 1.0], [6.0, 15.0, 1.0], [4.0, 9.0, 1.5]])


def test_given_points_are_written_in_order_with_progress(tmp_path):
    seen = []
    out = tmp_path / "points.npz"
    job = csi_dataset_job(load_scene("industrial_hall"), STATION, str(out), SETTINGS, RadioSettings(max_depth=0),
                          points=POINTS)
    result = job.function(lambda fraction, text: seen.append(fraction), CancelToken())
    assert result.samples == 3 and job.key is None
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    dataset = open_csi_dataset(out)
    np.testing.assert_array_equal(dataset.positions, POINTS)
    delays = dataset.take([0, 1, 2])["multipath"][:, 0, 0]
    for point, delay in zip(POINTS, delays):
        if not math.isnan(delay):  # the direct path, depth 0
            assert delay == pytest.approx(math.dist(point, STATION.position) / 299_792_458.0, rel=1e-6)
    assert dataset.provenance["scene_digest"] == load_scene("industrial_hall").content_hash()


def test_cancel_leaves_no_file(tmp_path):
    token = CancelToken()
    token.cancel()
    job = csi_dataset_job(load_scene("industrial_hall"), STATION, str(tmp_path / "x.npz"), SETTINGS, points=POINTS)
    with pytest.raises(JobCancelled):
        job.function(lambda fraction, text: None, token)
    assert list(tmp_path.iterdir()) == []
