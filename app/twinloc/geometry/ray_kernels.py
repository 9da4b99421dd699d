"""The per-ray loops between Embree casts, compiled with Numba so that they run without the GIL.

A segment query casts a few times per segment, and between two casts it works out, per ray,
how far the hit lies and where the next cast starts. In NumPy that is some forty small array
operations per cast, and each one takes and drops the GIL: two ray threads then spent most of
their time waiting for each other (weighted crossings ran 1.2-1.4x faster on two threads than
on one). Here each step is one loop over the rays in compiled code that holds no GIL, so the
threads only meet in the few Python calls per cast. Written by hand because these loops are
TwinLoc's own bookkeeping; the ray-triangle tests stay in Embree.

The arithmetic is NumPy's, term by term (``a0 * b0 + a1 * b1 + a2 * b2``, no fused
multiply-add), so the answers do not depend on the machine.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_compiled = njit(nogil=True, cache=True, error_model="numpy")
"""Compiled once per machine (Numba caches the code next to this file, or in its cache folder),
holding no GIL, dividing as NumPy does (x / 0 is inf, not an exception)."""

GRAZING_COSINE = 1e-9
"""A ray whose direction has a smaller cosine with a face's normal lies in the face's plane."""


@_compiled
def _plane_distance(k, normal_or_none, plane_offset, centroids, origins, unit, i):  # pragma: no cover - compiled
    """Distance along ray i to triangle k's plane (its centroid's, for a ray lying in the plane)."""
    along = normal_or_none[k, 0] * unit[i, 0] + normal_or_none[k, 1] * unit[i, 1] + normal_or_none[k, 2] * unit[i, 2]
    if abs(along) <= GRAZING_COSINE:
        return ((centroids[k, 0] - origins[i, 0]) * unit[i, 0] + (centroids[k, 1] - origins[i, 1]) * unit[i, 1]
                + (centroids[k, 2] - origins[i, 2]) * unit[i, 2])
    toward = plane_offset[k] - (normal_or_none[k, 0] * origins[i, 0] + normal_or_none[k, 1] * origins[i, 1]
                                + normal_or_none[k, 2] * origins[i, 2])
    return toward / along


@_compiled
def hit_distances(hit, index_or_none, normal_or_none, plane_offset, centroids, origins, unit):  # pragma: no cover - compiled
    """The engine's triangle and the float64 distance to its plane of each backend hit.

    Parameters
    ----------
    hit : (N,) integer; the backend's triangle per ray, -1 on a miss.
    index_or_none : (K + 1,) int64; the engine's triangle of each backend triangle, then -1.
    normal_or_none, centroids : (F + 1, 3) float64; per engine triangle, then a row of zeros.
    plane_offset : (F + 1,) float64; normal . vertex per engine triangle, then 0.
    origins, unit : (N, 3) float64; the rays.

    Returns
    -------
    triangle : (N,) int64; -1 on a miss.
    distance : (N,) float64 metres along ``unit`` to the triangle's plane: inf on a miss; for
        a ray lying in the plane, the distance to the triangle's centroid along the ray.
    """
    count = hit.shape[0]
    triangle = np.empty(count, dtype=np.int64)
    distance = np.empty(count)
    for i in range(count):
        k = index_or_none[hit[i]] if hit[i] >= 0 else -1
        triangle[i] = k
        distance[i] = np.inf if k < 0 else _plane_distance(k, normal_or_none, plane_offset, centroids, origins, unit, i)
    return triangle, distance


@_compiled
def walk_casts(rays, starts, unit, position, stop):  # pragma: no cover - compiled
    """Where the next cast of each walking ray starts, its direction and how far it may go.

    rays : (R,) int64 indices into the block; starts, unit : (N, 3) float64;
    position, stop : (N,) float64 metres along each segment.
    Returns origins (R, 3) float64, directions (R, 3) float64, limits (R,) float64 metres.
    """
    count = rays.shape[0]
    origins = np.empty((count, 3))
    directions = np.empty((count, 3))
    limits = np.empty(count)
    for i in range(count):
        _aim(rays[i], starts, unit, position, stop, origins, directions, limits, i)
    return origins, directions, limits


@_compiled
def _aim(ray, starts, unit, position, stop, origins, directions, limits, row):  # pragma: no cover - compiled
    for axis in range(3):
        directions[row, axis] = unit[ray, axis]
        origins[row, axis] = starts[ray, axis] + position[ray] * unit[ray, axis]
    limits[row] = stop[ray] - position[ray]


@_compiled
def walk_step(rays, hit, origins, directions, index_or_none, normal_or_none, plane_offset, centroids,
              starts, unit, position, step, stop, step_m):  # pragma: no cover - compiled
    """Record the crossings of one cast, move each ray past its hit and aim its next cast.

    A hit behind the cast's origin (distance < 0) is the face just left, reported again
    through float32 rounding: the ray steps further past it, twice as far each time. A hit
    beyond ``stop`` ends the ray's walk, and so does a miss.

    Parameters
    ----------
    rays : (R,) int64; the rays cast, as indices into the block.
    hit : (R,) integer; the backend's answer to the cast (origins, directions (R, 3) float64).
    index_or_none, normal_or_none, plane_offset, centroids : as for :func:`hit_distances`.
    starts, unit : (N, 3) float64; position, step : (N,) float64 metres, updated in place;
    stop : (N,) float64 metres; step_m : float, metres.

    Returns
    -------
    walking : (R',) int64; the rays to cast again, with their origins (R', 3), directions
        (R', 3) float64 and limits (R',) float64 metres (see :func:`walk_casts`).
    event_ray : (E,) int64, event_t : (E,) float64 metres from the segment's start,
    event_triangle : (E,) int64; the crossings found, in ray order.
    """
    count = rays.shape[0]
    walking = np.empty(count, dtype=np.int64)
    event_ray = np.empty(count, dtype=np.int64)
    event_t = np.empty(count)
    event_triangle = np.empty(count, dtype=np.int64)
    kept = events = 0
    for i in range(count):
        k = index_or_none[hit[i]] if hit[i] >= 0 else -1
        if k < 0:
            continue
        distance = _plane_distance(k, normal_or_none, plane_offset, centroids, origins, directions, i)
        ray = rays[i]
        along = position[ray] + distance
        if distance >= 0.0:
            if along >= stop[ray]:
                continue
            event_ray[events] = ray
            event_t[events] = along
            event_triangle[events] = k
            events += 1
            position[ray] = along + step_m
            step[ray] = step_m
        else:
            position[ray] += step[ray]
            step[ray] *= 2.0
        if position[ray] < stop[ray]:
            walking[kept] = ray
            kept += 1
    walking = walking[:kept]
    next_origins, next_directions, limits = walk_casts(walking, starts, unit, position, stop)
    return walking, next_origins, next_directions, limits, event_ray[:events], event_t[:events], event_triangle[:events]


@_compiled
def segment_frames(starts, ends, end_tolerance):  # pragma: no cover - compiled
    """Length, direction and walking range of each segment.

    starts, ends : (N, 3) float64 metres; end_tolerance : float, metres.
    Returns unit (N, 3) float64 (zero for a segment no longer than twice the tolerance),
    length (N,) float64, stop (N,) float64 = length - tolerance, active (N,) bool.
    """
    count = starts.shape[0]
    unit = np.zeros((count, 3))
    length = np.empty(count)
    stop = np.empty(count)
    active = np.empty(count, dtype=np.bool_)
    for i in range(count):
        vx, vy, vz = ends[i, 0] - starts[i, 0], ends[i, 1] - starts[i, 1], ends[i, 2] - starts[i, 2]
        length[i] = np.sqrt(vx * vx + vy * vy + vz * vz)
        stop[i] = length[i] - end_tolerance
        active[i] = length[i] > 2.0 * end_tolerance
        if active[i]:
            unit[i, 0], unit[i, 1], unit[i, 2] = vx / length[i], vy / length[i], vz / length[i]
    return unit, length, stop, active


@_compiled
def facing(triangle, ray, normals, unit):  # pragma: no cover - compiled
    """(E,) float64: cosine between each crossed triangle's normal and its ray's direction.

    triangle, ray : (E,) int64; normals : (F, 3) float64; unit : (N, 3) float64.
    """
    cosine = np.empty(triangle.shape[0])
    for i in range(triangle.shape[0]):
        k, r = triangle[i], ray[i]
        cosine[i] = normals[k, 0] * unit[r, 0] + normals[k, 1] * unit[r, 1] + normals[k, 2] * unit[r, 2]
    return cosine


@_compiled
def solid_passages(ray, t, triangle, entering, triangle_object, n_objects):  # pragma: no cover - compiled
    """The enter and exit events of each (segment, solid) pair, in order along the segment.

    A repeated enter keeps the last, a repeated exit the first (a tangent touch at an edge can
    report one face of a pair).

    Parameters
    ----------
    ray, triangle : (E,) int64; t : (E,) float64 metres; entering : (E,) bool. The walk's
        events, each ray's in increasing ``t``.
    triangle_object : (F,) int64; n_objects : int.

    Returns
    -------
    ray, owner, triangle : (K,) int64; entering, first, last : (K,) bool (first and last
    event of its pair); signed : (K,) float64, -t for an enter and t for an exit, whose sum
    over a pair is the chord when its events pair up.
    """
    count = ray.shape[0]
    key = np.empty(count, dtype=np.int64)
    for i in range(count):
        key[i] = ray[i] * n_objects + triangle_object[triangle[i]]
    order = np.argsort(key, kind="mergesort")  # stable: keeps each pair's events in order along the ray
    keep = np.ones(count, dtype=np.bool_)
    for j in range(count - 1):
        a, b = order[j], order[j + 1]
        if key[a] == key[b]:
            if entering[a] and entering[b]:
                keep[j] = False
            if not entering[a] and not entering[b]:
                keep[j + 1] = False
    kept = order[keep]
    size = kept.shape[0]
    out_ray = np.empty(size, dtype=np.int64)
    owner = np.empty(size, dtype=np.int64)
    out_triangle = np.empty(size, dtype=np.int64)
    out_entering = np.empty(size, dtype=np.bool_)
    first = np.empty(size, dtype=np.bool_)
    last = np.empty(size, dtype=np.bool_)
    signed = np.empty(size)
    for j in range(size):
        i = kept[j]
        out_ray[j], out_triangle[j], out_entering[j] = ray[i], triangle[i], entering[i]
        owner[j] = triangle_object[triangle[i]]
        signed[j] = -t[i] if entering[i] else t[i]
        first[j] = j == 0 or key[kept[j - 1]] != key[i]
        last[j] = j == size - 1 or key[kept[j + 1]] != key[i]
    return out_ray, owner, out_triangle, out_entering, first, last, signed


@_compiled
def passage_chords(ray, owner, triangle, first, signed, length):  # pragma: no cover - compiled
    """Sum each pair's signed events into its chord, clipped to [0, segment length].

    The arrays are :func:`solid_passages`' (``signed`` with the ends already settled);
    length : (N,) float64 metres. Returns ray, owner (P,) int64, chord (P,) float64 metres and
    the pair's first triangle (P,) int64, one per pair.
    """
    pairs = 0
    for j in range(first.shape[0]):
        pairs += first[j]
    out_ray = np.empty(pairs, dtype=np.int64)
    out_owner = np.empty(pairs, dtype=np.int64)
    out_triangle = np.empty(pairs, dtype=np.int64)
    chord = np.zeros(pairs)
    p = -1
    for j in range(first.shape[0]):
        if first[j]:
            p += 1
            out_ray[p], out_owner[p], out_triangle[p] = ray[j], owner[j], triangle[j]
        chord[p] += signed[j]
    for p in range(pairs):
        chord[p] = min(max(chord[p], 0.0), length[out_ray[p]])
    return out_ray, out_owner, chord, out_triangle


@_compiled
def ends_in_boxes(starts, ends, candidates, boxes, margin):  # pragma: no cover - compiled
    """Pairs (candidate, box) whose segment has both ends in the box grown by ``margin``.

    starts, ends : (N, 3) float64; candidates : (C,) int64 indices; boxes : (S, 2, 3) float64
    [min, max] corners; margin : float, metres. Returns (ray (K,) int64, box (K,) int64),
    box by box.
    """
    inside = np.zeros((boxes.shape[0], candidates.shape[0]), dtype=np.bool_)
    for b in range(boxes.shape[0]):
        for j in range(candidates.shape[0]):
            i = candidates[j]
            within = True
            for axis in range(3):
                low, high = boxes[b, 0, axis] - margin, boxes[b, 1, axis] + margin
                if not (low <= ends[i, axis] <= high and low <= starts[i, axis] <= high):
                    within = False
                    break
            inside[b, j] = within
    box, index = np.nonzero(inside)
    return candidates[index], box.astype(np.int64)


@_compiled
def unit_rays(directions):  # pragma: no cover - compiled
    """(N, 3) float64 unit vectors along ``directions`` (N, 3), and whether any was zero."""
    unit = np.empty_like(directions)
    zero = False
    for i in range(directions.shape[0]):
        x, y, z = directions[i, 0], directions[i, 1], directions[i, 2]
        norm = np.sqrt(x * x + y * y + z * z)
        zero |= norm == 0.0
        unit[i, 0], unit[i, 1], unit[i, 2] = x / norm, y / norm, z / norm
    return unit, zero


@_compiled
def record_first_hits(hit, index_or_none, normal_or_none, plane_offset, centroids, object_or_none, origins, unit,
                      triangle, distance, object_index, normal):  # pragma: no cover - compiled
    """Write what each ray of a first-hit query meets into the result's rows.

    hit ... unit as for :func:`hit_distances`; object_or_none : (F + 1,) int64, the object of
    each triangle, then -1. Writes triangle (N,) int64, distance (N,) float64 metres (>= 0,
    inf on a miss), object_index (N,) int64 and normal (N, 3) float64 (zeros on a miss).
    """
    found, along = hit_distances(hit, index_or_none, normal_or_none, plane_offset, centroids, origins, unit)
    none = object_or_none.shape[0] - 1  # the tables' last row stands for "no triangle"
    for i in range(found.shape[0]):
        row = found[i] if found[i] >= 0 else none
        triangle[i] = found[i]
        distance[i] = max(along[i], 0.0)
        object_index[i] = object_or_none[row]
        for axis in range(3):
            normal[i, axis] = normal_or_none[row, axis]


@_compiled
def add_weighted_crossings(surface_ray, surface_owner, secant, solid_ray, solid_owner, chord, surface_weight, solid_weight,
                           opaque, use_secant, weighted, clear, blocked):  # pragma: no cover - compiled
    """Add one block's crossings, weighted per object, to its segments' sums.

    The events are :class:`~twinloc.geometry.ray_engine.CrossingEvents`' fields; weights (O,)
    float64, opaque (O,) bool. ``weighted`` (N,) float64 gets the solids' chords x weight, then
    the surfaces' crossings x weight (x secant with ``use_secant``); ``clear`` (N,) bool is
    cleared and ``blocked`` (N,) bool set by what each segment crosses (a solid only when its
    chord is longer than zero).
    """
    for e in range(solid_ray.shape[0]):
        ray, owner = solid_ray[e], solid_owner[e]
        weighted[ray] += chord[e] * solid_weight[owner]
        if chord[e] > 0.0:
            clear[ray] = False
            blocked[ray] |= opaque[owner]
    surfaces = np.zeros(weighted.shape[0])  # summed apart, then added: the solids' sum first
    for e in range(surface_ray.shape[0]):
        ray, owner = surface_ray[e], surface_owner[e]
        surfaces[ray] += (secant[e] if use_secant else 1.0) * surface_weight[owner]
        clear[ray] = False
        blocked[ray] |= opaque[owner]
    for ray in range(weighted.shape[0]):
        weighted[ray] += surfaces[ray]
