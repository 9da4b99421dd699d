"""Least-squares multilateration from ranges, vectorised over many tag positions.

The linearised solution subtracts a reference anchor's range equation from the others and
solves the normal equations (seed 004, Eqs. 1-11); an optional Gauss-Newton refinement then
minimises the range residuals themselves. 2D mode solves for (x, y) with the tag height
known (at least 3 anchors); 3D mode solves for (x, y, z) (at least 4 anchors).

Anchors that a link cannot use (blocked by metal, disabled) are marked per tag in a
``usable`` mask; tags are grouped by their mask so each distinct anchor subset is solved as
one batched linear system.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Below this reciprocal condition number the anchor geometry is treated as degenerate
#: (collinear anchors in 2D, coplanar anchors in 3D).
_MIN_RECIPROCAL_CONDITION = 1e-9


@dataclass(frozen=True)
class Fix:
    """Positions solved from ranges.

    position : (M, D) float64, metres; D = 2 (x, y) or 3 (x, y, z). Zero where degenerate.
    degenerate : (M,) bool; too few usable anchors or an ill-conditioned anchor geometry.
    """

    position: np.ndarray
    degenerate: np.ndarray


def minimum_anchors(dimensions: int) -> int:
    """Anchors needed for a fix: 3 in 2D (known tag height), 4 in 3D."""
    return 3 if dimensions == 2 else 4


def locate(
    anchors: np.ndarray,
    ranges: np.ndarray,
    usable: np.ndarray | None = None,
    *,
    dimensions: int = 2,
    tag_height_m: float | np.ndarray = 0.0,
    refine_iterations: int = 0,
) -> Fix:
    """Solve tag positions from anchor ranges.

    Parameters
    ----------
    anchors : (A, 3) float64, metres.
    ranges : (M, A) float64, metres; measured range from each tag to each anchor.
    usable : (M, A) bool, default: all True. Ranges of unusable links are ignored.
    dimensions : {2, 3}, default: 2.
    tag_height_m : float or (M,) float64, default: 0.0. Known tag height in 2D mode.
    refine_iterations : int, default: 0. Gauss-Newton steps after the linearised solution.

    Returns
    -------
    Fix
    """
    anchors = np.asarray(anchors, dtype=np.float64)
    ranges = np.asarray(ranges, dtype=np.float64)
    if dimensions not in (2, 3):
        raise ValueError(f"dimensions must be 2 or 3, got {dimensions!r}")
    count, anchor_count = ranges.shape
    if anchors.shape != (anchor_count, 3):
        raise ValueError(f"anchors must be ({anchor_count}, 3), got {anchors.shape}")
    usable = np.ones(ranges.shape, dtype=bool) if usable is None else np.asarray(usable, dtype=bool)
    usable = usable & np.isfinite(ranges)
    heights = np.broadcast_to(np.asarray(tag_height_m, dtype=np.float64), (count,))

    if dimensions == 2:
        # Project each range onto the tag's horizontal plane: rho^2 = r^2 - dz^2.
        squared = ranges**2 - (heights[:, None] - anchors[None, :, 2]) ** 2
        coordinates = anchors[:, :2]
    else:
        squared = ranges**2
        coordinates = anchors

    position = np.zeros((count, dimensions))
    degenerate = np.ones(count, dtype=bool)
    for mask, tags in _group_by_mask(usable):
        if mask.sum() < minimum_anchors(dimensions):
            continue
        solution = _linearised(coordinates[mask], squared[np.ix_(tags, np.flatnonzero(mask))])
        if solution is None:
            continue
        position[tags] = solution
        degenerate[tags] = False

    if refine_iterations:
        position = _gauss_newton(anchors, ranges, usable, position, degenerate, heights, dimensions, refine_iterations)
    return Fix(position=position, degenerate=degenerate)


def _group_by_mask(usable: np.ndarray):
    """Yield (mask (A,) bool, tags (K,) int64) for each distinct row of ``usable`` (M, A)."""
    anchor_count = usable.shape[1]
    if anchor_count <= 62:
        # Rows as bit codes: sorting integers is far cheaper than np.unique(axis=0) on rows.
        codes = usable.astype(np.int64) @ (np.int64(1) << np.arange(anchor_count, dtype=np.int64))
        order = np.argsort(codes, kind="stable")
        boundaries = np.flatnonzero(np.diff(codes[order])) + 1
        for tags in np.split(order, boundaries):
            if tags.size:
                yield usable[tags[0]], tags
        return
    masks, group_of_tag = np.unique(usable, axis=0, return_inverse=True)
    group_of_tag = group_of_tag.reshape(-1)
    for group, mask in enumerate(masks):
        yield mask, np.flatnonzero(group_of_tag == group)


def _linearised(coordinates: np.ndarray, squared_ranges: np.ndarray) -> np.ndarray | None:
    """Linearised least squares for one anchor subset.

    coordinates : (K, D) anchor coordinates; squared_ranges : (M, K). Returns (M, D) or None
    when the subset's geometry is degenerate.
    """
    reference = coordinates[0]
    design = 2.0 * (coordinates[1:] - reference)  # (K-1, D), the same for every tag
    normal = design.T @ design
    if np.linalg.cond(normal) * _MIN_RECIPROCAL_CONDITION > 1.0:
        return None
    offsets = np.sum(coordinates[1:] ** 2, axis=1) - reference @ reference  # (K-1,)
    rhs = squared_ranges[:, :1] - squared_ranges[:, 1:] + offsets[None, :]  # (M, K-1)
    return np.linalg.solve(normal, design.T @ rhs.T).T


def _gauss_newton(
    anchors: np.ndarray,
    ranges: np.ndarray,
    usable: np.ndarray,
    position: np.ndarray,
    degenerate: np.ndarray,
    heights: np.ndarray,
    dimensions: int,
    iterations: int,
) -> np.ndarray:
    """Refine positions by Gauss-Newton on the range residuals (masked per tag)."""
    position = position.copy()
    weights = usable & ~degenerate[:, None]
    clean_ranges = np.where(weights, ranges, 0.0)
    for _ in range(iterations):
        full = _as_3d(position, heights) if dimensions == 2 else position
        delta = full[:, None, :] - anchors[None, :, :]  # (M, A, 3)
        distance = np.linalg.norm(delta, axis=2)
        distance = np.where(distance > 1e-9, distance, 1e-9)
        jacobian = (delta / distance[:, :, None])[:, :, :dimensions] * weights[:, :, None]  # (M, A, D)
        residual = (clean_ranges - distance) * weights  # (M, A)
        normal = np.einsum("mad,mae->mde", jacobian, jacobian)
        gradient = np.einsum("mad,ma->md", jacobian, residual)
        solvable = np.abs(np.linalg.det(normal)) > 1e-12
        step = np.zeros_like(position)
        step[solvable] = np.linalg.solve(normal[solvable], gradient[solvable][:, :, None])[:, :, 0]
        position += step
    return position


def _as_3d(position_xy: np.ndarray, heights: np.ndarray) -> np.ndarray:
    return np.column_stack([position_xy, heights])


def gdop(anchors: np.ndarray, points: np.ndarray, usable: np.ndarray | None = None, *, dimensions: int = 2) -> np.ndarray:
    """Geometric dilution of precision at each point.

    anchors : (A, 3) metres; points : (M, 3) metres; usable : (M, A) bool.
    Returns (M,) float64: sqrt(trace((J^T J)^-1)) with J the unit line-of-sight vectors
    (their first ``dimensions`` components); +inf where the geometry is degenerate.
    """
    anchors = np.asarray(anchors, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    delta = points[:, None, :] - anchors[None, :, :]  # (M, A, 3)
    distance = np.sqrt(np.einsum("mak,mak->ma", delta, delta))
    scale = 1.0 / np.where(distance > 1e-9, distance, 1e-9)
    if usable is not None:
        scale = scale * np.asarray(usable, dtype=bool)
    unit = [delta[:, :, axis] * scale for axis in range(dimensions)]  # D arrays (M, A)
    # The normal matrix J^T J, entry by entry: cheaper than batched matrix products here.
    normal = np.empty((len(points), dimensions, dimensions))
    for row in range(dimensions):
        for column in range(row, dimensions):
            normal[:, row, column] = normal[:, column, row] = np.einsum("ma,ma->m", unit[row], unit[column])
    if dimensions == 2:
        determinant = normal[:, 0, 0] * normal[:, 1, 1] - normal[:, 0, 1] ** 2
    else:
        determinant = np.linalg.det(normal)
    trace = np.trace(normal, axis1=1, axis2=2)
    # det / trace^D is scale free and vanishes for a singular (degenerate) geometry.
    invertible = determinant > _MIN_RECIPROCAL_CONDITION * np.maximum(trace**dimensions, 1e-300)
    result = np.full(len(points), np.inf)
    if dimensions == 2:
        # The trace of the inverse of [[a, b], [b, d]] is (a + d) / (ad - b^2).
        trace_inverse = trace[invertible] / determinant[invertible]
    else:
        trace_inverse = np.trace(np.linalg.inv(normal[invertible]), axis1=1, axis2=2)
    result[invertible] = np.sqrt(trace_inverse)
    return result
