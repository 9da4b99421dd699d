"""Channel state information synthesised from the twin's specular paths (seed 003's CSI).

A base station with an antenna array receives an OFDM signal from a point; its channel
frequency response is, per antenna n and subcarrier s,

    H[n, s] = sum over paths l of  a_l exp(j phi_l) exp(-j 2 pi f_s tau_l) v_n(u_l)

with a_l = 10^(power_db / 20) the path's amplitude, phi_l its phase at the carrier (propagation
included), tau_l its delay, f_s the subcarrier's offset from the centre frequency and v_n the
array's steering vector toward u_l, the direction in which the path leaves the base station.
The paths are traced from the base station to the points (the downlink); by reciprocity the
same direction is the uplink path's angle of arrival, so the radio map's AoD columns steer.

Array frame: the elements lie in the scene's x-z plane, ``columns`` along +x and ``rows``
along +z, ``spacing_wavelengths`` apart, so a 1 x N array is a uniform linear array along x
whose broadside is the y axis (base stations carry no facing direction in a scene).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinloc.radio.radiomap import MultipathFeatures

#: Most antennas (rows x columns) of an array.
MAX_ANTENNAS = 256
#: Most subcarriers of an OFDM band.
MAX_SUBCARRIERS = 4096
#: Widest OFDM band, Hz.
MAX_BANDWIDTH_HZ = 1.0e9
#: Most points whose responses are held at once inside frequency_response (bounds its memory).
CHUNK_POINTS = 1024


@dataclass(frozen=True)
class AntennaArray:
    """A planar array of ``rows`` x ``columns`` isotropic elements (see the module's frame).

    rows, columns : element counts, rows x columns from 1 to MAX_ANTENNAS.
    spacing_wavelengths : element spacing, wavelengths at the centre frequency, 0.05 to 10.
    """

    rows: int
    columns: int
    spacing_wavelengths: float = 0.5

    def __post_init__(self) -> None:
        for name in ("rows", "columns"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"antenna array {name} must be a positive integer, got {value!r}")
        if self.rows * self.columns > MAX_ANTENNAS:
            raise ValueError(f"antenna array has {self.rows * self.columns} elements; at most {MAX_ANTENNAS}")
        if not (math.isfinite(self.spacing_wavelengths) and 0.05 <= self.spacing_wavelengths <= 10.0):
            raise ValueError(f"antenna spacing must be 0.05 to 10 wavelengths, got {self.spacing_wavelengths!r}")

    @property
    def antennas(self) -> int:
        return self.rows * self.columns

    def steering(self, azimuth_rad, elevation_rad) -> np.ndarray:
        """Steering vectors, (..., antennas) complex128, toward the directions (azimuth from +x
        toward +y, elevation above the horizontal), element index row-major (row * columns + column).

        v_n(u) = exp(j 2 pi spacing (column_n u_x + row_n u_z)); a NaN direction gives NaN.
        """
        azimuth = np.asarray(azimuth_rad, dtype=np.float64)[..., None]
        elevation = np.asarray(elevation_rad, dtype=np.float64)[..., None]
        row, column = np.divmod(np.arange(self.antennas), self.columns)
        phase = self.spacing_wavelengths * (column * np.cos(elevation) * np.cos(azimuth) + row * np.sin(elevation))
        return np.exp(2j * np.pi * phase)


@dataclass(frozen=True)
class OfdmBand:
    """An OFDM band: ``subcarriers`` evenly spaced over ``bandwidth_hz`` around ``centre_hz``.

    centre_hz : carrier, Hz, above the bandwidth. bandwidth_hz : Hz, > 0 and at most
    MAX_BANDWIDTH_HZ. subcarriers : 1 to MAX_SUBCARRIERS. Subcarrier s (0-based) lies
    (s - subcarriers // 2) * bandwidth / subcarriers from the centre.
    """

    centre_hz: float
    bandwidth_hz: float
    subcarriers: int

    def __post_init__(self) -> None:
        if not (isinstance(self.subcarriers, int) and 1 <= self.subcarriers <= MAX_SUBCARRIERS):
            raise ValueError(f"subcarriers must be an integer from 1 to {MAX_SUBCARRIERS}, got {self.subcarriers!r}")
        if not (math.isfinite(self.bandwidth_hz) and 0.0 < self.bandwidth_hz <= MAX_BANDWIDTH_HZ):
            raise ValueError(f"bandwidth must be above 0 and at most {MAX_BANDWIDTH_HZ / 1e6:g} MHz, got {self.bandwidth_hz!r} Hz")
        if not (math.isfinite(self.centre_hz) and self.centre_hz > self.bandwidth_hz):
            raise ValueError(f"centre frequency must exceed the bandwidth, got {self.centre_hz!r} Hz")

    @property
    def offsets_hz(self) -> np.ndarray:
        """(subcarriers,) float64, each subcarrier's offset from the centre, Hz."""
        spacing = self.bandwidth_hz / self.subcarriers
        return (np.arange(self.subcarriers) - self.subcarriers // 2) * spacing

    @property
    def delay_resolution_s(self) -> float:
        """Width of one delay bin of :func:`angle_delay`, seconds (1 / bandwidth)."""
        return 1.0 / self.bandwidth_hz


def frequency_response(
    paths: MultipathFeatures,
    array: AntennaArray,
    band: OfdmBand,
    *,
    timing_offset_s=None,
    snr_db: float | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """The channel frequency response of P points, (P, antennas, subcarriers) complex64.

    Parameters
    ----------
    paths : MultipathFeatures whose arrays are (P, K): one transmitter's strongest paths; NaN
        slots (fewer paths) add nothing, a point with no path has H = 0.
    array : AntennaArray
    band : OfdmBand
    timing_offset_s : (P,) float, optional
        Timing-advance error of each sample, seconds: every path arrives that much later,
        a phase ramp exp(-j 2 pi f_s offset) across the subcarriers (seed 003).
    snr_db : float, optional
        Adds white complex Gaussian noise whose power per element is each sample's mean
        |H|^2 divided by 10^(snr_db / 10) (nothing is added to a sample with no path).
    rng : numpy Generator for the noise (default: seed 0).
    """
    delay = np.asarray(paths.delay_s, dtype=np.float64)
    count = delay.shape[0]
    shift = np.zeros(count) if timing_offset_s is None else np.asarray(timing_offset_s, dtype=np.float64).reshape(count)
    rng = rng or np.random.default_rng(0)
    out = np.empty((count, array.antennas, band.subcarriers), dtype=np.complex64)
    offsets = band.offsets_hz
    for start in range(0, count, CHUNK_POINTS):
        rows = slice(start, min(start + CHUNK_POINTS, count))
        present = np.isfinite(delay[rows])
        amplitude = np.where(present, 10.0 ** (np.nan_to_num(paths.power_db[rows], nan=-np.inf) / 20.0), 0.0)
        weight = amplitude * np.exp(1j * np.nan_to_num(paths.phase_rad[rows]))
        steer = array.steering(np.nan_to_num(paths.aod_azimuth_rad[rows]), np.nan_to_num(paths.aod_elevation_rad[rows]))
        arrival = np.nan_to_num(delay[rows]) + shift[rows, None]
        ramp = np.exp(-2j * np.pi * arrival[:, :, None] * offsets)  # (p, K, S)
        # Sum over paths as one batched matrix product: (p, A, K) @ (p, K, S).
        response = np.matmul((steer * weight[:, :, None]).transpose(0, 2, 1).astype(np.complex64), ramp.astype(np.complex64))
        if snr_db is not None:
            power = np.mean(np.abs(response) ** 2, axis=(1, 2), keepdims=True) / 10.0 ** (snr_db / 10.0)
            noise = rng.standard_normal((2,) + response.shape, dtype=np.float32)
            response += np.sqrt(power / 2.0).astype(np.float32) * (noise[0] + 1j * noise[1])
        out[rows] = response
    return out


def angle_delay(response: np.ndarray, array: AntennaArray, delay_bins: int) -> np.ndarray:
    """|2D DFT| of ``response`` (P, antennas, subcarriers): the angle-delay image, (P, antennas,
    delay_bins) float32.

    Angle: the forward DFT over the array's columns (and rows), numpy's bin order: a path with
    steering phase 2 pi spacing u_x per column peaks at bin round(columns * spacing * u_x) mod
    columns. Delay: the inverse DFT over subcarriers, bin m = delay * bandwidth (one bin per
    1 / bandwidth seconds), of which the first ``delay_bins`` (1 to subcarriers) are kept, as a
    point's paths arrive within a short span.
    """
    points, antennas, subcarriers = response.shape
    if antennas != array.antennas:
        raise ValueError(f"response has {antennas} antennas; the array has {array.antennas}")
    if not (isinstance(delay_bins, int) and 1 <= delay_bins <= subcarriers):
        raise ValueError(f"delay bins must be an integer from 1 to {subcarriers}, got {delay_bins!r}")
    grid = response.reshape(points, array.rows, array.columns, subcarriers)
    image = np.fft.ifft(np.fft.fft2(grid, axes=(1, 2)), axis=3)[..., :delay_bins]
    return np.abs(image).astype(np.float32).reshape(points, antennas, delay_bins)
