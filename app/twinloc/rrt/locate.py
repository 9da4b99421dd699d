"""Reverse ray tracing: from one UE's measurements to a position estimate.

Rays are launched from every base station around its measured AoA (all directions
without one), turned into a point set (2D plane crossings or 3D discretised rays),
down-selected with the propagation time (Algorithm 1) or the relative propagation time
(Algorithm 2) when measured, fitted with a Gaussian mixture per station, and the estimate
is the maximum of the product of the mixtures.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.ray_threads import run_tasks
from twinloc.rrt.density import product_mode
from twinloc.rrt.fusion import select_by_propagation_time, select_by_relative_propagation_time
from twinloc.rrt.launching import RayBundle, launch_rays, sample_directions
from twinloc.rrt.measurement import Measurements
from twinloc.rrt.mixture import DEFAULT_MAX_COMPONENTS, fit_mixture
from twinloc.rrt.point_sets import DEFAULT_SPACING_M, PlaneCrossings, RayPoints

MODES = ("2d", "3d")
_MIN_FIT_POINTS = 20
_MAX_CANDIDATES = 4000

#: Most ray segments one estimate launches (stations x rays x (bounces + 1)). A segment keeps
#: its origin, direction and length and its share of the point sets, some 150 bytes: an
#: estimate at the limit stays near 300 MB.
MAX_RAY_SEGMENTS = 2_000_000


@dataclass(frozen=True)
class LocateSettings:
    """How the reverse ray tracing runs.

    rays : rays launched per base station.
    bounces : specular reflections per ray.
    mode : "3d", or "2d" at the UE's known height.
    spacing_m : distance between the points of a discretised ray (3D), and the width
        of the length bins of the fusion algorithms, metres.
    fit_points : points per base station the mixture is fitted to.
    max_components : bound on the components of each mixture.
    """

    rays: int = 2000
    bounces: int = 3
    mode: str = "3d"
    spacing_m: float = DEFAULT_SPACING_M
    fit_points: int = 2000
    max_components: int = DEFAULT_MAX_COMPONENTS

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.rays < 1 or self.bounces < 0 or self.fit_points < _MIN_FIT_POINTS or self.max_components < 1:
            raise ValueError("rays >= 1, bounces >= 0, fit_points >= 20 and max_components >= 1 are required")
        if not self.spacing_m > 0.0:
            raise ValueError(f"spacing_m must be > 0, got {self.spacing_m}")

    def check_ray_budget(self, stations: int) -> None:
        """Refuse, with a ValueError, launching more than MAX_RAY_SEGMENTS from ``stations`` stations."""
        segments = stations * self.rays * (self.bounces + 1)
        if segments > MAX_RAY_SEGMENTS:
            raise ValueError(
                f"{stations} base station(s) x {self.rays:,} rays x {self.bounces + 1} segments make {segments:,} "
                f"ray segments, more than the {MAX_RAY_SEGMENTS:,} one estimate may launch"
            )


@dataclass(frozen=True)
class PositionEstimate:
    """Where the UE most probably is.

    position : (3,) float64, metres (in 2D the known height is the z).
    covariance : (D, D) float64, square metres; Laplace approximation of the product
        density at its mode (D = 2 in 2D, 3 in 3D).
    stations_used : indices of the base stations whose mixtures entered the product.
    """

    position: np.ndarray
    covariance: np.ndarray
    stations_used: tuple[int, ...]

    @property
    def uncertainty_m(self) -> float:
        """RMS radius of the Laplace Gaussian, metres."""
        return float(np.sqrt(np.trace(self.covariance)))


@dataclass(frozen=True)
class LocateTrace:
    """What the reverse ray tracing went through on its way to an estimate (for display).

    estimate : PositionEstimate
    rays : RayBundle, every launched ray; ``rays.source`` is the station index.
    points : station index -> (M, D) float64 metres, the points its mixture was fitted to
        (D = 2 in 2D: x, y at the UE's height; 3 in 3D).
    mixtures : station index -> Mixture, for the stations in ``estimate.stations_used``.
    """

    estimate: PositionEstimate
    rays: RayBundle
    points: dict
    mixtures: dict


def locate(
    engine: RayEngine,
    stations,
    measurements: Measurements,
    settings: LocateSettings,
    rng: np.random.Generator,
    height_m: float | None = None,
) -> PositionEstimate:
    """Estimate the UE's position from ``measurements``; see :func:`trace_locate` for the parameters."""
    return trace_locate(engine, stations, measurements, settings, rng, height_m).estimate


def trace_locate(
    engine: RayEngine,
    stations,
    measurements: Measurements,
    settings: LocateSettings,
    rng: np.random.Generator,
    height_m: float | None = None,
) -> LocateTrace:
    """Estimate the UE's position from ``measurements``, keeping the rays, points and mixtures.

    Parameters
    ----------
    engine : RayEngine
    stations : (B, 3) float, base station positions, metres
    measurements : Measurements
    settings : LocateSettings
    rng : numpy.random.Generator
        Drives launching and point selection; the mixture fits are seeded from it too.
    height_m : float, optional
        The UE's known height, metres; required in 2D.

    Returns
    -------
    LocateTrace

    Raises
    ------
    ValueError
        When no base station measured anything usable, or the rays would exceed
        MAX_RAY_SEGMENTS (:meth:`LocateSettings.check_ray_budget`).
    """
    stations = np.asarray(stations, dtype=np.float64).reshape(-1, 3)
    settings.check_ray_budget(len(stations))
    if len(stations) != measurements.station_count:
        raise ValueError(f"{len(stations)} stations but measurements for {measurements.station_count}")
    if settings.mode == "2d" and height_m is None:
        raise ValueError("2D positioning needs the UE's height")
    in_rpt = np.zeros(len(stations), dtype=bool)
    in_rpt[measurements.rpt_pairs.ravel()] = True
    # A station without a time measurement and without an angle knows nothing.
    launching = np.flatnonzero(measurements.has_aoa | measurements.has_pt | in_rpt)
    if launching.size == 0:
        raise ValueError("no base station measured the UE")

    noise = measurements.noise
    directions = [
        sample_directions(
            measurements.aoa_deg[b] if measurements.has_aoa[b] else None, noise.aoa_sigma_deg, settings.rays, rng
        )
        for b in launching
    ]
    bundle = launch_rays(
        engine,
        np.repeat(stations[launching], settings.rays, axis=0),
        np.vstack(directions),
        settings.bounces,
        source=np.repeat(launching, settings.rays),
    )
    point_sets = {
        int(b): (
            RayPoints(bundle.of_source(b), settings.spacing_m)
            if settings.mode == "3d"
            else PlaneCrossings(bundle.of_source(b), height_m, settings.spacing_m)
        )
        for b in launching
    }
    selected = _select_points(point_sets, measurements, settings, rng)

    fit_seed = int(rng.integers(2**31 - 1))
    fitted = {b: points for b, points in selected.items() if len(points) >= _MIN_FIT_POINTS}
    if not fitted:
        raise ValueError("no base station kept enough points to fit a mixture")
    # The fits take most of an estimate's time; each is seeded alike, so running them side
    # by side on the ray threads gives the mixtures one thread would.
    mixtures = run_tasks(
        [functools.partial(fit_mixture, points, settings.max_components, seed=fit_seed) for points in fitted.values()],
        engine.threads,
    )
    used = list(fitted)
    candidates = np.vstack(list(fitted.values()))
    if len(candidates) > _MAX_CANDIDATES:
        candidates = candidates[rng.choice(len(candidates), _MAX_CANDIDATES, replace=False)]
    mode = product_mode(mixtures, candidates)
    position = mode.position if settings.mode == "3d" else np.array([*mode.position, height_m])
    estimate = PositionEstimate(position=position, covariance=mode.covariance, stations_used=tuple(used))
    return LocateTrace(
        estimate=estimate,
        rays=bundle,
        points={b: selected[b] for b in used},
        mixtures=dict(zip(used, mixtures)),
    )


def _select_points(point_sets: dict, measurements: Measurements, settings: LocateSettings, rng) -> dict[int, np.ndarray]:
    """The points each station's mixture is fitted to: (M, D) metres per station index."""
    noise = measurements.noise
    count = settings.fit_points
    if noise.rpt_sigma_m is not None and len(measurements.rpt_pairs):
        gathered: dict[int, list[np.ndarray]] = {b: [] for b in point_sets}
        partners = np.bincount(measurements.rpt_pairs.ravel(), minlength=measurements.station_count)
        for (i, j), difference in zip(measurements.rpt_pairs, measurements.rpt_m):
            # Each station takes part in several pairs; together they give it ``count`` points.
            per_pair = max(1, count // int(max(partners[i], partners[j])))
            (points_i, _), (points_j, _) = select_by_relative_propagation_time(
                point_sets[int(i)], point_sets[int(j)], float(difference), noise.rpt_sigma_m, per_pair, rng
            )
            gathered[int(i)].append(points_i)
            gathered[int(j)].append(points_j)
        return {b: np.vstack(parts) for b, parts in gathered.items() if parts}
    selected = {}
    for b, point_set in point_sets.items():
        if noise.pt_sigma_m is not None and measurements.has_pt[b]:
            selected[b] = select_by_propagation_time(point_set, measurements.pt_m[b], noise.pt_sigma_m, count, rng)[0]
        elif measurements.has_aoa[b]:
            selected[b] = point_set.sample(count, rng)[0]
    return selected
