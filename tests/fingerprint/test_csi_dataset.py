"""CSI datasets: chunked writing, lazy reading, provenance, limits."""

import json
import math
import zipfile

import numpy as np
import pytest

from twinloc.fingerprint import csi_dataset
from twinloc.fingerprint.csi_dataset import CsiSettings, open_csi_dataset, write_csi_dataset
from twinloc.radio.channel import AntennaArray, OfdmBand
from twinloc.radio.radiomap import MultipathFeatures

ARRAY, BAND = AntennaArray(1, 8), OfdmBand(3.5e9, 100e6, 32)


def _samples(count: int) -> tuple[np.ndarray, MultipathFeatures]:
    """``count`` points with two paths each (the second missing at every third point)."""
    index = np.arange(count, dtype=float)
    delay = np.stack([10e-9 + index * 1e-9, 50e-9 + index * 1e-9], axis=1)
    delay[::3, 1] = np.nan
    power = np.where(np.isnan(delay), np.nan, np.stack([-50.0 - index, -60.0 - index], axis=1))
    columns = {"delay_s": delay, "power_db": power}
    for name, angle in (("phase_rad", 0.3), ("aoa_azimuth_rad", 1.0), ("aoa_elevation_rad", 0.1),
                        ("aod_azimuth_rad", 0.5), ("aod_elevation_rad", -0.2)):
        columns[name] = np.where(np.isnan(delay), np.nan, angle + 0.01 * index[:, None])
    positions = np.stack([index, 2.0 * index, np.ones(count)], axis=1)
    return positions, MultipathFeatures(**columns)


def _by_hand(paths: MultipathFeatures, offsets: np.ndarray, delay_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """CSI and angle-delay image of each sample, a path and an element at a time (independent of channel.py)."""
    spacing = BAND.bandwidth_hz / BAND.subcarriers
    count = paths.delay_s.shape[0]
    csi = np.zeros((count, 8, 32), complex)
    for p in range(count):
        for k in range(2):
            if math.isnan(paths.delay_s[p, k]):
                continue
            gain = 10 ** (paths.power_db[p, k] / 20) * np.exp(1j * paths.phase_rad[p, k])
            u_x = math.cos(paths.aod_elevation_rad[p, k]) * math.cos(paths.aod_azimuth_rad[p, k])
            for n in range(8):
                for s in range(32):
                    tau = paths.delay_s[p, k] + offsets[p]
                    csi[p, n, s] += gain * np.exp(-2j * np.pi * (s - 16) * spacing * tau) * np.exp(1j * np.pi * n * u_x)
    n, s, m = np.arange(8), np.arange(32), np.arange(delay_bins)
    angle = np.exp(-2j * np.pi * np.outer(n, n) / 8)
    delay = np.exp(2j * np.pi * np.outer(s, m) / 32) / 32
    image = np.abs(np.einsum("an,pns,sm->pam", angle, csi, delay))
    return csi, image


def test_round_trip_in_several_chunks_equals_a_computation_by_hand(tmp_path, monkeypatch):
    monkeypatch.setattr(csi_dataset, "CHUNK_SAMPLES", 4)  # 10 samples: chunks of 4, 4 and 2
    positions, paths = _samples(10)
    settings = CsiSettings(ARRAY, BAND, delay_bins=12, timing_offset_s=20e-9, seed=3, keep_csi=True)
    out = tmp_path / "set.npz"
    write_csi_dataset(out, positions, paths, settings, {"scene": "hand", "base_station": "BS1"})

    offsets = np.random.default_rng(3).uniform(0.0, 20e-9, 10)
    csi, image = _by_hand(paths, offsets, 12)
    dataset = open_csi_dataset(out)
    assert len(dataset) == 10
    assert isinstance(dataset._arrays["angle_delay"], np.memmap)  # mapped, not read
    np.testing.assert_array_equal(dataset.positions, positions)
    batches = list(dataset.batches("angle_delay", 3))
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    np.testing.assert_allclose(np.concatenate(batches), image, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(np.concatenate(list(dataset.batches("csi", 4))), csi, rtol=1e-4, atol=1e-9)
    taken = dataset.take([7, 3])
    np.testing.assert_array_equal(taken["positions"], positions[[7, 3]])
    assert taken["multipath"][0, 1, 0] == pytest.approx(50e-9 + 7e-9)  # sample 7's second delay
    assert taken["multipath"][0, 0, 1] == pytest.approx(-57.0)  # its first power
    assert np.isnan(taken["multipath"][1, 1]).all()  # sample 3 has no second path


def test_numpy_reads_the_file_and_provenance_holds_the_settings(tmp_path):
    positions, paths = _samples(5)
    settings = CsiSettings(ARRAY, BAND, delay_bins=8, snr_db=20.0, seed=9)
    out = tmp_path / "set.npz"
    write_csi_dataset(out, positions, paths, settings, {"scene": "hand", "scene_digest": "abc", "base_station": "BS1"})
    with zipfile.ZipFile(out) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
    with np.load(out) as plain:
        assert sorted(plain.files) == ["angle_delay", "multipath", "positions", "provenance"]
        assert plain["angle_delay"].shape == (5, 8, 8)
        record = json.loads(str(plain["provenance"]))
    assert record == open_csi_dataset(out).provenance
    assert record["scene_digest"] == "abc" and record["base_station"] == "BS1"
    assert record["array"] == {"rows": 1, "columns": 8, "spacing_wavelengths": 0.5}
    assert record["band"] == {"centre_hz": 3.5e9, "bandwidth_hz": 100e6, "subcarriers": 32}
    assert record["snr_db"] == 20.0 and record["seed"] == 9 and record["timing_offset_s"] == 0.0


def test_sizes_are_checked_before_writing(tmp_path, monkeypatch):
    positions, paths = _samples(5)
    settings = CsiSettings(ARRAY, BAND, delay_bins=8)
    # 5 samples: positions 5*3*8, angle-delay 5*8*8*4, multipath 5*2*7*4 bytes.
    assert csi_dataset.dataset_bytes(5, 2, settings) == 120 + 1280 + 280
    monkeypatch.setattr(csi_dataset, "MAX_DATASET_BYTES", 1000)
    with pytest.raises(ValueError, match="above the"):
        write_csi_dataset(tmp_path / "big.npz", positions, paths, settings, {})
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="delay bins"):
        CsiSettings(ARRAY, BAND, delay_bins=33)
    with pytest.raises(ValueError, match="timing offset"):
        CsiSettings(ARRAY, BAND, timing_offset_s=2e-6)


def test_a_file_that_is_not_a_dataset_is_refused(tmp_path):
    other = tmp_path / "other.npz"
    np.savez_compressed(other, positions=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="other.npz.*compressed"):
        open_csi_dataset(other)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="text.npz: not a CSI dataset"):
        open_csi_dataset(text)
