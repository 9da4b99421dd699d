"""Seed 003's sector rotation in the twin: a sector with a tenth of the others' labels.

Base station BS1 at the centre of ``sector_hall`` (the hexagonal hall 3-fold symmetric about
it) with three sectors, each a 1 x 16 linear array facing its bisector; 128 subcarriers over
100 MHz at 3.5 GHz, reflections to depth 2, no noise; the floor grid at 0.25 m. Sector 2 keeps
a tenth of its samples (its labels are a tenth of each other sector's); 10 % of the non-test
samples keep their positions. The small CNN with one head per sector (60 epochs)
trains on the labelled samples without and with sector rotation; errors on the test split,
whole floor and sparse sector, pooled over three splits (seeds 0, 1, 2).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from twinloc.cancellation import CancelToken, report_nothing
from twinloc.compute.csi_jobs import csi_dataset_job
from twinloc.fingerprint.csi_dataset import CsiSettings, open_csi_dataset
from twinloc.fingerprint.evaluation import evaluate
from twinloc.fingerprint.sectors import SectorSamples, dataset_sectors
from twinloc.fingerprint.ssl import SslSettings, dataset_inputs, run_ssl
from twinloc.geometry.loaders import load_scene
from twinloc.radio.channel import AntennaArray, OfdmBand
from twinloc.radio.radiomap import RadioSettings
from twinloc.radio.transmitters import Transmitter

SPARSE_SECTOR = 2
SPARSE_SHARE = 0.1
LABELLED_FRACTION = 0.1
SEEDS = (0, 1, 2)
SETTINGS = SslSettings(pretrain_epochs=60, finetune_epochs=24, test_fraction=0.3)


def _row(truth: np.ndarray, guess: np.ndarray) -> dict:
    metrics = evaluate(truth, guess)
    return {"samples": len(truth), "mean_m": round(metrics.mean_m, 3), "p50_m": round(metrics.p50_m, 3),
            "p90_m": round(metrics.p90_m, 3)}


def run() -> dict:
    scene = load_scene("sector_hall")
    band = OfdmBand(3.5e9, 100e6, 128)
    settings = CsiSettings(AntennaArray(1, 16), band, delay_bins=32, sectors=3)
    station = Transmitter("BS1", scene.base_stations[0].position, band.centre_hz, 0.0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hall.npz"
        written = csi_dataset_job(scene, station, str(path), settings, RadioSettings(max_depth=2), 0.25).function(
            report_nothing, CancelToken())
        dataset = open_csi_dataset(path)
        images, positions = dataset_inputs(dataset, "angle-delay")
        sectors = dataset_sectors(dataset)
    sparse = np.flatnonzero(sectors.sector == SPARSE_SECTOR)
    dropped = np.random.default_rng(0).permutation(sparse)[int(round(len(sparse) * SPARSE_SHARE)):]
    kept = np.setdiff1d(np.arange(len(images)), dropped)
    images, positions = images[kept], positions[kept]
    sectors = SectorSamples(sectors.sector[kept], sectors.count, sectors.centre, sectors.rotation)
    per_sector = np.bincount(sectors.sector, minlength=3).tolist()
    results = {}
    for rotation in (False, True):
        truth, guess, seconds, labelled = [], [], 0.0, []
        for seed in SEEDS:
            result = run_ssl(images, positions, LABELLED_FRACTION, "supervised", seed=seed, settings=SETTINGS,
                             sectors=sectors, sector_rotation=rotation)
            truth.append(result.test)
            guess.append(result.predictions)
            seconds += result.train_seconds
            labelled.append(result.labelled + result.rotated_labels)
        test, predicted = np.concatenate(truth), np.concatenate(guess)
        in_sparse = sectors.sector[test] == SPARSE_SECTOR
        results["rotation" if rotation else "no rotation"] = {
            "whole floor": _row(positions[test, :2], predicted),
            "sparse sector": _row(positions[test[in_sparse], :2], predicted[in_sparse]),
            "other sectors": _row(positions[test[~in_sparse], :2], predicted[~in_sparse]),
            "labels_per_run": labelled, "train_seconds": round(seconds, 1),
        }
    return {"scene": "sector_hall", "base_station": "BS1", "sectors": 3, "samples": written.samples,
            "samples_per_sector_after_thinning": per_sector, "sparse_sector": SPARSE_SECTOR,
            "labelled_fraction": LABELLED_FRACTION, "seeds": list(SEEDS), "image": list(images.shape[1:]),
            "rotation_applies": sectors.rotation.reason, "results": results}
