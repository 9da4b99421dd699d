"""The synthesised channel against closed forms worked by hand."""

import cmath
import math

import numpy as np
import pytest

from twinloc.radio.channel import AntennaArray, OfdmBand, angle_delay, frequency_response
from twinloc.radio.radiomap import MultipathFeatures


def _paths(**columns) -> MultipathFeatures:
    """One point's paths: each keyword a list over paths; unset columns are 0."""
    names = MultipathFeatures.__dataclass_fields__
    k = len(next(iter(columns.values())))
    return MultipathFeatures(**{n: np.array([columns.get(n, [0.0] * k)], dtype=float) for n in names})


def test_single_path_equals_the_closed_form():
    # One path: power -60 dB (amplitude 1e-3), phase 0.7 rad, delay 40 ns, leaving at azimuth
    # 30 deg, elevation 0, onto a 1 x 4 half-wavelength array and 8 subcarriers over 80 MHz.
    array, band = AntennaArray(1, 4), OfdmBand(3.5e9, 80e6, 8)
    paths = _paths(delay_s=[40e-9], power_db=[-60.0], phase_rad=[0.7], aod_azimuth_rad=[math.radians(30.0)])
    response = frequency_response(paths, array, band)
    assert response.shape == (1, 4, 8) and response.dtype == np.complex64
    for n in range(4):
        for s in range(8):
            offset = (s - 4) * 10e6  # Hz from the centre
            expected = 1e-3 * cmath.exp(0.7j) * cmath.exp(-2j * math.pi * offset * 40e-9) \
                * cmath.exp(2j * math.pi * 0.5 * n * math.cos(math.radians(30.0)))
            assert response[0, n, s] == pytest.approx(expected, abs=1e-8)


def test_timing_offset_delays_every_path_and_missing_paths_add_nothing():
    array, band = AntennaArray(2, 2), OfdmBand(3.5e9, 20e6, 4)
    two = _paths(delay_s=[10e-9, float("nan")], power_db=[0.0, float("nan")], phase_rad=[0.0, float("nan")],
                 aod_elevation_rad=[math.radians(90.0), float("nan")])
    response = frequency_response(two, array, band, timing_offset_s=np.array([15e-9]))
    # Straight up (u = +z): the upper row (row 1) gains half a turn, exp(j pi) = -1.
    for s in range(4):
        ramp = cmath.exp(-2j * math.pi * (s - 2) * 5e6 * 25e-9)
        assert response[0, :, s] == pytest.approx([ramp, ramp, -ramp, -ramp], abs=1e-6)


def test_noise_has_the_requested_signal_to_noise_ratio():
    array, band = AntennaArray(1, 16), OfdmBand(3.5e9, 100e6, 256)
    paths = _paths(delay_s=[20e-9], power_db=[0.0], phase_rad=[0.0])
    clean = frequency_response(paths, array, band)
    noisy = frequency_response(paths, array, band, snr_db=10.0, rng=np.random.default_rng(5))
    noise_power = np.mean(np.abs(noisy - clean) ** 2)
    assert noise_power == pytest.approx(0.1, rel=0.05)  # signal power 1, 10 dB below


def test_angle_delay_of_one_path_peaks_at_its_angle_and_delay_bins():
    # 1 x 32 array, half wavelength: u_x = cos(60 deg) = 0.5 puts the peak at 32 * 0.5 * 0.5 = bin 8.
    # 100 MHz over 400 subcarriers: delay 120 ns is bin 100e6 * 120e-9 = 12.
    array, band = AntennaArray(1, 32), OfdmBand(3.5e9, 100e6, 400)
    paths = _paths(delay_s=[120e-9], power_db=[0.0], phase_rad=[1.0], aod_azimuth_rad=[math.radians(60.0)])
    image = angle_delay(frequency_response(paths, array, band), array, delay_bins=32)
    assert image.shape == (1, 32, 32) and image.dtype == np.float32
    assert np.unravel_index(np.argmax(image[0]), (32, 32)) == (8, 12)
    # All energy in one bin: |sum over 32 antennas| / 1 and the inverse DFT's 1/400 times 400 subcarriers.
    assert image[0, 8, 12] == pytest.approx(32.0, rel=1e-4)


def test_limits_are_checked():
    with pytest.raises(ValueError, match="at most 256"):
        AntennaArray(16, 17)
    with pytest.raises(ValueError, match="subcarriers"):
        OfdmBand(3.5e9, 100e6, 5000)
    with pytest.raises(ValueError, match="bandwidth"):
        OfdmBand(3.5e9, 2e9, 64)
    with pytest.raises(ValueError, match="delay bins"):
        angle_delay(np.zeros((1, 4, 8), np.complex64), AntennaArray(1, 4), 9)
