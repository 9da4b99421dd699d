"""Monte Carlo ray launching from base stations with specular bounces.

Each bounce is one batched ``first_hit`` for every ray still travelling, whatever base
station it came from; a ray reflects as d' = d - 2 (d . n) n off the face it met.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinloc.geometry.ray_engine import RayEngine
from twinloc.rrt.paths import LEG_OFFSET_M, angles_to_directions

MISS_LENGTH_M = 1000.0
"""A ray that leaves the scene (an open model) travels this far on its last segment."""


@dataclass(frozen=True)
class RayBundle:
    """Launched rays as straight segments between bounces.

    origins : (N, S, 3) float64, metres; segment s of ray n starts at ``origins[n, s]``.
    directions : (N, S, 3) float64, unit.
    lengths : (N, S) float64, metres; zero for the segments a ray never had (it missed
        the scene earlier).
    start_lengths : (N, S) float64, metres of path from the launch point to each
        segment's start.
    source : (N,) int64, the launching base station of each ray.
    """

    origins: np.ndarray
    directions: np.ndarray
    lengths: np.ndarray
    start_lengths: np.ndarray
    source: np.ndarray

    @property
    def total_lengths(self) -> np.ndarray:
        """(N,) float64, metres: each ray's whole length."""
        return self.lengths.sum(axis=1)

    @property
    def segment_count(self) -> int:
        """Segments actually travelled (the launching work done)."""
        return int(np.count_nonzero(self.lengths))

    def of_source(self, source: int) -> RayBundle:
        """The rays launched by base station ``source``."""
        keep = self.source == source
        return RayBundle(
            self.origins[keep], self.directions[keep], self.lengths[keep], self.start_lengths[keep], self.source[keep]
        )

    def points_at(self, ray: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Points (M, 3), metres, at path ``length`` (M,) metres along rays ``ray`` (M,) int.

        Lengths beyond a ray's end give the point at its end.
        """
        starts = self.start_lengths[ray]
        # Zero-length segments only trail a ray that missed the scene; they are never entered.
        segment = np.sum((starts <= length[:, None]) & (self.lengths[ray] > 0.0), axis=1) - 1
        segment = np.clip(segment, 0, self.lengths.shape[1] - 1)
        travelled = np.minimum(length - starts[np.arange(len(ray)), segment], self.lengths[ray, segment])
        return self.origins[ray, segment] + travelled[:, None] * self.directions[ray, segment]


def launch_rays(engine: RayEngine, origins, directions, bounces: int, source=None) -> RayBundle:
    """Trace rays with up to ``bounces`` specular reflections each.

    Parameters
    ----------
    engine : RayEngine
    origins : (N, 3) float, metres
    directions : (N, 3) float, any non-zero length
    bounces : int
        Reflections per ray; every ray has ``bounces + 1`` segments unless it misses the scene.
    source : (N,) int, optional
        The base station of each ray, kept in the bundle. Default: all 0.

    Returns
    -------
    RayBundle
    """
    if bounces < 0:
        raise ValueError(f"bounces must be >= 0, got {bounces}")
    position = np.array(origins, dtype=np.float64).reshape(-1, 3)
    direction = np.array(directions, dtype=np.float64).reshape(-1, 3)
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    count, segments = len(position), bounces + 1
    bundle_origins = np.zeros((count, segments, 3))
    bundle_directions = np.zeros((count, segments, 3))
    lengths = np.zeros((count, segments))
    active = np.arange(count)
    for segment in range(segments):
        if active.size == 0:
            break
        start, unit = position[active], direction[active]
        bundle_origins[active, segment] = start
        bundle_directions[active, segment] = unit
        # Reflected rays start a little off the face they left; the offset counts in the length.
        lead = LEG_OFFSET_M if segment else 0.0
        hits = engine.first_hit(start + lead * unit, unit)
        lengths[active, segment] = np.where(hits.hit, hits.distance + lead, MISS_LENGTH_M)
        active, hits_normal, travelled = active[hits.hit], hits.normal[hits.hit], hits.distance[hits.hit] + lead
        unit = direction[active]
        position[active] = position[active] + travelled[:, None] * unit
        direction[active] = unit - 2.0 * np.einsum("ij,ij->i", unit, hits_normal)[:, None] * hits_normal
    start_lengths = np.concatenate([np.zeros((count, 1)), np.cumsum(lengths, axis=1)[:, :-1]], axis=1)
    source = np.zeros(count, dtype=np.int64) if source is None else np.asarray(source, dtype=np.int64).reshape(count)
    return RayBundle(bundle_origins, bundle_directions, lengths, start_lengths, source)


def sample_directions(aoa_deg, sigma_deg: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """Launch directions (count, 3) drawn from the AoA posterior, or uniform without an AoA.

    Parameters
    ----------
    aoa_deg : (2,) float or None
        Measured (azimuth, elevation), degrees. None: directions uniform on the sphere.
    sigma_deg : float
        Standard deviation of the Gaussian AoA error on azimuth and elevation, degrees.
    count : int
    rng : numpy.random.Generator
    """
    if aoa_deg is None:
        vectors = rng.standard_normal((count, 3))
        return vectors / np.linalg.norm(vectors, axis=1)[:, None]
    azimuth, elevation = np.radians(np.asarray(aoa_deg, dtype=np.float64))
    noise = np.radians(sigma_deg) * rng.standard_normal((count, 2))
    return angles_to_directions(azimuth + noise[:, 0], elevation + noise[:, 1])
