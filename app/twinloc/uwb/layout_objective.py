"""The anchor-layout objective: summed positioning error of many layouts in one batch.

Tracing every link of every candidate layout in every optimizer iteration is far too slow
(50 layouts x 3 anchors x thousands of cells per iteration). The links are traced once, from
a dense set of candidate anchor *sites* (every few decimetres along the mounting regions) to
every objective cell; a layout's anchors then take their excess path by interpolating
between the sites around them (linear along a wall band, bilinear across a ceiling), their
line-of-sight and blocked flags from the nearest site, and their true distance exactly. The
least-squares fixes of all layouts and cells are solved as one batch of small normal
systems, which reproduces :func:`twinloc.uwb.multilateration.locate` (same reference anchor,
the first usable one; same degeneracy test) without grouping by usable-anchor mask.

The objective is the weighted sum of the per-cell error over the evaluation regions (seed
004, Eqs. 19-21) on the objective grid, scaled by the cell-area ratio so that it estimates
the sum over the reporting grid (a 0.2 m objective grid has a quarter of the cells of the
0.1 m map). Unlike :meth:`~twinloc.uwb.error_map.ErrorMap.summary`, a cell without a fix is
charged ``degenerate_error_m``: otherwise three collinear anchors, which fix nothing, would
score a perfect zero. Gauss-Newton refinement and Monte Carlo noise are not modelled: the
objective is the deterministic map of the linearised solution.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn
from twinloc.geometry.grid import points_in_polygon
from twinloc.geometry.scene import Scene
from twinloc.model.analysis import ErrorMapSettings
from twinloc.uwb.multilateration import minimum_anchors
from twinloc.uwb.ranging import trace_links

#: Same threshold as :mod:`twinloc.uwb.multilateration`: reciprocal condition number below
#: which the normal matrix counts as degenerate.
_MAX_CONDITION = 1e9

#: Sites traced per call of the ray engine, between progress reports and cancel checks.
_SITES_PER_CHUNK = 16

#: Layouts are scored in batches of at most this many anchor-cell pairs (layouts x anchors x
#: cells): the solve keeps some twenty arrays of that size, about 300 MB at the limit, however
#: large the population.
_PAIRS_PER_BATCH = 2_000_000


@dataclass(frozen=True, eq=False)
class LayoutScores:
    """Scores of P layouts.

    sum_error_m : (P,) float64, metres; weighted summed error (reporting-grid scale).
    main_excess_m : (P,) float64, metres; weighted sum over main-area cells of the error
        above the threshold (same scale; 0 without a threshold).
    main_violations : (P,) int64; main-area cells of the objective grid above the threshold
        or without a fix.
    degenerate_cells : (P,) int64; objective cells without a fix.
    """

    sum_error_m: np.ndarray
    main_excess_m: np.ndarray
    main_violations: np.ndarray
    degenerate_cells: np.ndarray


def cell_weights(scene: Scene, points) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell weight and main-area flag from the scene's evaluation regions.

    points : (M, 3) or (M, 2) float64, metres. Returns weights (M,) float64 (the largest
    weight of the regions holding the cell; 1 for a scene without evaluation regions or a
    cell in none) and main (M,) bool (the cell lies in a region marked main area).
    """
    points = np.asarray(points, dtype=np.float64)[:, :2]
    regions = [region for region in scene.evaluation_regions() if not region.is_polyline]
    weights = np.ones(len(points)) if not regions else np.full(len(points), -1.0)
    main = np.zeros(len(points), dtype=bool)
    for region in regions:
        inside = points_in_polygon(points, region.polygon)
        weights[inside] = np.maximum(weights[inside], region.weight)
        main |= inside & region.main_area
    return np.where(weights < 0, 1.0, weights), main


def weighted_sum_error(error_map, scene: Scene) -> float:
    """Weighted summed error (metres) of an ErrorMap over its cells with a fix."""
    weights, _ = cell_weights(scene, error_map.grid.points)
    return float(np.sum(np.where(error_map.degenerate, 0.0, weights * error_map.cell_error)))


class LayoutObjective:
    """Precomputed links from candidate sites to the objective cells, and batched scoring.

    Parameters
    ----------
    engine : RayEngine of ``scene``.
    scene : Scene; materials give excess paths, evaluation regions weights and main areas.
    grid : FloorGrid; the objective cells (coarser than the reported map is fine).
    sites : (K, 3) float64, metres; candidate anchor positions links are traced from.
    settings : ErrorMapSettings; dimensions, ranging biases and ``physics_only`` are used.
    fixed_anchors : (F, 3) float64, metres, default: none; anchors present in every layout.
    reference_resolution_m : float or None; the sums are scaled to cells of this size
        (default: the grid's own).
    main_threshold_m : float or None; error allowed in main-area cells (None: no constraint).
    degenerate_error_m : float or None; error charged for a cell without a fix (default:
        the diagonal of the grid's extent).
    progress, cancel : reported and checked while the sites are traced.
    """

    def __init__(
        self,
        engine,
        scene: Scene,
        grid,
        sites,
        settings: ErrorMapSettings = ErrorMapSettings(),
        fixed_anchors=None,
        reference_resolution_m: float | None = None,
        main_threshold_m: float | None = None,
        degenerate_error_m: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        report = progress or (lambda fraction, text: None)
        self.settings = settings
        self.points = grid.points
        self.weights, self.main = cell_weights(scene, self.points)
        reference = grid.resolution_m if reference_resolution_m is None else float(reference_resolution_m)
        self.cell_scale = (grid.resolution_m / reference) ** 2
        self.main_threshold_m = main_threshold_m
        extent = np.ptp(self.points[:, :2], axis=0) if len(self.points) else np.zeros(2)
        self.degenerate_error_m = float(np.hypot(*extent)) if degenerate_error_m is None else float(degenerate_error_m)
        self.sites = np.asarray(sites, dtype=np.float64).reshape(-1, 3)
        incidence = settings.ranging.incidence_correction
        excess, los, blocked = [], [], []
        for start in range(0, len(self.sites), _SITES_PER_CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            links = trace_links(engine, scene, self.sites[start : start + _SITES_PER_CHUNK], self.points, incidence_correction=incidence)
            excess.append(links.excess_m.T.astype(np.float32))
            los.append(links.los.T)
            blocked.append(links.blocked.T)
            report(min(1.0, (start + _SITES_PER_CHUNK) / len(self.sites)), f"Tracing links from {len(self.sites)} mounting sites")
        # (K, M): one row per site, so a layout's anchors gather rows.
        self.site_excess_m = np.concatenate(excess) if excess else np.zeros((0, len(self.points)), np.float32)
        self.site_los = np.concatenate(los) if los else np.zeros((0, len(self.points)), bool)
        self.site_blocked = np.concatenate(blocked) if blocked else np.zeros((0, len(self.points)), bool)
        self.fixed_anchors = np.zeros((0, 3)) if fixed_anchors is None else np.asarray(fixed_anchors, dtype=np.float64).reshape(-1, 3)
        fixed_links = trace_links(engine, scene, self.fixed_anchors, self.points, incidence_correction=incidence) if len(self.fixed_anchors) else None
        self._fixed = (
            (fixed_links.excess_m.T, fixed_links.los.T, fixed_links.blocked.T)
            if fixed_links is not None
            else (np.zeros((0, len(self.points))), np.zeros((0, len(self.points)), bool), np.zeros((0, len(self.points)), bool))
        )

    def evaluate(self, positions, site_index, site_weight) -> LayoutScores:
        """Score P layouts of N placed anchors (the fixed anchors are added to each).

        positions : (P, N, 3) float64, metres.
        site_index : (P, N, J) int64 into ``sites``; site_weight : (P, N, J) float64,
            interpolation weights summing to 1 over J.
        """
        positions = np.asarray(positions, dtype=np.float64)
        site_index = np.asarray(site_index)
        weight = np.asarray(site_weight, dtype=np.float64)
        count, placed, per_anchor = site_index.shape
        pairs = (placed * per_anchor + len(self.fixed_anchors)) * max(len(self.points), 1)
        batch = max(1, _PAIRS_PER_BATCH // pairs)
        if count <= batch:
            return self._evaluate_batch(positions, site_index, weight)
        parts = [self._evaluate_batch(positions[start : start + batch], site_index[start : start + batch],
                                      weight[start : start + batch]) for start in range(0, count, batch)]
        return LayoutScores(*(np.concatenate([getattr(part, field.name) for part in parts]) for field in fields(LayoutScores)))

    def _evaluate_batch(self, positions, site_index, weight) -> LayoutScores:
        count = positions.shape[0]
        excess = np.einsum("pnj,pnjm->pnm", weight, self.site_excess_m[site_index], optimize=True)
        nearest = np.take_along_axis(site_index, np.argmax(weight, axis=2)[:, :, None], axis=2)[:, :, 0]
        los, blocked = self.site_los[nearest], self.site_blocked[nearest]
        fixed_excess, fixed_los, fixed_blocked = self._fixed
        if len(self.fixed_anchors):
            positions = np.concatenate([np.broadcast_to(self.fixed_anchors, (count, *self.fixed_anchors.shape)), positions], axis=1)
            excess = np.concatenate([np.broadcast_to(fixed_excess, (count, *fixed_excess.shape)), excess], axis=1)
            los = np.concatenate([np.broadcast_to(fixed_los, (count, *fixed_los.shape)), los], axis=1)
            blocked = np.concatenate([np.broadcast_to(fixed_blocked, (count, *fixed_blocked.shape)), blocked], axis=1)
        error, degenerate = self._errors(positions, excess, los, blocked)
        return self._score(error, degenerate)

    def _errors(self, anchors, excess, los, blocked) -> tuple[np.ndarray, np.ndarray]:
        """Horizontal error (P, M) metres and degenerate (P, M) bool of layouts (P, A, 3)."""
        settings = self.settings
        points = self.points
        dimensions = settings.dimensions
        dx, dy, dz = (points[None, None, :, k] - anchors[:, :, k, None] for k in range(3))  # (P, A, M) each
        ranges = np.sqrt(dx * dx + dy * dy + dz * dz) + excess
        if not settings.physics_only:
            ranges = ranges + np.where(los, settings.ranging.los_mean_m, settings.ranging.nlos_mean_m)
        if not blocked.any():
            return self._errors_all_usable(anchors, ranges, dz)
        usable = ~blocked
        if dimensions == 2:
            squared = ranges**2 - dz**2  # rho^2 = r^2 - dz^2, as locate does
            coordinates = anchors[:, :, :2]
        else:
            squared = ranges**2
            coordinates = anchors
        # Reference = the first usable anchor of each cell, as locate takes coordinates[mask][0].
        reference = np.argmax(usable, axis=1)  # (P, M)
        ref_coordinates = np.take_along_axis(coordinates[:, :, None, :], reference[:, None, :, None], axis=1)[:, 0]  # (P, M, D)
        ref_squared = np.take_along_axis(squared, reference[:, None, :], axis=1)[:, 0]  # (P, M)
        design = 2.0 * (coordinates[:, :, None, :] - ref_coordinates[:, None, :, :])  # (P, A, M, D)
        norms = np.sum(coordinates**2, axis=2)  # (P, A)
        rhs = ref_squared[:, None, :] - squared + norms[:, :, None] - np.sum(ref_coordinates**2, axis=2)[:, None, :]
        mask = usable.astype(np.float64)
        design = design * mask[..., None]
        normal = np.einsum("pamd,pame->pmde", design, design)
        right = np.einsum("pamd,pam->pmd", design, np.where(usable, rhs, 0.0))
        degenerate = usable.sum(axis=1) < minimum_anchors(dimensions)
        if dimensions == 2:
            a, b, d = normal[..., 0, 0], normal[..., 0, 1], normal[..., 1, 1]
            half_trace = 0.5 * (a + d)
            root = np.sqrt(np.maximum(half_trace**2 - (a * d - b * b), 0.0))
            large, small = half_trace + root, half_trace - root
            degenerate |= ~(small * _MAX_CONDITION > large) | (large <= 0)
            determinant = np.where(degenerate, 1.0, a * d - b * b)
            x = (d * right[..., 0] - b * right[..., 1]) / determinant
            y = (a * right[..., 1] - b * right[..., 0]) / determinant
            solution = np.stack([x, y], axis=-1)
        else:
            eigen = np.linalg.eigvalsh(normal)
            degenerate |= ~(eigen[..., 0] * _MAX_CONDITION > eigen[..., -1]) | (eigen[..., -1] <= 0)
            safe = np.where(degenerate[..., None, None], np.eye(3), normal)
            solution = np.linalg.solve(safe, right[..., None])[..., 0]
        error = np.linalg.norm(solution[..., :2] - points[None, :, :2], axis=2)
        return np.where(degenerate, 0.0, error), degenerate

    def _errors_all_usable(self, anchors, ranges, dz) -> tuple[np.ndarray, np.ndarray]:
        """The common case of no blocked link: every cell of a layout shares one normal matrix.

        anchors (P, A, 3), ranges (P, A, M) and dz (P, A, M) metres -> error (P, M), degenerate (P, M).
        """
        dimensions = self.settings.dimensions
        points = self.points
        count, anchor_count, cells = ranges.shape
        if anchor_count < minimum_anchors(dimensions):
            return np.zeros((count, cells)), np.ones((count, cells), dtype=bool)
        if dimensions == 2:
            squared = ranges**2 - dz**2
            coordinates = anchors[:, :, :2]
        else:
            squared = ranges**2
            coordinates = anchors
        design = 2.0 * (coordinates[:, 1:] - coordinates[:, :1])  # (P, A-1, D), the same for every cell
        normal = np.einsum("pad,pae->pde", design, design)
        eigen = np.linalg.eigvalsh(normal)
        degenerate = ~(eigen[:, 0] * _MAX_CONDITION > eigen[:, -1]) | (eigen[:, -1] <= 0)
        offsets = np.sum(coordinates[:, 1:] ** 2, axis=2) - np.sum(coordinates[:, :1] ** 2, axis=2)  # (P, A-1)
        rhs = squared[:, :1] - squared[:, 1:] + offsets[:, :, None]  # (P, A-1, M)
        safe = np.where(degenerate[:, None, None], np.eye(dimensions), normal)
        projector = np.linalg.solve(safe, np.swapaxes(design, 1, 2))  # (P, D, A-1)
        solution = projector @ rhs  # (P, D, M)
        error = np.hypot(solution[:, 0] - points[None, :, 0], solution[:, 1] - points[None, :, 1])
        degenerate = np.broadcast_to(degenerate[:, None], error.shape)
        return np.where(degenerate, 0.0, error), degenerate

    def _score(self, error, degenerate) -> LayoutScores:
        charged = np.where(degenerate, self.degenerate_error_m, error)
        total = (charged @ self.weights) * self.cell_scale
        if self.main_threshold_m is None:
            excess = np.zeros(len(error))
            violations = np.zeros(len(error), dtype=np.int64)
        else:
            above = np.maximum(charged - self.main_threshold_m, 0.0) * self.main
            excess = (above @ self.weights) * self.cell_scale
            violations = (((charged > self.main_threshold_m) | degenerate) & self.main).sum(axis=1)
        return LayoutScores(
            sum_error_m=total,
            main_excess_m=excess,
            main_violations=violations.astype(np.int64),
            degenerate_cells=degenerate.sum(axis=1).astype(np.int64),
        )
