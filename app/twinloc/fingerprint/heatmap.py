"""The RMSE heat map: positioning RMSE of each reference point interpolated over the floor
by Gaussian radial basis functions (seed 002, Fig. 14).

How the seed's parameters map to scipy. The seed quotes "epsilon = 0.04 m, sigma = 0.01 m" for
a Gaussian RBF interpolation; those are the ``epsilon`` and ``smooth`` of the old
``scipy.interpolate.Rbf(function="gaussian")``, whose kernel is exp(-(r / epsilon)^2): there
epsilon is a *length*. :class:`scipy.interpolate.RBFInterpolator` (kernel="gaussian") uses
exp(-(epsilon r)^2): its epsilon is an *inverse length*. So

    RBFInterpolator epsilon [1/m] = 1 / (seed epsilon [m]) = 1 / 0.04 m = 25 per metre,
    RBFInterpolator smoothing     = seed sigma (Rbf's ``smooth``)   = 0.01.

With reference points 0.9 m apart, a 0.04 m Gaussian is a spike at each point and the map
between points falls to the polynomial trend. TwinLoc's default is therefore a Gaussian of
about the RP spacing, :data:`DEFAULT_EPSILON_PER_M` = 1 per metre; the seed's values are
:data:`SEED_002_EPSILON_PER_M` and :data:`SEED_002_SMOOTHING`. A constant (``degree=0``) is
fitted with the Gaussians, so far from every point the map reads the overall level rather
than zero. Interpolation can overshoot below zero; an RMSE cannot, so the map is clipped at 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_EPSILON_PER_M", "SEED_002_EPSILON_PER_M", "SEED_002_SMOOTHING", "rmse_heat_map"]

#: The seed's Gaussian length, metres, and its smoothing (see the module docstring).
SEED_002_EPSILON_M = 0.04
SEED_002_EPSILON_PER_M = 1.0 / SEED_002_EPSILON_M
SEED_002_SMOOTHING = 0.01
#: TwinLoc's default shape parameter: a Gaussian 1 m wide, about the seed's RP spacing.
DEFAULT_EPSILON_PER_M = 1.0
#: Above this many reference points, each grid point uses only its nearest NEIGHBOURS points
#: (the full system is points x points).
MAX_DENSE_POINTS = 2000
NEIGHBOURS = 64


def rmse_heat_map(
    points: np.ndarray,
    rmse: np.ndarray,
    grid_points: np.ndarray,
    epsilon_per_m: float = DEFAULT_EPSILON_PER_M,
    smoothing: float = SEED_002_SMOOTHING,
) -> np.ndarray:
    """(G,) metres: the RMSE interpolated at ``grid_points`` (G, 2).

    points : (N, 2) metres, the reference points (N >= 1, distinct).
    rmse : (N,) metres, each point's RMSE (:func:`~twinloc.fingerprint.evaluation.per_point_errors`).
    epsilon_per_m : the Gaussian's inverse length, 1/m (RBFInterpolator's ``epsilon``).
    smoothing : RBFInterpolator's ``smoothing``, 0 interpolates exactly.
    """
    from scipy.interpolate import RBFInterpolator

    points = np.asarray(points, dtype=np.float64)[:, :2]
    rmse = np.asarray(rmse, dtype=np.float64)
    if len(points) == 0 or len(points) != len(rmse):
        raise ValueError(f"{len(points)} reference points and {len(rmse)} RMSE values; need as many, at least one")
    if not (np.isfinite(epsilon_per_m) and epsilon_per_m > 0 and np.isfinite(smoothing) and smoothing >= 0):
        raise ValueError(f"epsilon must be > 0 per metre and smoothing >= 0, got {epsilon_per_m!r} and {smoothing!r}")
    neighbours = NEIGHBOURS if len(points) > MAX_DENSE_POINTS else None
    interpolator = RBFInterpolator(points, rmse, kernel="gaussian", epsilon=epsilon_per_m, smoothing=smoothing,
                                   degree=0, neighbors=neighbours)
    grid_points = np.asarray(grid_points, dtype=np.float64)[:, :2]
    return np.maximum(interpolator(grid_points), 0.0) if len(grid_points) else np.zeros(0)
