"""twinloc csi-dataset: JSON, the file's paths and angle-delay peaks against geometry by hand, refusals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from twinloc.fingerprint.csi_dataset import open_csi_dataset

SPEED_OF_LIGHT = 299_792_458.0
BS1 = (0.1, 0.1, 2.4)  # industrial_hall's first base station


def test_direct_paths_peak_where_geometry_puts_them(tmp_path, cli):
    out = tmp_path / "hall.npz"
    status, stdout, err = cli(["csi-dataset", "industrial_hall", "--bs", "BS1", "--array", "1x32", "--subcarriers", "408",
                               "--bandwidth-mhz", "100", "--frequency-ghz", "3.5", "--resolution", "2", "--height", "1",
                               "--max-depth", "0", "--paths", "1", "--delay-bins", "40", "--out", str(out), "--json",
                               "--scheduler", "none"])
    assert status == 0, err
    report = json.loads(stdout)
    assert report["base_station"] == "BS1" and report["position"] == list(BS1)
    assert report["angle_delay_shape"] == [report["samples"], 32, 40] and report["samples"] > 20
    dataset = open_csi_dataset(out)
    assert len(dataset) == report["samples"] and report["bytes"] == out.stat().st_size
    assert dataset.provenance["base_station"] == "BS1" and dataset.provenance["max_depth"] == 0
    assert dataset.provenance["band"]["subcarriers"] == 408
    positions, image, multipath = dataset.positions, dataset.take(np.arange(len(dataset)))["angle_delay"], \
        dataset.take(np.arange(len(dataset)))["multipath"]
    checked = 0
    for point, picture, paths in zip(positions, image, multipath):
        if np.isnan(paths[0, 0]):  # no direct path (an opaque object between)
            continue
        distance = math.dist(point, BS1)
        assert paths[0, 0] == pytest.approx(distance / SPEED_OF_LIGHT, rel=1e-5)
        delay_bin = 100e6 * distance / SPEED_OF_LIGHT  # one bin per 1 / bandwidth
        angle_bin = 32 * 0.5 * (point[0] - BS1[0]) / distance  # columns x spacing x u_x
        if min(abs(delay_bin % 1 - 0.5), abs(angle_bin % 1 - 0.5)) < 0.1:
            continue  # halfway between two bins: either may win
        assert np.unravel_index(np.argmax(picture), picture.shape) == (round(angle_bin) % 32, round(delay_bin))
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("argv,message", [
    (["--bs", "BS9"], "--bs: industrial_hall has no base station or access point named 'BS9' (it has: BS1, BS2, BS3, BS4)"),
    (["--bs", "BS1", "--array", "16x17"], "argument --array: 16x17 has 272 antennas; 1 to 256"),
    (["--bs", "BS1", "--array", "32"], "argument --array: '32' is not ROWSxCOLUMNS"),
    (["--bs", "BS1", "--subcarriers", "5000"], "argument --subcarriers: 5000 is outside 1 to 4096"),
    (["--bs", "BS1", "--subcarriers", "32", "--delay-bins", "40"], "--delay-bins: delay bins must be an integer from 1 to 32"),
    (["--bs", "BS1", "--bandwidth-mhz", "5000"], "argument --bandwidth-mhz: 5000 is outside 0.001 MHz to 1000 MHz"),
    (["--bs", "BS1", "--frequency-ghz", "0.2", "--bandwidth-mhz", "500"], "--frequency-ghz: centre frequency must exceed"),
    (["--bs", "BS1", "--noise-db", "200"], "argument --noise-db: 200 is outside -30 dB to 100 dB"),
    # 160 x 360 cells (minus solids) x 256 antennas x 4096 subcarriers x 8 bytes: hundreds of GiB, refused before tracing.
    (["--bs", "BS1", "--array", "16x16", "--subcarriers", "4096", "--keep-csi", "--resolution", "0.05"],
     "MiB limit"),
])
def test_bad_input_is_one_line(tmp_path, cli, argv, message):
    status, out, err = cli(["csi-dataset", "industrial_hall", *argv, "--out", str(tmp_path / "x.npz"), "--scheduler", "none"])
    assert status == 2 and out == "" and err.count("\n") == 1
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_refused_before_tracing(tmp_path, cli):
    status, _, err = cli(["csi-dataset", "industrial_hall", "--bs", "BS1", "--out", str(tmp_path / "no" / "x.npz")])
    assert status == 2 and "x.npz: cannot write: no such folder" in err


def test_three_sectors_store_each_samples_sector_by_its_azimuth_about_the_station(tmp_path, cli):
    out = tmp_path / "sectors.npz"
    status, stdout, err = cli(["csi-dataset", "sector_hall", "--bs", "BS1", "--sectors", "3", "--array", "1x4",
                               "--subcarriers", "16", "--delay-bins", "8", "--resolution", "2", "--max-depth", "0",
                               "--out", str(out), "--json"])
    assert status == 0, err
    report = json.loads(stdout)
    assert report["sectors"] == 3 and report["sector_rotation"]["applies"]
    dataset = open_csi_dataset(out)
    assert dataset.provenance["sectors"] == 3 and dataset.provenance["sector_rotation"]["applies"]
    sector = dataset.take(np.arange(len(dataset)))["sector"]
    # Sector k covers the azimuths within 60 degrees of 90 + 120 k degrees about BS1 at (12, 12).
    azimuth = np.degrees(np.arctan2(dataset.positions[:, 1] - 12.0, dataset.positions[:, 0] - 12.0))
    offset = (azimuth - 90.0 - 120.0 * sector + 180.0) % 360.0 - 180.0
    assert sector.dtype == np.int8 and set(sector.tolist()) == {0, 1, 2}
    assert np.all(np.abs(offset) <= 60.0 + 1e-9)


def test_sectors_in_a_hall_not_round_its_station_say_rotation_does_not_apply(tmp_path, cli):
    status, stdout, err = cli(["csi-dataset", "industrial_hall", "--bs", "BS1", "--sectors", "3", "--array", "1x4",
                               "--subcarriers", "16", "--delay-bins", "8", "--resolution", "2", "--max-depth", "0",
                               "--out", str(tmp_path / "hall.npz")])
    assert status == 0, err
    assert "3 sectors; sector rotation does not apply: Industrial hall is not 3-fold symmetric about BS1" in stdout
