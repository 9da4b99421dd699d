"""Sector rotation in training (seed 003, §III.C) on a synthetic three-sector site whose
local-frame fingerprints repeat in every sector, as in a twin symmetric about its station."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twinloc.fingerprint.evaluation import position_errors
from twinloc.fingerprint.sectors import SectorApplicability, SectorSamples, sector_of
from twinloc.fingerprint.ssl import SslSettings, run_ssl

SETTINGS = SslSettings(pretrain_epochs=80, finetune_epochs=20, batch_size=16, hidden=32, layers=2, test_fraction=0.3)
SYMMETRIC = SectorApplicability(True, "symmetric by construction", 3)


def _site(counts=(240, 240, 24), seed=0):
    """Points in a disc of 10 m about the station at (0, 0), ``counts`` per sector (the third
    one sparse); each fingerprint is a smooth function of the point's distance and its azimuth
    seen from its own sector's array, so a point and its turned copy share it."""
    rng = np.random.default_rng(seed)
    positions, sectors = [], []
    for sector, count in enumerate(counts):
        radius = 10.0 * np.sqrt(rng.uniform(0.04, 1.0, count))
        local = rng.uniform(-math.pi / 3, math.pi / 3, count)  # azimuth from the sector's bisector
        azimuth = math.pi / 2 + sector * 2 * math.pi / 3 + local
        positions.append(np.column_stack([radius * np.cos(azimuth), radius * np.sin(azimuth)]))
        sectors.append(np.full(count, sector))
    positions, sector = np.vstack(positions), np.concatenate(sectors)
    local = np.arctan2(positions[:, 1], positions[:, 0]) - math.pi / 2 - sector * 2 * math.pi / 3
    radius = np.hypot(positions[:, 0], positions[:, 1]) / 10
    inputs = np.column_stack([radius, np.cos(local), np.sin(local), radius * np.sin(local), np.exp(-radius)])
    return inputs.astype(np.float32), positions, SectorSamples(sector.astype(np.int8), 3, (0.0, 0.0), SYMMETRIC)


def test_the_synthetic_sectors_are_the_stations_own():
    _, positions, sectors = _site()
    assert np.array_equal(sector_of(positions, (0.0, 0.0), 3), sectors.sector)


def test_rotation_fills_the_sparse_sector_with_the_others_labels():
    inputs, positions, sectors = _site()
    runs = {rotation: run_ssl(inputs, positions, 0.2, "supervised", seed=3, settings=SETTINGS, sectors=sectors,
                              sector_rotation=rotation) for rotation in (False, True)}
    assert runs[False].rotated_labels == 0
    assert runs[True].rotated_labels == 2 * runs[True].labelled  # every label copied into both other sectors
    sparse = {}
    for rotation, result in runs.items():
        errors = position_errors(positions[result.test], result.predictions)
        sparse[rotation] = errors[sectors.sector[result.test] == 2].mean()
    # The sparse sector has about 3 labels of its own; rotated, about 70 more.
    assert sparse[True] < 0.5 * sparse[False]


def test_consistency_runs_with_sectors_and_pseudo_labels_within_each_sector():
    inputs, positions, sectors = _site(counts=(60, 60, 60))
    result = run_ssl(inputs, positions, 0.3, "consistency", seed=1, settings=SslSettings(
        pretrain_epochs=5, finetune_epochs=3, hidden=8, layers=1, agreement_m=50.0), sectors=sectors,
        sector_rotation=True)
    (found,) = result.rounds
    assert found.accepted == result.unlabelled  # r = 50 m keeps every pseudo-label of a 20 m site


def test_rotation_is_refused_without_sectors_or_symmetry():
    inputs, positions, sectors = _site(counts=(20, 20, 20))
    with pytest.raises(ValueError, match=r"sector rotation needs the sector of every sample.*--sectors N"):
        run_ssl(inputs, positions, 0.5, "supervised", settings=SETTINGS, sector_rotation=True)
    lopsided = SectorSamples(sectors.sector, 3, (0.0, 0.0), SectorApplicability(False, "the hall is not round", 3))
    with pytest.raises(ValueError, match="sector rotation does not apply: the hall is not round"):
        run_ssl(inputs, positions, 0.5, "supervised", settings=SETTINGS, sectors=lopsided, sector_rotation=True)
    with pytest.raises(ValueError, match="60 samples need 60 sectors"):
        run_ssl(inputs, positions, 0.5, "supervised", settings=SETTINGS,
                sectors=SectorSamples(sectors.sector[:5], 3, (0.0, 0.0), SYMMETRIC))
