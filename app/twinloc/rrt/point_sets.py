"""Point sets from launched rays, each point carrying its path length from its base station.

2D: where the rays cross the horizontal plane at the UE's known height
(:class:`PlaneCrossings`). 3D: the rays discretised into points every ``spacing`` metres
(:class:`RayPoints`). Both answer the three questions the estimator and the fusion
algorithms ask: a uniform sample of the points, a random point of the length bin a
wanted length falls in (seed Algorithm 1, step 4), and how many points that bin holds.

A discretised bundle of 2,000 rays of 60 m at 5 cm holds millions of points; RayPoints
never builds them. With bins one spacing wide, bin j holds exactly the j-th point of
every ray that long, so picking a random point of the bin is picking a random such ray,
and a uniform point is a ray chosen in proportion to its point count and a uniform index.
"""

from __future__ import annotations

import numpy as np

from twinloc.rrt.launching import RayBundle

DEFAULT_SPACING_M = 0.05
DEFAULT_BIN_M = 0.05


class PlaneCrossings:
    """Crossings of rays with the plane z = height.

    points : (M, 2) float64, metres (x, y).
    lengths : (M,) float64, metres of path from the base station.
    bin_m : float, width of the length bins, metres.
    """

    dimension = 2

    def __init__(self, bundle: RayBundle, height_m: float, bin_m: float = DEFAULT_BIN_M) -> None:
        if bin_m <= 0.0:
            raise ValueError(f"bin_m must be > 0, got {bin_m}")
        dz = bundle.directions[..., 2]
        safe = np.where(dz != 0.0, dz, 1.0)
        t = (height_m - bundle.origins[..., 2]) / safe
        crossing = (dz != 0.0) & (t > 0.0) & (t <= bundle.lengths)
        ray, segment = np.nonzero(crossing)
        along = t[ray, segment]
        where = bundle.origins[ray, segment] + along[:, None] * bundle.directions[ray, segment]
        order = np.argsort(bundle.start_lengths[ray, segment] + along, kind="stable")
        self.points = where[order, :2]
        self.lengths = (bundle.start_lengths[ray, segment] + along)[order]
        self.bin_m = float(bin_m)
        self._bins = np.floor(self.lengths / self.bin_m).astype(np.int64)

    @property
    def count(self) -> int:
        return int(len(self.lengths))

    @property
    def max_bin_count(self) -> int:
        if self.count == 0:
            return 0
        return int(np.unique(self._bins, return_counts=True)[1].max())

    def sample(self, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``count`` points drawn uniformly with replacement: points (count, 2), lengths (count,)."""
        if self.count == 0:
            return np.zeros((0, 2)), np.zeros(0)
        chosen = rng.integers(0, self.count, size=count)
        return self.points[chosen], self.lengths[chosen]

    def bin_counts(self, lengths: np.ndarray) -> np.ndarray:
        """(K,) int: points in the length bin of each of ``lengths`` (K,) metres."""
        low, high = self._bin_range(lengths)
        return high - low

    def select_by_length(self, lengths: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A random point of the bin each wanted length falls in; empty bins give none."""
        low, high = self._bin_range(lengths)
        filled = high > low
        index = low[filled] + np.floor(rng.random(int(filled.sum())) * (high - low)[filled]).astype(np.int64)
        return self.points[index], self.lengths[index]

    def _bin_range(self, lengths) -> tuple[np.ndarray, np.ndarray]:
        wanted = np.floor(np.asarray(lengths, dtype=np.float64) / self.bin_m).astype(np.int64)
        return np.searchsorted(self._bins, wanted, side="left"), np.searchsorted(self._bins, wanted, side="right")


class RayPoints:
    """Rays discretised into points at lengths (j + 1/2) * spacing, j = 0, 1, ...

    Parameters
    ----------
    bundle : RayBundle
        The rays of one base station.
    spacing_m : float, default: 0.05
        Distance between consecutive points of a ray, metres; also the length bin width.
    """

    dimension = 3

    def __init__(self, bundle: RayBundle, spacing_m: float = DEFAULT_SPACING_M) -> None:
        if spacing_m <= 0.0:
            raise ValueError(f"spacing_m must be > 0, got {spacing_m}")
        self.bundle = bundle
        self.spacing_m = float(spacing_m)
        self.points_per_ray = np.floor(bundle.total_lengths / self.spacing_m).astype(np.int64)
        """(N,) int64: points on each ray."""
        self._cumulative = np.cumsum(self.points_per_ray)
        # Rays by decreasing point count: the rays reaching bin j are a prefix of this order.
        self._longest_first = np.argsort(-self.points_per_ray, kind="stable")
        self._sorted_counts = np.sort(self.points_per_ray)

    @property
    def count(self) -> int:
        return int(self._cumulative[-1]) if len(self._cumulative) else 0

    @property
    def max_bin_count(self) -> int:
        return int(np.count_nonzero(self.points_per_ray))

    def materialise(self) -> tuple[np.ndarray, np.ndarray]:
        """Every point: points (M, 3) metres and lengths (M,) metres (for display; can be large)."""
        ray = np.repeat(np.arange(len(self.points_per_ray)), self.points_per_ray)
        index = np.arange(self.count) - np.repeat(self._cumulative - self.points_per_ray, self.points_per_ray)
        return self._at(ray, index)

    def sample(self, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``count`` points drawn uniformly with replacement: points (count, 3), lengths (count,)."""
        if self.count == 0:
            return np.zeros((0, 3)), np.zeros(0)
        flat = rng.integers(0, self.count, size=count)
        ray = np.searchsorted(self._cumulative, flat, side="right")
        index = flat - (self._cumulative[ray] - self.points_per_ray[ray])
        return self._at(ray, index)

    def bin_counts(self, lengths: np.ndarray) -> np.ndarray:
        """(K,) int: points in the length bin of each of ``lengths`` (K,) metres."""
        wanted = np.floor(np.asarray(lengths, dtype=np.float64) / self.spacing_m)
        # A negative length is in no bin; clipping keeps the cast to integers defined.
        eligible = len(self._sorted_counts) - np.searchsorted(self._sorted_counts, np.clip(wanted, -1, 2**40), side="right")
        return np.where(wanted >= 0, eligible, 0)

    def select_by_length(self, lengths: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A random point of the bin each wanted length falls in; empty bins give none."""
        lengths = np.asarray(lengths, dtype=np.float64)
        eligible = self.bin_counts(lengths)
        filled = eligible > 0
        rank = np.floor(rng.random(int(filled.sum())) * eligible[filled]).astype(np.int64)
        ray = self._longest_first[rank]
        index = np.floor(lengths[filled] / self.spacing_m).astype(np.int64)
        return self._at(ray, index)

    def _at(self, ray: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        length = (index + 0.5) * self.spacing_m
        return self.bundle.points_at(ray, length), length
