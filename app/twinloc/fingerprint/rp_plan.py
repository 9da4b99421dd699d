"""Reference-point plans for a fingerprint survey (seed 002, Fig. 7).

The user sets three or more outer markers on the floor, a number of inner loops and either
the spacing of reference points (RPs) along each loop or the number of RPs between two
vertices. RPs lie on the boundary polygon and on loops inset from it, every vertex of a loop
is an RP, and the plan is one walking (or robot) route: the boundary first, then each inner
loop, each loop entered at its point nearest to where the previous one ended. Points inside
a solid, or closer than a clearance to anything between the floor and the RP height, are
dropped and counted.

Loops are inset by the spacing (spacing mode), so the RPs cover the area at about the same
density across and along the loops, or (between mode, as in Fig. 7) spread evenly from the
boundary to the deepest loop that still fits: with L inner loops, loop k is inset by
k / (L + 1) of that depth.

Limits: at most :data:`MAX_MARKERS` markers, :data:`MAX_LOOPS` inner loops,
:data:`MAX_BETWEEN` RPs between two vertices and :data:`MAX_REFERENCE_POINTS` RPs in a plan
(counted before any point is made).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twinloc.model.atomic import write_text_atomic

#: Most outer markers of a plan.
MAX_MARKERS = 1000
#: Most inner loops of a plan.
MAX_LOOPS = 100
#: Most RPs between two vertices of a loop.
MAX_BETWEEN = 1000
#: Most reference points a plan may have (a survey of 10 samples each stays below a million rows).
MAX_REFERENCE_POINTS = 20_000
#: Why an RP is dropped, in the words reports use.
INSIDE_SOLID = "inside a solid"
NEAR_WALL = "closer than the clearance to a wall or object"
#: Lengths shorter than this are zero, metres.
_TINY_M = 1e-9
#: How far above the floor an object must reach to be something a walker can bump into, metres.
_ABOVE_FLOOR_M = 0.01


@dataclass(frozen=True, eq=False)
class ReferencePointPlan:
    """Reference points in route order.

    points : (N, 2) float64, metres, in the order they are walked.
    loop : (N,) int64, the loop of each point: 0 is the outer boundary, 1 the first inner loop.
    route : (N,) int64, indices into ``points`` in walking order (``arange(N)``: points are stored in route order).
    height_m : height of the RPs (receiver height), metres.
    loops : loops planned, the boundary included (inner loops + 1).
    dropped : number of RPs dropped, by reason (:data:`INSIDE_SOLID`, :data:`NEAR_WALL`).
    """

    points: np.ndarray
    loop: np.ndarray
    route: np.ndarray
    height_m: float
    loops: int
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def positions(self) -> np.ndarray:
        """(N, 3) float64, metres: the points at ``height_m``."""
        return np.column_stack([self.points, np.full(len(self.points), self.height_m)])

    @property
    def route_length_m(self) -> float:
        """Length of the walk from the first RP to the last along the route, metres."""
        ordered = self.points[self.route]
        return float(np.linalg.norm(np.diff(ordered, axis=0), axis=1).sum()) if len(ordered) > 1 else 0.0

    def summary(self) -> dict:
        """Counts and lengths as JSON-ready numbers."""
        return {
            "points": int(len(self.points)),
            "loops": int(self.loops),
            "route_length_m": round(self.route_length_m, 4),
            "dropped": {reason: int(count) for reason, count in self.dropped.items()},
        }


def plan_reference_points(
    markers,
    loops: int,
    *,
    spacing_m: float | None = None,
    between: int | None = None,
    clearance_m: float = 0.3,
    scene=None,
    engine=None,
    height_m: float = 1.0,
) -> ReferencePointPlan:
    """Plan RPs on the boundary of ``markers`` and ``loops`` loops inset from it.

    Parameters
    ----------
    markers : (M, 2) array_like, metres
        The outer boundary's vertices in walking order (either direction); M >= 3, edges must not cross.
    loops : int
        Inner loops, 0 to MAX_LOOPS.
    spacing_m : float, optional
        Largest gap between neighbouring RPs of a loop, metres: each edge is split into the
        fewest equal parts no longer than this. Give this or ``between``.
    between : int, optional
        RPs between two vertices of each loop, >= 1.
    clearance_m : float, default: 0.3
        RPs closer than this to an object of ``scene`` between the floor and ``height_m`` are dropped, metres.
    scene : Scene, optional
        Without a scene no RP is dropped.
    engine : RayEngine, optional
        ``scene``'s ray engine, when the caller has one already.
    height_m : float, default: 1.0
        Height of the RPs, metres.

    Returns
    -------
    ReferencePointPlan

    Raises
    ------
    ValueError
        With a message for the user: too few or too many markers, crossing or repeated
        markers, a spacing <= 0, ``between`` < 1, both or neither of spacing and between,
        more loops than fit in the boundary, more RPs than MAX_REFERENCE_POINTS.
    """
    boundary = _checked_markers(markers)
    loops = _checked_count(loops, 0, MAX_LOOPS, "inner loops")
    if (spacing_m is None) == (between is None):
        raise ValueError("give either an RP spacing or a number of RPs between two vertices (one of them)")
    if spacing_m is not None:
        if isinstance(spacing_m, bool) or not isinstance(spacing_m, (int, float)) or not math.isfinite(spacing_m) or spacing_m <= 0:
            raise ValueError(f"the RP spacing must be a number > 0 m, got {spacing_m!r}")
    else:
        between = _checked_count(between, 1, MAX_BETWEEN, "RPs between two vertices")
    if not (isinstance(clearance_m, (int, float)) and math.isfinite(clearance_m) and clearance_m >= 0):
        raise ValueError(f"the clearance must be a number >= 0 m, got {clearance_m!r}")
    if not (isinstance(height_m, (int, float)) and math.isfinite(height_m)):
        raise ValueError(f"the RP height must be a finite number of metres, got {height_m!r}")

    step = spacing_m if spacing_m is not None else _deepest_inset(boundary) / (loops + 1)
    rings = [boundary]
    for index in range(1, loops + 1):
        ring = _inset(boundary, index * step)
        if ring is None:
            raise ValueError(
                f"{loops} inner loops do not fit inside the markers: loop {index} (inset {index * step:.3g} m) "
                "has no room; use fewer loops or a smaller spacing"
            )
        rings.append(ring)
    per_edge = [_parts_per_edge(ring, spacing_m, between) for ring in rings]
    total = sum(int(parts.sum()) for parts in per_edge)
    if total > MAX_REFERENCE_POINTS:
        raise ValueError(
            f"the plan would have {total:,} RPs, more than the {MAX_REFERENCE_POINTS:,} a plan may have; "
            "use a larger spacing, fewer RPs between vertices or fewer loops"
        )

    pieces, owners, here = [], [], None
    for index, (ring, parts) in enumerate(zip(rings, per_edge)):
        ring_points = _points_along(ring, parts)
        if here is not None:  # enter this loop where it is nearest to the end of the previous one
            start = int(np.argmin(np.linalg.norm(ring_points - here, axis=1)))
            ring_points = np.roll(ring_points, -start, axis=0)
        pieces.append(ring_points)
        owners.append(np.full(len(ring_points), index, dtype=np.int64))
        here = ring_points[-1]
    points, loop = np.vstack(pieces), np.concatenate(owners)

    keep = np.ones(len(points), dtype=bool)
    dropped: dict[str, int] = {}
    if scene is not None:
        if engine is None:
            from twinloc.geometry.ray_engine import RayEngine

            engine = RayEngine(scene)
        positions = np.column_stack([points, np.full(len(points), float(height_m))])
        inside = engine.points_inside_solids(positions)
        near = ~inside & (_distance_to_obstacles(points, scene, float(height_m)) < clearance_m)
        dropped = {INSIDE_SOLID: int(inside.sum()), NEAR_WALL: int(near.sum())}
        keep = ~(inside | near)
    points, loop = points[keep], loop[keep]
    return ReferencePointPlan(
        points=points, loop=loop, route=np.arange(len(points), dtype=np.int64), height_m=float(height_m),
        loops=loops + 1, dropped=dropped,
    )


def write_plan_csv(plan: ReferencePointPlan, path: str | Path) -> None:
    """``point,x_m,y_m,z_m,loop`` rows in route order; ``point`` counts from 0 along the route.

    Raises
    ------
    OSError
        The file cannot be written.
    """
    rows = ["point,x_m,y_m,z_m,loop"]
    for number, index in enumerate(plan.route):
        x, y = plan.points[index]
        rows.append(f"{number},{x:.4f},{y:.4f},{plan.height_m:.4f},{int(plan.loop[index])}")
    write_text_atomic(Path(path), "\n".join(rows) + "\n")


def plan_waypoints(plan: ReferencePointPlan) -> dict:
    """The plan as a waypoint list for a robot or a walker, JSON-ready.

    ``{"format": "twinloc-waypoints", "version": 1, "units": "m", "height_m": h,
    "route_length_m": L, "waypoints": [{"point": 0, "x_m": x, "y_m": y, "z_m": z, "loop": 0}, ...]}``
    """
    return {
        "format": "twinloc-waypoints",
        "version": 1,
        "units": "m",
        "height_m": plan.height_m,
        "route_length_m": round(plan.route_length_m, 4),
        "waypoints": [
            {
                "point": number,
                "x_m": round(float(plan.points[index, 0]), 4),
                "y_m": round(float(plan.points[index, 1]), 4),
                "z_m": round(plan.height_m, 4),
                "loop": int(plan.loop[index]),
            }
            for number, index in enumerate(plan.route)
        ],
    }


def write_waypoints_json(plan: ReferencePointPlan, path: str | Path) -> None:
    """Write :func:`plan_waypoints` as JSON. Raises OSError when the file cannot be written."""
    write_text_atomic(Path(path), json.dumps(plan_waypoints(plan), indent=2) + "\n")


# ------------------------------------------------------------------ markers and loops


def _checked_markers(markers) -> np.ndarray:
    try:
        boundary = np.asarray(markers, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("markers must be pairs of numbers x, y in metres") from None
    if boundary.ndim != 2 or boundary.shape[1] != 2:
        raise ValueError("markers must be pairs of numbers x, y in metres")
    if len(boundary) < 3:
        raise ValueError(f"a plan needs at least 3 markers to enclose an area, got {len(boundary)}")
    if len(boundary) > MAX_MARKERS:
        raise ValueError(f"a plan may have at most {MAX_MARKERS:,} markers, got {len(boundary):,}")
    if not np.all(np.isfinite(boundary)):
        raise ValueError("markers must be finite numbers")
    lengths = _edge_lengths(boundary)
    if np.any(lengths <= _TINY_M):
        first = int(np.flatnonzero(lengths <= _TINY_M)[0])
        raise ValueError(f"markers {first + 1} and {(first + 1) % len(boundary) + 1} are at the same place")
    if np.linalg.matrix_rank(boundary - boundary.mean(axis=0), tol=1e-9 * max(1.0, np.abs(boundary).max())) < 2:
        raise ValueError("the markers lie on one line and enclose no area")
    crossing = _first_crossing(boundary)
    if crossing is not None:
        i, j = crossing
        raise ValueError(
            f"markers cross: the edge from marker {i + 1} to {(i + 1) % len(boundary) + 1} meets the edge "
            f"from marker {j + 1} to {(j + 1) % len(boundary) + 1}; place the markers in order around the area"
        )
    return boundary


def _checked_count(value, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"the number of {what} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def _inset(boundary: np.ndarray, distance: float) -> np.ndarray | None:
    """The boundary moved ``distance`` metres inward, edge by edge (mitred corners); None
    when that loop has no room.

    Shapely is not a dependency of TwinLoc; a mitred offset of each edge is exact for the
    polygons a user draws until an edge shrinks to nothing, which is when the loop no longer
    fits (for a non-convex area that can be before its widest part is filled).
    """
    orientation = 1.0 if _signed_area(boundary) > 0 else -1.0
    start, unit = boundary, _edge_units(boundary)
    inward = orientation * np.column_stack([-unit[:, 1], unit[:, 0]])
    moved = start + distance * inward  # a point of each offset edge
    previous_point, previous_unit = np.roll(moved, 1, axis=0), np.roll(unit, 1, axis=0)
    turn = _cross(previous_unit, unit)
    straight = np.abs(turn) < 1e-12  # markers in a line: the corner moves straight inward
    along = np.where(straight, 0.0, _cross(moved - previous_point, unit) / np.where(straight, 1.0, turn))
    ring = np.where(straight[:, None], moved, previous_point + along[:, None] * previous_unit)
    collapsed = (
        np.any(np.einsum("ij,ij->i", _edges(ring), _edges(boundary)) <= _TINY_M)
        or _signed_area(ring) * orientation <= _TINY_M
        or _first_crossing(ring) is not None
        or _distance_to_segments(ring, boundary, np.roll(boundary, -1, axis=0)).min() < distance - 1e-6
    )
    return None if collapsed else ring


def _deepest_inset(boundary: np.ndarray) -> float:
    """The largest inset, metres, at which a loop still fits (found by bisection).

    A disc of the polygon's area bounds it from above: no polygon fits a wider circle.
    """
    low, high = 0.0, math.sqrt(abs(_signed_area(boundary)) / math.pi)
    for _ in range(48):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if _inset(boundary, middle) is not None else (low, middle)
    return low


def _parts_per_edge(ring: np.ndarray, spacing_m: float | None, between: int | None) -> np.ndarray:
    """(M,) int64: how many gaps each edge of ``ring`` is split into."""
    if spacing_m is None:
        return np.full(len(ring), between + 1, dtype=np.int64)
    # A hair of tolerance: a 10 m edge at 2.5 m spacing is 4 parts, not 5 by rounding.
    return np.maximum(1, np.ceil(_edge_lengths(ring) / spacing_m - 1e-9)).astype(np.int64)


def _points_along(ring: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """(sum(parts), 2): each vertex of ``ring`` followed by the points splitting its edge evenly."""
    ends = np.roll(ring, -1, axis=0)
    edge = np.repeat(np.arange(len(ring)), parts)
    offset = np.arange(len(edge)) - np.repeat(np.cumsum(parts) - parts, parts)
    fraction = (offset / parts[edge])[:, None]
    return ring[edge] + fraction * (ends[edge] - ring[edge])


# ------------------------------------------------------------------ obstacles


def _distance_to_obstacles(points: np.ndarray, scene, height_m: float) -> np.ndarray:
    """(N,) horizontal distance, metres, from each point to the nearest triangle of ``scene``
    that lies between the floor (the scene's lowest point) and ``height_m``: walls, fences,
    machines, table tops.

    A point over or under such a triangle is at distance 0.
    """
    distance = np.full(len(points), np.inf)
    if not scene.objects:
        return distance
    floor = float(scene.bounds[0, 2])
    corners = np.concatenate([obj.vertices[obj.faces] for obj in scene.objects])  # (F, 3, 3)
    low, high = corners[:, :, 2].min(axis=1), corners[:, :, 2].max(axis=1)
    reaching = (high > floor + _ABOVE_FLOOR_M) & (low <= height_m)
    flat = corners[reaching][:, :, :2]
    if not len(flat):
        return distance
    starts = flat.reshape(-1, 2)
    ends = np.roll(flat, -1, axis=1).reshape(-1, 2)
    distance = _distance_to_segments(points, starts, ends)
    distance[_inside_triangles(points, flat)] = 0.0
    return distance


def _distance_to_segments(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(N,) distance, metres, from each point (N, 2) to the nearest of segments (S, 2)-(S, 2)."""
    nearest = np.full(len(points), np.inf)
    span = ends - starts
    squared = np.maximum(np.einsum("ij,ij->i", span, span), _TINY_M**2)
    rows = max(1, 2_000_000 // max(len(starts), 1))  # bounds the (rows, S) work arrays
    for first in range(0, len(points), rows):
        block = points[first : first + rows, None, :] - starts[None]
        along = np.clip(np.einsum("nsk,sk->ns", block, span) / squared, 0.0, 1.0)
        gap = block - along[:, :, None] * span[None]
        nearest[first : first + rows] = np.sqrt(np.einsum("nsk,nsk->ns", gap, gap).min(axis=1))
    return nearest


def _inside_triangles(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(N,) bool: the point lies inside one of the 2-D ``triangles`` (T, 3, 2) of non-zero area."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    area = _cross(b - a, c - a)
    solid = np.abs(area) > 1e-12
    a, b, c, area = a[solid], b[solid], c[solid], area[solid]
    inside = np.zeros(len(points), dtype=bool)
    if not len(area):
        return inside
    rows = max(1, 2_000_000 // len(area))
    for first in range(0, len(points), rows):
        p = points[first : first + rows, None, :]
        u = _cross(b - p, c - p) / area
        v = _cross(c - p, a - p) / area
        inside[first : first + rows] = ((u >= 0) & (v >= 0) & (u + v <= 1)).any(axis=1)
    return inside


# ------------------------------------------------------------------ polygon arithmetic


def _edges(ring: np.ndarray) -> np.ndarray:
    return np.roll(ring, -1, axis=0) - ring


def _edge_lengths(ring: np.ndarray) -> np.ndarray:
    return np.linalg.norm(_edges(ring), axis=1)


def _edge_units(ring: np.ndarray) -> np.ndarray:
    return _edges(ring) / _edge_lengths(ring)[:, None]


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _signed_area(ring: np.ndarray) -> float:
    """Positive for counter-clockwise vertices, square metres."""
    return 0.5 * float(_cross(ring, np.roll(ring, -1, axis=0)).sum())


def _first_crossing(ring: np.ndarray) -> tuple[int, int] | None:
    """The first pair of edges (i, j) of the closed ``ring`` that touch or cross, other than
    neighbours meeting at their shared vertex; None for a simple polygon."""
    count = len(ring)
    a, b = ring, np.roll(ring, -1, axis=0)
    i, j = np.triu_indices(count, k=1)
    neighbours = (j == i + 1) | ((i == 0) & (j == count - 1))
    d1 = _cross(b[i] - a[i], a[j] - a[i])
    d2 = _cross(b[i] - a[i], b[j] - a[i])
    d3 = _cross(b[j] - a[j], a[i] - a[j])
    d4 = _cross(b[j] - a[j], b[i] - a[j])
    proper = (d1 * d2 < 0) & (d3 * d4 < 0)
    touching = (
        _on_segment(a[i], b[i], a[j], d1) | _on_segment(a[i], b[i], b[j], d2)
        | _on_segment(a[j], b[j], a[i], d3) | _on_segment(a[j], b[j], b[i], d4)
    )
    # Neighbours share one vertex; they only overlap when one doubles back along the other.
    shared = np.where(j == i + 1, i + 1, 0) % count
    other_i = np.where((shared == (i + 1) % count)[:, None], a[i], b[i])
    other_j = np.where((shared == j)[:, None], b[j], a[j])
    back = _cross(other_i - ring[shared], other_j - ring[shared])
    doubling = (np.abs(back) < 1e-12) & (np.einsum("ij,ij->i", other_i - ring[shared], other_j - ring[shared]) > 0)
    hits = np.flatnonzero(np.where(neighbours, doubling, proper | touching))
    return (int(i[hits[0]]), int(j[hits[0]])) if hits.size else None


def _on_segment(start: np.ndarray, end: np.ndarray, point: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """Whether ``point`` lies on the segment, given the cross product of the segment and point - start."""
    low, high = np.minimum(start, end), np.maximum(start, end)
    within = np.all((point >= low - 1e-12) & (point <= high + 1e-12), axis=1)
    return (np.abs(cross) < 1e-12) & within
