"""Where anchors may go: the scene's mounting regions as a box of decision variables.

Every mounting region becomes a surface with a one-dimensional local coordinate laid end to
end with the others on one axis u (metres):

- a wall band (a polyline with ``is_polyline``) contributes its arc length; u picks the point
  at that distance along the polyline, at the band's height;
- a ceiling or floor polygon contributes the x-extent of its bounding box; u picks x and a
  second variable v in [0, 1] picks y across the bounding box; points outside the polygon
  are moved to the nearest point of its boundary.

So each anchor has one variable (u) when the space holds only bands and two (u, v) when it
holds a polygon (v is ignored for an anchor on a band), and the optimizer may move an anchor
from one surface to another. A surface's height is the middle of its ``z_range_m``; mounting
heights are not optimized.

The space also carries the minimum distance between anchors and the anchors kept fixed, and
:meth:`MountingSpace.repair` moves crowded anchors so that every layout it returns keeps
that distance from the others and from the fixed ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinloc.geometry.grid import points_in_polygon
from twinloc.geometry.scene import Scene

#: Rounds of resampling crowded anchors before a layout falls back to the spread-out one.
_RESAMPLE_ROUNDS = 40

#: Starting points tried by the greedy spread-out layout.
_GREEDY_STARTS = 16


@dataclass(frozen=True, eq=False)
class MountingSurface:
    """One mounting region.

    outline : (K, 2) float64, metres; the polyline of a band (K >= 2) or the polygon of an area.
    z_m : mounting height, metres.
    is_band : True for a wall band (polyline), False for an area (polygon).
    """

    name: str
    outline: np.ndarray
    z_m: float
    is_band: bool

    @property
    def width_m(self) -> float:
        """Length of this surface on the u axis: arc length of a band, x-extent of an area."""
        if self.is_band:
            return float(np.linalg.norm(np.diff(self.outline, axis=0), axis=1).sum())
        return float(np.ptp(self.outline[:, 0]))


class MountingSpace:
    """Decision vectors (P, D) of N anchors and the anchor positions they stand for.

    Parameters
    ----------
    surfaces : sequence of MountingSurface, at least one.
    anchor_count : int, N >= 1; anchors to place.
    min_distance_m : float, default: 0.0
        Least distance between any two anchors (placed or fixed), metres.
    fixed_anchors : (F, 3) array_like of float, metres, default: none
        Installed anchors that stay where they are.
    band_spacing_m, area_spacing_m : float, default: 0.25, 0.5
        Spacing of the sites (:attr:`sites`) along bands and across areas; the layout
        objective precomputes its link tables at these sites and interpolates between them.

    Raises
    ------
    ValueError
        No surfaces, a degenerate surface, or a minimum distance that N anchors cannot keep
        inside the surfaces (checked with a greedy spread-out layout, so a distance up to
        twice the greedy one may be refused although it barely fits).
    """

    def __init__(
        self,
        surfaces,
        anchor_count: int,
        min_distance_m: float = 0.0,
        fixed_anchors=None,
        band_spacing_m: float = 0.25,
        area_spacing_m: float = 0.5,
    ) -> None:
        self.surfaces = tuple(surfaces)
        if not self.surfaces:
            raise ValueError("there are no mounting regions to place anchors in")
        if anchor_count < 1:
            raise ValueError(f"at least one anchor must be placed, got {anchor_count}")
        if not (math.isfinite(min_distance_m) and min_distance_m >= 0.0):
            raise ValueError(f"the minimum distance must be >= 0 m, got {min_distance_m!r}")
        for surface in self.surfaces:
            if surface.width_m <= 0.0:
                raise ValueError(f"mounting region {surface.name!r} has no extent")
        self.anchor_count = int(anchor_count)
        self.min_distance_m = float(min_distance_m)
        self.fixed_anchors = np.zeros((0, 3)) if fixed_anchors is None else np.asarray(fixed_anchors, dtype=np.float64).reshape(-1, 3)
        widths = np.array([surface.width_m for surface in self.surfaces])
        self._starts = np.concatenate([[0.0], np.cumsum(widths)[:-1]])
        self._widths = widths
        self.variables_per_anchor = 1 if all(s.is_band for s in self.surfaces) else 2
        self._build_sites(band_spacing_m, area_spacing_m)
        self._fallback = self._spread_out_layout()

    @classmethod
    def from_scene(cls, scene: Scene, anchor_count: int, region_names=None, **options) -> MountingSpace:
        """The space of ``scene``'s mounting regions (all, or those named in ``region_names``).

        ``options`` are passed to the constructor. Raises ValueError for a scene without
        mounting regions or an unknown region name.
        """
        regions = scene.mounting_regions()
        if region_names is not None:
            wanted = list(region_names)
            known = {region.name for region in regions}
            unknown = [name for name in wanted if name not in known]
            if unknown:
                raise ValueError(f"unknown mounting region(s) {', '.join(map(repr, unknown))}; the scene has {', '.join(map(repr, sorted(known))) or 'none'}")
            regions = tuple(region for region in regions if region.name in wanted)
        if not regions:
            raise ValueError(f"scene {scene.name!r} has no mounting regions to place anchors in")
        surfaces = [
            MountingSurface(region.name, np.asarray(region.polygon, dtype=np.float64), 0.5 * (region.z_range_m[0] + region.z_range_m[1]), bool(region.is_polyline))
            for region in regions
        ]
        return cls(surfaces, anchor_count, **options)

    # -- the decision box -------------------------------------------------------------------

    @property
    def dimensions(self) -> int:
        """D = N x variables per anchor."""
        return self.anchor_count * self.variables_per_anchor

    @property
    def lower(self) -> np.ndarray:
        """(D,) float64: zeros."""
        return np.zeros(self.dimensions)

    @property
    def upper(self) -> np.ndarray:
        """(D,) float64: the total u length (metres) and 1 for v, per anchor."""
        per_anchor = [float(self._widths.sum())] + ([1.0] if self.variables_per_anchor == 2 else [])
        return np.tile(per_anchor, self.anchor_count)

    # -- decoding ---------------------------------------------------------------------------

    def positions(self, X) -> np.ndarray:
        """Anchor positions of decision vectors.

        X : (P, D) float64 -> (P, N, 3) float64, metres. Areas' points outside the polygon
        are moved to its boundary (as :meth:`repair` does).
        """
        surface, local, v = self._split(X)
        return self._place(surface, local, v)[0]

    def surface_index(self, X) -> np.ndarray:
        """(P, N) int64: index into :attr:`surfaces` of each anchor of X (P, D)."""
        return self._split(X)[0]

    def surface_names(self, x) -> list[str]:
        """The mounting region name of each anchor of one decision vector x (D,)."""
        return [self.surfaces[i].name for i in self.surface_index(np.asarray(x)[None])[0]]

    def site_weights(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Interpolation of each anchor between the precomputed :attr:`sites`.

        X : (P, D) float64. Returns index (P, N, J) int64 into ``sites`` and weight
        (P, N, J) float64 summing to 1 over J (J = 2 with bands only, 4 with areas: linear
        along a band, bilinear across an area; unused entries have weight 0).
        """
        surface, local, v = self._split(X)
        points = self._place(surface, local, v)[0]
        width = 2 if self.variables_per_anchor == 1 else 4
        index = np.zeros((*surface.shape, width), dtype=np.int64)
        weight = np.zeros((*surface.shape, width))
        for s, grid in enumerate(self._site_grids):
            on = surface == s
            if not on.any():
                continue
            if self.surfaces[s].is_band:
                k, frac = _bracket(grid["s"], local[on])
                index[on, 0], index[on, 1] = grid["offset"] + k, grid["offset"] + k + 1
                weight[on, 0], weight[on, 1] = 1.0 - frac, frac
            else:
                xs, ys = grid["x"], grid["y"]
                i, fx = _bracket(xs, points[on][:, 0])
                j, fy = _bracket(ys, points[on][:, 1])
                nx = xs.size
                corners = [(j, i), (j, i + 1), (j + 1, i), (j + 1, i + 1)]
                shares = [(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx]
                for c, ((row, col), share) in enumerate(zip(corners, shares)):
                    index[on, c] = grid["offset"] + row * nx + col
                    weight[on, c] = share
        return index, weight

    # -- feasibility ------------------------------------------------------------------------

    def repair(self, X, rng: np.random.Generator) -> np.ndarray:
        """Move a population into the feasible set.

        Clips to the box, moves area points into their polygon, then re-draws (uniformly
        over the whole space) every anchor closer than ``min_distance_m`` to an earlier
        anchor or a fixed one; rows still crowded after a few rounds become the
        spread-out layout. X : (P, D) float64 -> (P, D) float64; every row is feasible.
        """
        X = self._snap(np.clip(np.asarray(X, dtype=np.float64).reshape(-1, self.dimensions), self.lower, self.upper))
        if self.min_distance_m <= 0.0:
            return X
        per = self.variables_per_anchor
        for _ in range(_RESAMPLE_ROUNDS):
            crowded = self._crowded(self.positions(X))  # (P, N)
            if not crowded.any():
                return X
            columns = np.repeat(crowded, per, axis=1)
            fresh = self.lower + rng.random(X.shape) * (self.upper - self.lower)
            X = self._snap(np.where(columns, fresh, X))
        still = self._crowded(self.positions(X)).any(axis=1)
        X[still] = self._fallback
        return X

    def feasible(self, positions) -> np.ndarray:
        """(P,) bool: layouts (P, N, 3) metres that keep the minimum distance (fixed anchors included)."""
        return ~self._crowded(np.asarray(positions, dtype=np.float64)).any(axis=1)

    def decisions_of(self, points, bands_only: bool = False) -> np.ndarray:
        """The decision values of the mounting point nearest (in 3D) to each point.

        points : (K, 3) float64, metres. bands_only : consider only wall bands when the
        space has any. Returns (K, variables per anchor) float64; concatenate N rows of it
        (``.reshape(-1)``) to get a decision vector.
        """
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        candidates = [s for s, surface in enumerate(self.surfaces) if surface.is_band or not bands_only]
        if not candidates:
            candidates = list(range(len(self.surfaces)))
        best = np.full(len(points), np.inf)
        values = np.zeros((len(points), self.variables_per_anchor))
        for s in candidates:
            surface = self.surfaces[s]
            if surface.is_band:
                nearest, arc = _nearest_on_polyline(surface.outline, points[:, :2], closed=False)
                u, v = self._starts[s] + arc, np.zeros(len(points))
            else:
                nearest = _into_polygon(surface.outline, points[:, :2])
                low, high = surface.outline.min(axis=0), surface.outline.max(axis=0)
                u = self._starts[s] + nearest[:, 0] - low[0]
                v = (nearest[:, 1] - low[1]) / (high[1] - low[1])
            distance = np.hypot(np.linalg.norm(nearest - points[:, :2], axis=1), points[:, 2] - surface.z_m)
            closer = distance < best
            best[closer] = distance[closer]
            values[closer, 0] = u[closer]
            if self.variables_per_anchor == 2:
                values[closer, 1] = v[closer]
        return values

    def grid_decisions(self, spacing_m: float) -> np.ndarray:
        """Single-anchor placements on a mounting grid: (G, variables per anchor) float64.

        Every ``spacing_m`` along each band (from its start) and the nodes of a
        ``spacing_m`` grid inside each area; a point shared by two surfaces (a corner where
        two bands meet) appears once.
        """
        rows, seen = [], set()
        for s, surface in enumerate(self.surfaces):
            if surface.is_band:
                local = np.arange(0.0, surface.width_m + 1e-9, spacing_m)
                values = np.column_stack([self._starts[s] + local, np.zeros(local.size)])
            else:
                low, high = surface.outline.min(axis=0), surface.outline.max(axis=0)
                xx, yy = np.meshgrid(np.arange(low[0], high[0] + 1e-9, spacing_m), np.arange(low[1], high[1] + 1e-9, spacing_m))
                inside = _inside_or_on(surface.outline, np.column_stack([xx.ravel(), yy.ravel()]))
                values = np.column_stack([self._starts[s] + xx.ravel()[inside] - low[0], (yy.ravel()[inside] - low[1]) / (high[1] - low[1])])
            values = values[:, : self.variables_per_anchor]
            placed = self._place(*self._split(values, anchors=1))[0][:, 0]
            for value, point in zip(values, placed):
                key = tuple(np.round(point, 6))
                if key not in seen:
                    seen.add(key)
                    rows.append(value)
        return np.array(rows)

    # -- precomputed sites -------------------------------------------------------------------

    @property
    def sites(self) -> np.ndarray:
        """(K, 3) float64, metres: the points the layout objective precomputes links from."""
        return self._sites

    def _build_sites(self, band_spacing_m: float, area_spacing_m: float) -> None:
        grids, sites = [], []
        offset = 0
        for surface in self.surfaces:
            if surface.is_band:
                s = _nodes(0.0, surface.width_m, band_spacing_m)
                xy = _along_polyline(surface.outline, s)
                grids.append({"offset": offset, "s": s})
            else:
                low, high = surface.outline.min(axis=0), surface.outline.max(axis=0)
                xs, ys = _nodes(low[0], high[0], area_spacing_m), _nodes(low[1], high[1], area_spacing_m)
                xx, yy = np.meshgrid(xs, ys)
                xy = np.column_stack([xx.ravel(), yy.ravel()])
                grids.append({"offset": offset, "x": xs, "y": ys})
            sites.append(np.column_stack([xy, np.full(len(xy), surface.z_m)]))
            offset += len(xy)
        self._site_grids = grids
        self._sites = np.vstack(sites)

    # -- helpers ----------------------------------------------------------------------------

    def _split(self, X, anchors: int | None = None):
        """X (P, D) -> surface (P, N) int64, local u (P, N) metres, v (P, N) in [0, 1]."""
        count = self.anchor_count if anchors is None else anchors
        X = np.asarray(X, dtype=np.float64).reshape(-1, count, self.variables_per_anchor)
        u = np.clip(X[:, :, 0], 0.0, self._widths.sum())
        surface = np.clip(np.searchsorted(self._starts, u, side="right") - 1, 0, len(self.surfaces) - 1)
        local = np.clip(u - self._starts[surface], 0.0, self._widths[surface])
        v = np.clip(X[:, :, 1], 0.0, 1.0) if self.variables_per_anchor == 2 else np.zeros_like(u)
        return surface, local, v

    def _place(self, surface, local, v):
        """Positions (P, N, 3) and the matching (u, v) after moving area points into their polygon."""
        points = np.zeros((*surface.shape, 3))
        u_out = self._starts[surface] + local
        v_out = v.copy()
        for s, item in enumerate(self.surfaces):
            on = surface == s
            if not on.any():
                continue
            if item.is_band:
                points[on, :2] = _along_polyline(item.outline, local[on])
            else:
                low, high = item.outline.min(axis=0), item.outline.max(axis=0)
                xy = np.column_stack([low[0] + local[on], low[1] + v[on] * (high[1] - low[1])])
                xy = _into_polygon(item.outline, xy)
                points[on, :2] = xy
                u_out[on] = self._starts[s] + xy[:, 0] - low[0]
                v_out[on] = (xy[:, 1] - low[1]) / (high[1] - low[1])
            points[on, 2] = item.z_m
        return points, u_out, v_out

    def _snap(self, X) -> np.ndarray:
        """Decision vectors whose area points lie inside their polygons: (P, D) -> (P, D)."""
        if self.variables_per_anchor == 1:
            return X
        _, u, v = self._place(*self._split(X))
        return np.stack([u, v], axis=2).reshape(X.shape)

    def _crowded(self, positions) -> np.ndarray:
        """(P, N) bool: placed anchors closer than the minimum distance to a fixed or earlier anchor."""
        count = positions.shape[0]
        fixed = np.broadcast_to(self.fixed_anchors, (count, *self.fixed_anchors.shape))
        everyone = np.concatenate([fixed, positions], axis=1)
        distance = np.linalg.norm(everyone[:, :, None, :] - everyone[:, None, :, :], axis=3)
        first = len(self.fixed_anchors)
        earlier = np.tril(np.ones((everyone.shape[1],) * 2, dtype=bool), k=-1)[first:]  # (N, F+N)
        # A small tolerance so that a layout placed exactly at the distance counts as kept.
        return ((distance[:, first:, :] < self.min_distance_m - 1e-9) & earlier[None]).any(axis=2)

    def _spread_out_layout(self) -> np.ndarray:
        """(D,) float64: a greedy farthest-point layout over mounting grid points.

        Greedy farthest-point placement is tried from a few starting points; the first that
        keeps the minimum distance is used. Raises ValueError when none does.
        """
        values = self.grid_decisions(min(0.25, min(self._widths) / 4))
        candidates = self._place(*self._split(values, anchors=1))[0][:, 0]
        from_fixed = np.full(len(candidates), np.inf)
        for point in self.fixed_anchors:
            from_fixed = np.minimum(from_fixed, np.linalg.norm(candidates - point, axis=1))
        first_picks = np.unique(np.linspace(0, len(candidates) - 1, _GREEDY_STARTS).astype(np.int64))
        for first in first_picks:
            picks = self._greedy_from(candidates, from_fixed, int(first))
            if picks is not None:
                return values[picks].reshape(-1)
        raise ValueError(
            f"{self.anchor_count} anchors cannot be placed at least {self.min_distance_m:g} m apart"
            + (f" (and from {len(self.fixed_anchors)} fixed anchors)" if len(self.fixed_anchors) else "")
            + " in the mounting regions"
        )

    def _greedy_from(self, candidates, from_fixed, first: int) -> list[int] | None:
        """Candidate indices of N anchors picked farthest-first from ``first``, or None when crowded."""
        if from_fixed[first] < self.min_distance_m - 1e-9:
            return None
        picks = [first]
        nearest = np.minimum(from_fixed, np.linalg.norm(candidates - candidates[first], axis=1))
        while len(picks) < self.anchor_count:
            pick = int(np.argmax(nearest))
            if nearest[pick] < self.min_distance_m - 1e-9:
                return None
            picks.append(pick)
            nearest = np.minimum(nearest, np.linalg.norm(candidates - candidates[pick], axis=1))
        return picks


def _nodes(start: float, stop: float, spacing: float) -> np.ndarray:
    """Evenly spaced nodes from start to stop, both included, at most ``spacing`` apart."""
    count = max(1, math.ceil(round((stop - start) / spacing, 9)))
    return np.linspace(start, stop, count + 1)


def _bracket(nodes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left node index (clipped so index + 1 exists) and the fraction toward the next node."""
    k = np.clip(np.searchsorted(nodes, values, side="right") - 1, 0, nodes.size - 2)
    fraction = np.clip((values - nodes[k]) / (nodes[k + 1] - nodes[k]), 0.0, 1.0)
    return k, fraction


def _along_polyline(polyline: np.ndarray, arc: np.ndarray) -> np.ndarray:
    """(K,) arc lengths, metres -> (K, 2) points along the polyline (clamped to its ends)."""
    lengths = np.linalg.norm(np.diff(polyline, axis=0), axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    segment = np.clip(np.searchsorted(cumulative, arc, side="right") - 1, 0, len(lengths) - 1)
    fraction = np.clip((arc - cumulative[segment]) / np.where(lengths[segment] > 0, lengths[segment], 1.0), 0.0, 1.0)
    return polyline[segment] + fraction[:, None] * (polyline[segment + 1] - polyline[segment])


def _nearest_on_polyline(polyline: np.ndarray, points: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Nearest points (K, 2) on a polyline (closed: a polygon's boundary) and their arc lengths (K,)."""
    vertices = np.vstack([polyline, polyline[:1]]) if closed else polyline
    a, b = vertices[:-1], vertices[1:]
    edge = b - a
    lengths = np.linalg.norm(edge, axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    t = np.einsum("kse,se->ks", points[:, None, :] - a[None], edge) / np.maximum(lengths**2, 1e-300)
    t = np.clip(t, 0.0, 1.0)
    foot = a[None] + t[:, :, None] * edge[None]
    distance = np.linalg.norm(foot - points[:, None, :], axis=2)
    segment = np.argmin(distance, axis=1)
    rows = np.arange(len(points))
    return foot[rows, segment], cumulative[segment] + t[rows, segment] * lengths[segment]


def _inside_or_on(polygon: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(K,) bool: inside the polygon or within a micrometre of its boundary."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    nearest, _ = _nearest_on_polyline(polygon, points, closed=True)
    return points_in_polygon(points, polygon) | (np.linalg.norm(nearest - points, axis=1) < 1e-6)


def _into_polygon(polygon: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(K, 2) points moved to the nearest boundary point when they lie outside the polygon."""
    if len(points) == 0:
        return points
    outside = ~points_in_polygon(points, polygon)
    if not outside.any():
        return points
    moved = points.copy()
    moved[outside] = _nearest_on_polyline(polygon, points[outside], closed=True)[0]
    return moved
