"""What the base stations measure of a UE's uplink signal, with Gaussian noise.

Each base station measures its strongest path (line of sight when clear, otherwise the
shortest reflected path; see :meth:`PathFinder.strongest`): the angle of arrival with
noise of ``aoa_sigma_deg`` on azimuth and on elevation, optionally the propagation time
as a length with noise ``pt_sigma_m``, or the relative propagation time (TDoA as a length
difference) of every pair of base stations with noise ``rpt_sigma_m``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from twinloc.rrt.paths import Path


@dataclass(frozen=True)
class NoiseModel:
    """Standard deviations of the measurement errors.

    aoa_sigma_deg : degrees, on azimuth and elevation alike.
    pt_sigma_m : metres of path length; None: no propagation time is measured.
    rpt_sigma_m : metres of path length difference; None: no relative propagation time.
    """

    aoa_sigma_deg: float
    pt_sigma_m: float | None = None
    rpt_sigma_m: float | None = None

    def __post_init__(self) -> None:
        if self.pt_sigma_m is not None and self.rpt_sigma_m is not None:
            raise ValueError("measure either the propagation time or the relative propagation time, not both")
        for name in ("aoa_sigma_deg", "pt_sigma_m", "rpt_sigma_m"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value >= 0.0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")


@dataclass(frozen=True)
class Measurements:
    """One UE's measurements at B base stations.

    aoa_deg : (B, 2) float64, measured (azimuth, elevation) in degrees; NaN where the
        station measured no angle.
    pt_m : (B,) float64, measured path length in metres; NaN where not measured.
    rpt_pairs : (R, 2) int64, station pairs (i, j) with a relative propagation time.
    rpt_m : (R,) float64, measured length difference L_i - L_j in metres.
    noise : the error statistics the estimator assumes.
    """

    aoa_deg: np.ndarray
    pt_m: np.ndarray
    rpt_pairs: np.ndarray
    rpt_m: np.ndarray
    noise: NoiseModel

    @property
    def station_count(self) -> int:
        return int(len(self.aoa_deg))

    @property
    def has_aoa(self) -> np.ndarray:
        """(B,) bool"""
        return np.all(np.isfinite(self.aoa_deg), axis=1)

    @property
    def has_pt(self) -> np.ndarray:
        """(B,) bool"""
        return np.isfinite(self.pt_m)


def measure(paths: Sequence[Path | None], noise: NoiseModel, rng: np.random.Generator) -> Measurements:
    """Noisy measurements of the strongest path at each base station.

    Parameters
    ----------
    paths : B paths or None
        Each station's strongest path from the UE; None: the station hears nothing and
        measures nothing.
    noise : NoiseModel
    rng : numpy.random.Generator
        Draws, in order, the AoA errors (B, 2), then the PT errors (B,) or the RPT errors (R,).

    Returns
    -------
    Measurements
    """
    count = len(paths)
    heard = np.array([p is not None for p in paths], dtype=bool)
    true_aoa = np.array([p.aoa_deg if p is not None else (np.nan, np.nan) for p in paths], dtype=np.float64).reshape(count, 2)
    true_length = np.array([p.length_m if p is not None else np.nan for p in paths], dtype=np.float64)
    aoa = true_aoa + noise.aoa_sigma_deg * rng.standard_normal((count, 2))
    aoa[:, 0] = (aoa[:, 0] + 180.0) % 360.0 - 180.0
    pt = np.full(count, np.nan)
    pairs = np.zeros((0, 2), dtype=np.int64)
    rpt = np.zeros(0)
    if noise.pt_sigma_m is not None:
        pt = true_length + noise.pt_sigma_m * rng.standard_normal(count)
    if noise.rpt_sigma_m is not None:
        pairs = np.array(list(combinations(np.flatnonzero(heard), 2)), dtype=np.int64).reshape(-1, 2)
        rpt = true_length[pairs[:, 0]] - true_length[pairs[:, 1]] + noise.rpt_sigma_m * rng.standard_normal(len(pairs))
    return Measurements(aoa_deg=aoa, pt_m=pt, rpt_pairs=pairs, rpt_m=rpt, noise=noise)
