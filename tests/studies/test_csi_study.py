"""CSI datasets with the paths traced as a study: the same file as traced in this process."""

import math

import numpy as np

from twinloc.cancellation import CancelToken, report_nothing
from twinloc.compute import csi_jobs
from twinloc.fingerprint.csi_dataset import CsiSettings, open_csi_dataset
from twinloc.geometry.loaders import load_scene
from twinloc.radio.channel import AntennaArray, OfdmBand
from twinloc.radio.radiomap import RadioSettings
from twinloc.radio.transmitters import Transmitter

SETTINGS = CsiSettings(AntennaArray(1, 4), OfdmBand(3.5e9, 100e6, 16), delay_bins=8)
STATION = Transmitter("BS1", (0.1, 0.1, 2.4), 3.5e9, 0.0)
POINTS = np.array([[2.0, 3.0, 1.0], [6.0, 15.0, 1.0], [4.0, 9.0, 1.5], [3.0, 20.0, 1.2], [7.0, 5.0, 0.8]])


def test_paths_traced_on_two_workers_give_the_same_dataset(tmp_path, cluster_runner, monkeypatch):
    monkeypatch.setattr(csi_jobs, "TRACE_POINTS", 2)  # three blocks: three tasks
    scene = load_scene("industrial_hall")
    datasets = []
    for name, runner in (("here.npz", None), ("cluster.npz", cluster_runner)):
        job = csi_jobs.csi_dataset_job(scene, STATION, str(tmp_path / name), SETTINGS, RadioSettings(max_depth=1),
                                       points=POINTS, runner=runner)
        job.function(report_nothing, CancelToken())
        datasets.append(open_csi_dataset(tmp_path / name).take(range(len(POINTS))))
    here, on_cluster = datasets
    assert here.keys() == on_cluster.keys()
    for key in here:
        np.testing.assert_array_equal(on_cluster[key], here[key])
    # No path is shorter than the straight line: every delay is at least the distance over c.
    delays = here["multipath"][:, :, 0]
    direct = np.array([math.dist(point, STATION.position) / 299_792_458.0 for point in POINTS])
    reached = np.isfinite(delays)
    assert reached.sum() >= 3
    assert np.all(delays[reached] >= (direct[:, None] * (1 - 1e-6)).repeat(delays.shape[1], axis=1)[reached])
