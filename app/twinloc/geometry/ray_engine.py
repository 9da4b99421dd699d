"""Ray queries against a scene: first hits, link crossings and point-in-solid tests.

Embree (through embreex) finds candidate triangles in float32; every distance reported
here is then recomputed in float64 against the hit triangle's plane, so results are exact
to float64 rounding wherever the ray is not grazing. Without embreex the same queries run
on trimesh's pure-numpy intersector, with a warning, and give the same answers.

Large batches are split across the process's ray threads (:mod:`twinloc.geometry.ray_threads`,
one setting for the process: :func:`set_default_threads`); the answers do not depend on it.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass

import numpy as np

from twinloc.geometry.ray_threads import FIRST_HIT_BLOCK_RAYS, default_threads, run_blocks, set_default_threads
from twinloc.geometry.scene import ObjectKind, Scene

__all__ = [
    "CrossingEvents", "FirstHits", "RayEngine", "SegmentCrossings", "WeightedCrossings",
    "default_threads", "set_default_threads",
]

END_TOLERANCE_M = 1e-4
"""Hits this close to either end of a segment are ignored: a device mounted on a face
does not cross that face."""

MIN_STEP_M = 1e-5
"""How far past a hit the next cast of a segment starts; faces closer together than this
along a ray count as one crossing (two triangles sharing an edge are hit once)."""

MIN_ABS_COS = 1e-3
"""Incidence cosines are clipped here, so a grazing crossing adds at most 1000 secants."""

_INSIDE_OFFSET_M = 1e-5
# A direction no axis-aligned or diagonal edge lies along, for point-in-solid tests.
_INSIDE_DIRECTION = np.array([0.5257311121, 0.6180339887, 0.5847102846])
_INSIDE_DIRECTION = _INSIDE_DIRECTION / np.linalg.norm(_INSIDE_DIRECTION)
_MAX_SEGMENT_CASTS = 100_000


@dataclass(frozen=True)
class FirstHits:
    """The first surface each ray meets.

    distance : (N,) float64, metres along the unit direction; inf on a miss.
    triangle : (N,) int64, index into the engine's triangles; -1 on a miss.
    object_index : (N,) int64, index into ``RayEngine.object_names``; -1 on a miss.
    normal : (N, 3) float64, unit normal of the hit triangle as wound (outward for
        solids); zeros on a miss.
    """

    distance: np.ndarray
    triangle: np.ndarray
    object_index: np.ndarray
    normal: np.ndarray

    @property
    def hit(self) -> np.ndarray:
        """(N,) bool: the ray met a surface within its range."""
        return self.triangle >= 0


@dataclass(frozen=True)
class SegmentCrossings:
    """What each straight link from a start to an end point passes through.

    inside_length_m : (N, n_objects) float64, metres of the segment inside each SOLID
        object (zero for surfaces).
    surface_crossings : (N, n_objects) int32, times the segment crosses each SURFACE
        object (zero for solids).
    surface_secant_sum : (N, n_objects) float64, sum over those crossings of
        1 / |cos(incidence angle)|; a surface of thickness d adds d times this to the path.
    """

    inside_length_m: np.ndarray
    surface_crossings: np.ndarray
    surface_secant_sum: np.ndarray

    @property
    def clear(self) -> np.ndarray:
        """(N,) bool: the segment crosses nothing (line of sight)."""
        return ~(np.any(self.inside_length_m > 0.0, axis=1) | np.any(self.surface_crossings > 0, axis=1))


@dataclass(frozen=True)
class WeightedCrossings:
    """Per-segment sums of crossings weighted per object (see :meth:`RayEngine.weighted_crossings`).

    weighted : (N,) float64; clear : (N,) bool, the segment crosses nothing;
    blocked : (N,) bool, the segment crosses an opaque object.
    """

    weighted: np.ndarray
    clear: np.ndarray
    blocked: np.ndarray


@dataclass(frozen=True)
class CrossingEvents:
    """Sparse crossings of ``count`` segments (see :meth:`RayEngine.crossing_events`).

    Surface crossings, one per crossing, in order along each segment:
    surface_ray (E,) int64 segment, surface_owner (E,) int64 object, secant (E,) float64
    1 / |cos incidence|, surface_triangle (E,) int64 the triangle crossed.
    Solid chords, at most one per (segment, solid): solid_ray (K,) int64, solid_owner (K,)
    int64, chord (K,) float64 metres inside, solid_triangle (K,) int64 the face where the
    segment enters (its first face met; -1 for a segment wholly inside the solid).
    """

    count: int
    surface_ray: np.ndarray
    surface_owner: np.ndarray
    secant: np.ndarray
    surface_triangle: np.ndarray
    solid_ray: np.ndarray
    solid_owner: np.ndarray
    chord: np.ndarray
    solid_triangle: np.ndarray


class RayEngine:
    """Ray queries against all triangles of a scene.

    Parameters
    ----------
    scene : Scene
        The geometry is copied at construction; later scene edits need a new engine.
    threads : int, optional
        At most this many threads per query (never more than the process setting,
        :func:`set_default_threads`). Default: the process setting at the time of each query.
    """

    def __init__(self, scene: Scene, threads: int | None = None) -> None:
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ValueError(f"ray threads must be an integer >= 1, got {threads!r}")
        self.threads = threads
        self.object_names: tuple[str, ...] = tuple(obj.name for obj in scene.objects)
        self.object_kinds: tuple[ObjectKind, ...] = tuple(obj.kind for obj in scene.objects)
        vertex_blocks, face_blocks, owners = [], [], []
        offset = 0
        for index, obj in enumerate(scene.objects):
            vertex_blocks.append(np.asarray(obj.vertices, dtype=np.float64))
            face_blocks.append(np.asarray(obj.faces, dtype=np.int64) + offset)
            owners.append(np.full(len(obj.faces), index, dtype=np.int64))
            offset += len(obj.vertices)
        vertices = np.vstack(vertex_blocks) if vertex_blocks else np.zeros((0, 3))
        faces = np.vstack(face_blocks) if face_blocks else np.zeros((0, 3), dtype=np.int64)
        self.triangle_object: np.ndarray = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
        """(F,) int64: the object each triangle belongs to."""

        corners = vertices[faces]
        cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        norms = np.linalg.norm(cross, axis=1)
        usable = norms > 0.0
        self.triangle_normals: np.ndarray = np.zeros_like(cross)
        """(F, 3) float64: unit normals as wound; zero for degenerate triangles."""
        self.triangle_normals[usable] = cross[usable] / norms[usable, None]
        # Per-triangle tables with one more row for "no triangle" (index -1): a batch's hits
        # and misses are then looked up in one gather, without masks.
        self._plane_offset = np.append(np.einsum("ij,ij->i", self.triangle_normals, corners[:, 0]) if len(faces) else [], 0.0)
        self._centroids = np.vstack([corners.mean(axis=1) if len(faces) else np.zeros((0, 3)), np.zeros((1, 3))])
        self._normal_or_none = np.vstack([self.triangle_normals, np.zeros((1, 3))])
        self._object_or_none = np.append(self.triangle_object, -1)
        self._object_boxes = np.array([obj.bounds for obj in scene.objects]).reshape(-1, 2, 3)
        """(O, 2, 3) float64: each object's [min, max] corner, metres."""
        solid_objects = np.array([kind is ObjectKind.SOLID for kind in self.object_kinds], dtype=bool)
        self._solid_triangle = solid_objects[self.triangle_object] if len(faces) else np.zeros(0, dtype=bool)
        self._solid_object = np.flatnonzero(solid_objects)
        self._solid_boxes = self._object_boxes[self._solid_object]
        extent = float(np.abs(vertices).max()) if len(vertices) else 1.0
        # Far from the origin float32 rounding grows; the step must stay well above it.
        self._step_m = max(MIN_STEP_M, 4e-7 * extent)

        # Solids and surfaces get their own acceleration structures as well as a joint one:
        # a machine standing on the floor shares its bottom face's plane with the floor, and
        # one structure would report either face there, hiding the solid's exit.
        # The compiled loops are loaded with the first engine, not at import: Numba loads SciPy,
        # which the window's start-up does without.
        self._kernels = importlib.import_module("twinloc.geometry.ray_kernels")
        make_backend = _backend_factory()
        self._everything = _TriangleSet(make_backend, vertices, faces, usable)
        self._solids = _TriangleSet(make_backend, vertices, faces, usable & self._solid_triangle)
        self._surfaces = _TriangleSet(make_backend, vertices, faces, usable & ~self._solid_triangle)
        self._backend_name = make_backend.name

    @property
    def backend(self) -> str:
        """"embree" or "trimesh"."""
        return self._backend_name

    # ------------------------------------------------------------------ public queries

    def first_hit(self, origins, directions, max_distance=None) -> FirstHits:
        """The first triangle each ray meets.

        Parameters
        ----------
        origins : (N, 3) float, metres
        directions : (N, 3) float; any non-zero length, normalised here.
        max_distance : float or (N,) float, metres, optional
            Hits farther than this are misses. Default: unlimited.

        Returns
        -------
        FirstHits
        """
        origins = _points(origins, "origins")
        directions = _points(directions, "directions")
        count = len(origins)
        if len(directions) != count:
            raise ValueError(f"got {count} origins but {len(directions)} directions")
        limit = None
        if max_distance is not None:
            limit = np.broadcast_to(np.asarray(max_distance, dtype=np.float64), (count,))
            if np.any(np.isnan(limit)) or np.any(limit < 0.0):
                raise ValueError("max_distance must be >= 0")
        hits = FirstHits(distance=np.empty(count), triangle=np.empty(count, dtype=np.int64),
                         object_index=np.empty(count, dtype=np.int64), normal=np.empty((count, 3)))

        def block(start: int, stop: int) -> None:
            unit, zero = self._kernels.unit_rays(directions[start:stop])
            if zero:
                raise ValueError("directions must be non-zero")
            block_origins = origins[start:stop]
            if self._everything.empty:
                hit = np.full(stop - start, -1, dtype=np.int32)  # as Embree answers
            else:
                hit = self._everything.backend.closest(block_origins, unit, None if limit is None else limit[start:stop])
            self._kernels.record_first_hits(
                hit, self._everything.index_or_none, self._normal_or_none, self._plane_offset, self._centroids,
                self._object_or_none, block_origins, unit, hits.triangle[start:stop], hits.distance[start:stop],
                hits.object_index[start:stop], hits.normal[start:stop])

        run_blocks(count, block, self.threads, FIRST_HIT_BLOCK_RAYS)
        return hits

    def segment_crossings(self, starts, ends) -> SegmentCrossings:
        """What each segment from ``starts[i]`` to ``ends[i]`` passes through, per object.

        Hits within ``END_TOLERANCE_M`` of either end are ignored. A segment that starts or
        ends inside a solid counts the part inside it.

        Parameters
        ----------
        starts, ends : (N, 3) float, metres

        Returns
        -------
        SegmentCrossings
        """
        events = self.crossing_events(starts, ends)
        count, n_objects = events.count, len(self.object_names)
        size = count * n_objects
        solid_cell = events.solid_ray * n_objects + events.solid_owner
        surface_cell = events.surface_ray * n_objects + events.surface_owner
        # bincount of an empty list is integer whatever its weights: cast the sums.
        return SegmentCrossings(
            inside_length_m=np.bincount(solid_cell, events.chord, minlength=size).astype(np.float64).reshape(count, n_objects),
            surface_crossings=np.bincount(surface_cell, minlength=size).astype(np.int32).reshape(count, n_objects),
            surface_secant_sum=np.bincount(surface_cell, events.secant, minlength=size).astype(np.float64).reshape(count, n_objects),
        )

    def weighted_crossings(self, starts, ends, solid_weight, surface_weight, opaque, *, use_secant=False) -> WeightedCrossings:
        """Crossings of each segment summed with per-object weights, without per-object tables.

        The sum over solids of chord × ``solid_weight`` plus over surface crossings of
        ``surface_weight`` (× 1/|cos incidence| with ``use_secant``): for UWB ranging, the
        excess path. Cheaper than :meth:`segment_crossings` when only the sum is needed.

        Parameters
        ----------
        starts, ends : (N, 3) float, metres
        solid_weight : (O,) float; weight per metre inside each object (used for solids).
        surface_weight : (O,) float; weight per crossing of each object (used for surfaces).
        opaque : (O,) bool; crossing such an object marks the segment ``blocked``.
        use_secant : bool, default: False

        Returns
        -------
        WeightedCrossings
        """
        starts, ends = self._segments(starts, ends)
        solid_weight, surface_weight = np.asarray(solid_weight, float), np.asarray(surface_weight, float)
        opaque = np.asarray(opaque, dtype=bool)
        count = len(starts)
        result = WeightedCrossings(weighted=np.zeros(count), clear=np.ones(count, dtype=bool),
                                   blocked=np.zeros(count, dtype=bool))

        def block(start: int, stop: int) -> None:
            # Summed per block, on the block's thread: the sums are the same, the merge is gone.
            events = self._block_events(starts[start:stop], ends[start:stop])
            self._kernels.add_weighted_crossings(
                events.surface_ray, events.surface_owner, events.secant, events.solid_ray, events.solid_owner, events.chord,
                surface_weight, solid_weight, opaque, bool(use_secant), result.weighted[start:stop],
                result.clear[start:stop], result.blocked[start:stop])

        run_blocks(count, block, self.threads)
        return result

    def crossing_events(self, starts, ends) -> CrossingEvents:
        """Every surface crossing and every solid chord of each segment, as sparse lists.

        The same crossings as :meth:`segment_crossings`, with the triangle of each, for
        callers that need the faces crossed (their normals) and not per-object tables.

        Parameters
        ----------
        starts, ends : (N, 3) float, metres

        Returns
        -------
        CrossingEvents
        """
        starts, ends = self._segments(starts, ends)
        blocks = run_blocks(len(starts), lambda start, stop: self._block_events(starts[start:stop], ends[start:stop]),
                            self.threads)
        if len(blocks) <= 1:
            return blocks[0] if blocks else self._block_events(starts, ends)
        offsets = np.cumsum([0] + [events.count for events in blocks[:-1]])
        fields = {name: np.concatenate([getattr(events, name) for events in blocks])
                  for name in ("surface_owner", "secant", "surface_triangle", "solid_owner", "chord", "solid_triangle")}
        return CrossingEvents(
            count=len(starts),
            surface_ray=np.concatenate([events.surface_ray + offset for events, offset in zip(blocks, offsets)]),
            solid_ray=np.concatenate([events.solid_ray + offset for events, offset in zip(blocks, offsets)]),
            **fields,
        )

    @staticmethod
    def _segments(starts, ends) -> tuple[np.ndarray, np.ndarray]:
        """Checked (N, 3) float64 starts and ends, metres."""
        starts = _points(starts, "starts")
        ends = _points(ends, "ends")
        if starts.shape != ends.shape:
            raise ValueError(f"starts {starts.shape} and ends {ends.shape} must have the same shape")
        return starts, ends

    def _block_events(self, starts: np.ndarray, ends: np.ndarray) -> CrossingEvents:
        """:meth:`crossing_events` of one block of segments (rays numbered from 0 in the block)."""
        unit, length, stop, active = self._kernels.segment_frames(starts, ends, END_TOLERANCE_M)
        # One cast against everything first: segments that meet nothing (most links in open
        # space) need no walk through the solids and surfaces separately.
        first = self._closest(self._everything, starts + END_TOLERANCE_M * unit, unit, np.maximum(stop - END_TOLERANCE_M, 0.0))
        walked = active & (first >= 0)

        surface_ray, _, triangle_crossed = self._walk_segments(self._surfaces, starts, unit, stop, walked)
        cosine = np.abs(self._kernels.facing(triangle_crossed, surface_ray, self.triangle_normals, unit))
        surface_owner = self.triangle_object[triangle_crossed]
        secant = 1.0 / np.maximum(cosine, MIN_ABS_COS)

        ray, t, triangle = self._walk_segments(self._solids, starts, unit, stop, walked)
        entering = self._kernels.facing(triangle, ray, self.triangle_normals, unit) < 0.0
        chords = self._chords(starts, unit, length, stop, ray, triangle, t, entering)
        inside = self._segments_wholly_inside(starts, ends, unit, length, stop, active, ray)
        solid_ray, solid_owner, chord, solid_triangle = (np.concatenate(parts) for parts in zip(chords, inside))
        return CrossingEvents(
            count=len(starts), surface_ray=surface_ray, surface_owner=surface_owner, secant=secant,
            surface_triangle=triangle_crossed, solid_ray=solid_ray, solid_owner=solid_owner, chord=chord,
            solid_triangle=solid_triangle,
        )

    def points_inside_solids(self, points) -> np.ndarray:
        """Which points lie inside a SOLID object.

        A point on a solid's face (within about 1e-5 m) counts as outside.

        Parameters
        ----------
        points : (N, 3) float, metres

        Returns
        -------
        (N,) bool
        """
        points = _points(points, "points")
        if self._solids.empty or len(points) == 0:
            return np.zeros(len(points), dtype=bool)
        return np.concatenate(run_blocks(len(points), lambda start, stop: self._block_inside(points[start:stop]),
                                         self.threads))

    def _block_inside(self, points: np.ndarray) -> np.ndarray:
        """:meth:`points_inside_solids` of one block of points."""
        # A ray whose first face is a solid's exit starts inside that solid or on its face.
        # Both rays leave: inside. One leaves: on a face, or inside where two solids touch
        # (the other ray meets one's exit and the other's entry in one plane and may be told
        # either). A point on a face has that face within the offset behind the ray that
        # does not leave.
        exits = []
        for direction in (_INSIDE_DIRECTION, -_INSIDE_DIRECTION):
            unit = np.broadcast_to(direction, points.shape)
            triangle = self._closest(self._solids, points + _INSIDE_OFFSET_M * direction, unit, np.full(len(points), np.inf))
            exits.append(self._is_solid_exit(triangle, unit))
        inside = exits[0] & exits[1]
        undecided = np.flatnonzero(exits[0] ^ exits[1])
        outward = np.where(exits[0][undecided, None], -_INSIDE_DIRECTION, _INSIDE_DIRECTION)
        face_behind = self._closest(
            self._solids,
            points[undecided] - _INSIDE_OFFSET_M * outward,
            outward,
            np.full(len(undecided), 2.0 * _INSIDE_OFFSET_M),
        )
        inside[undecided] = face_behind < 0
        return inside

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _closest(triangles: _TriangleSet, origins, unit, limit) -> np.ndarray:
        """(N,) int64: the closest of ``triangles`` each ray meets within ``limit``, or -1."""
        if len(origins) == 0 or triangles.empty:
            return np.full(len(origins), -1, dtype=np.int64)
        return triangles.index_or_none[triangles.backend.closest(origins, unit, limit)]

    def _walk_segments(self, triangles: _TriangleSet, starts, unit, stop, active):
        """Cast along every active segment from hit to hit among ``triangles`` up to ``stop``.

        Returns the crossings as parallel arrays: ray (E,) int64, distance from the start
        (E,) float64 metres, triangle (E,) int64.
        """
        rays = np.flatnonzero(active) if not triangles.empty else np.zeros(0, dtype=np.int64)
        position = np.full(len(starts), END_TOLERANCE_M)
        step = np.full(len(starts), self._step_m)
        origins, directions, limits = self._kernels.walk_casts(rays, starts, unit, position, stop)
        events = []
        for _ in range(_MAX_SEGMENT_CASTS):
            if rays.size == 0:
                break
            hit = triangles.backend.closest(origins, directions, limits)
            rays, origins, directions, limits, *found = self._kernels.walk_step(
                rays, hit, origins, directions, triangles.index_or_none, self._normal_or_none, self._plane_offset,
                self._centroids, starts, unit, position, step, stop, self._step_m)
            events.append(found)
        if not events:
            return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
        return tuple(np.concatenate(part) for part in zip(*events))

    def _chords(self, starts, unit, length, stop, ray, triangle, t, entering):
        """Chord lengths from each segment's enter/exit events per solid object.

        A repeated enter keeps the last, a repeated exit the first (a tangent touch at an
        edge can report one face of a pair). A leading exit means the segment starts
        inside, a trailing enter that it ends inside; both are accepted only when the
        end lies in the solid's bounding box and a ray from it confirms it, otherwise the
        lone event is a tangent touch and is dropped.

        Returns (ray (K,) int64, object (K,) int64, chord (K,) float64 metres, first face
        met (K,) int64), one per (segment, solid) pair met.
        """
        ray, owner, triangle, entering, first, last, signed = self._kernels.solid_passages(
            ray, t, triangle, entering, self.triangle_object, len(self.object_names))
        trailing = np.flatnonzero(last & entering)
        if trailing.size:
            signed[trailing] += length[ray[trailing]]
            ends_inside = self._ends_inside(starts, unit, stop, ray[trailing], owner[trailing], forward=True)
            signed[trailing[~ends_inside]] = 0.0
        leading = np.flatnonzero(first & ~entering)
        if leading.size:
            starts_inside = self._ends_inside(starts, unit, stop, ray[leading], owner[leading], forward=False)
            signed[leading[~starts_inside]] = 0.0
        return self._kernels.passage_chords(ray, owner, triangle, first, signed, length)

    def _segments_wholly_inside(self, starts, ends, unit, length, stop, active, event_rays):
        """Segments with no event of any solid that lie wholly inside one: both ends in the
        solid's bounding box and the ray beyond the end leaves that solid.

        Returns (ray (K,) int64, object (K,) int64, length (K,) float64 metres, -1 (K,) int64
        for the face met, which there is none of).
        """
        quiet = active.copy()
        quiet[event_rays] = False
        candidates = np.flatnonzero(quiet)
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64))
        if candidates.size == 0 or self._solid_boxes.size == 0:
            return empty
        rays, box = self._kernels.ends_in_boxes(starts, ends, candidates, self._solid_boxes, self._step_m)
        if rays.size == 0:
            return empty
        owner = self._solid_object[box]
        confirmed = self._ends_inside(starts, unit, stop, rays, owner, forward=True)
        rays, owner = rays[confirmed], owner[confirmed]
        return rays, owner, length[rays], np.full(rays.size, -1, dtype=np.int64)

    def _ends_inside(self, starts, unit, stop, rays, owner, forward: bool) -> np.ndarray:
        """(K,) bool: the end (forward) or start of each segment lies inside solid ``owner``.

        The point must lie in the solid's bounding box and the ray leaving it away from
        the segment must meet that solid's face from inside first.
        """
        point = _rows(starts, rays) + (np.take(stop, rays)[:, None] if forward else END_TOLERANCE_M) * _rows(unit, rays)
        boxes = self._object_boxes[owner]
        in_box = np.all((point >= boxes[:, 0] - self._step_m) & (point <= boxes[:, 1] + self._step_m), axis=1)
        result = np.zeros(len(rays), dtype=bool)
        if not in_box.any():
            return result
        direction = unit[rays[in_box]] if forward else -unit[rays[in_box]]
        triangle = self._closest(self._solids, point[in_box], direction, np.full(int(in_box.sum()), np.inf))
        result[in_box] = self._is_solid_exit(triangle, direction, owner[in_box])
        return result

    def _is_solid_exit(self, triangle, unit, owner=None) -> np.ndarray:
        """(N,) bool: the ray with direction ``unit`` leaves a solid (of ``owner``) there."""
        valid = np.flatnonzero(triangle >= 0)
        result = np.zeros(len(triangle), dtype=bool)
        tri = np.take(triangle, valid)
        leaving = _row_dot(_rows(self.triangle_normals, tri), _rows(unit, valid)) > 0.0
        ok = self._solid_triangle[tri] & leaving
        if owner is not None:
            ok &= self.triangle_object[tri] == np.take(owner, valid)
        result[valid] = ok
        return result


# ---------------------------------------------------------------------- backends


class _TriangleSet:
    """An acceleration structure over some of the engine's triangles.

    index_or_none : (K + 1,) int64, the engine's triangle index of each of the backend's
        triangles, then -1: indexed with the backend's answer, -1 (a miss) stays -1.
    """

    def __init__(self, make_backend, vertices: np.ndarray, faces: np.ndarray, selected: np.ndarray) -> None:
        self.index = np.flatnonzero(selected)
        self.index_or_none = np.append(self.index, -1)
        self.empty = self.index.size == 0
        self.backend = None if self.empty else make_backend(vertices, faces[self.index])


class _EmbreeBackend:
    name = "embree"

    def __init__(self, rtcore_scene, triangle_mesh, vertices: np.ndarray, faces: np.ndarray) -> None:
        self._scene = rtcore_scene.EmbreeScene()
        self._vertices = np.ascontiguousarray(vertices, dtype=np.float32)
        self._faces = np.ascontiguousarray(faces, dtype=np.int32)
        self._mesh = triangle_mesh(self._scene, self._vertices, self._faces)

    def closest(self, origins, unit, limit) -> np.ndarray:
        """(N,) int32: closest triangle within ``limit`` (None: unlimited; index into the
        backend's faces), -1 on a miss."""
        # Asking Embree for the primitive only is the fastest query embreex offers;
        # distances are recomputed in float64 by the engine anyway.
        return self._scene.run(
            np.ascontiguousarray(origins, dtype=np.float32),
            np.ascontiguousarray(unit, dtype=np.float32),
            dists=None if limit is None else np.ascontiguousarray(limit, dtype=np.float32),
        )


class _TrimeshBackend:
    name = "trimesh"

    def __init__(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        import trimesh
        from trimesh.ray.ray_triangle import RayMeshIntersector

        self._intersector = RayMeshIntersector(trimesh.Trimesh(vertices, faces, process=False))

    def closest(self, origins, unit, limit) -> np.ndarray:
        """(N,) int64: closest triangle within ``limit`` (None: unlimited), -1 on a miss."""
        limit = np.full(len(origins), np.inf) if limit is None else limit
        triangle = np.full(len(origins), -1, dtype=np.int64)
        index_tri, index_ray, locations = self._intersector.intersects_id(
            origins, unit, multiple_hits=True, return_locations=True
        )
        if len(index_ray):
            along = np.einsum("ij,ij->i", locations - origins[index_ray], unit[index_ray])
            within = (along >= 0.0) & (along <= limit[index_ray])
            index_tri, index_ray, along = index_tri[within], index_ray[within], along[within]
            # Nearest hit per ray: sort by distance, keep each ray's first.
            order = np.lexsort((along, index_ray))
            index_ray, index_tri, along = index_ray[order], index_tri[order], along[order]
            first = np.ones(len(index_ray), dtype=bool)
            first[1:] = index_ray[1:] != index_ray[:-1]
            triangle[index_ray[first]] = index_tri[first]
        return triangle


def _backend_factory():
    """A callable (vertices, faces) -> backend, with its ``name``: Embree, else trimesh (warned)."""
    try:
        from embreex import rtcore_scene
        from embreex.mesh_construction import TriangleMesh
    except ImportError as error:
        warnings.warn(
            f"embreex is not available ({error}); ray queries use trimesh's much slower intersector",
            RuntimeWarning,
            stacklevel=3,
        )
        return _TrimeshBackend

    def make_embree(vertices, faces):
        return _EmbreeBackend(rtcore_scene, TriangleMesh, vertices, faces)

    make_embree.name = "embree"
    return make_embree


def _points(values, what: str) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=np.float64)  # the compiled loops take C arrays
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"{what} must have shape (N, 3), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite")
    return array


def _row_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) float64: the dot product of each row of two (N, 3) arrays.

    Column by column: several times faster than einsum on three columns.
    """
    total = a[:, 0] * b[:, 0]
    total += a[:, 1] * b[:, 1]
    total += a[:, 2] * b[:, 2]
    return total


def _rows(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``array[index]`` of an (N, 3) array and (K,) integer index, as (K, 3).

    ``np.take`` along axis 0: four times faster than fancy indexing of rows, and it lets
    other ray threads run meanwhile (the fancy index holds the GIL throughout).
    """
    return np.take(array, index, axis=0)
