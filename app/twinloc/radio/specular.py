"""Specular paths from one transmitter to many receiver points: the direct path and
reflections found by the image method, with the field each path delivers.

The transmitter is an isotropic antenna with vertical polarisation: a path leaves it with a
unit field along the zenith unit vector (theta-hat) of its departure direction, as Sionna
RT's vertically polarised isotropic pattern. At each reflection the field is split into its
TE component (along k_in x n) and its TM component and each is multiplied by its Fresnel
coefficient (Sionna's Jones-matrix convention, ``sionna.rt.utils.jones``): a surface
reflects as a slab of its material's thickness, a solid's outward face as a half-space.
Along every segment, each wall crossed multiplies the field by the slab's TE/TM
transmission coefficients: a surface as a slab of its material's thickness, a solid as a
slab as thick as the chord's projection on the normal of the face it enters through (a box
wall and a surface of the same thickness transmit alike). A segment through an opaque
(metal) object carries nothing. Transmissions do not count toward a path's depth, which
counts reflections only.

Reflecting planes are the scene's coplanar triangles grouped per object
(``geometry.faces``), so a wall side is one mirror. Candidate sequences of planes are
pruned before any ray is cast: a solid face reflects only on its outward side, a pair of
planes is kept only when each one's bounding box reaches in front of the other where the
wave meets it, and each reflection point must fall within its plane's bounding box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.geometry.faces import planar_faces
from twinloc.geometry.ray_engine import CrossingEvents, RayEngine
from twinloc.geometry.scene import ObjectKind, Scene
from twinloc.radio import fresnel
from twinloc.radio.itu import check_frequency, complex_relative_permittivity, wavelength_m

#: Deepest reflection order traced.
MAX_DEPTH = 3
#: Most candidate (plane sequence, point) pairs examined per reflection order and transmitter.
MAX_CANDIDATES = 50_000_000
#: Points nearer a plane than this, metres, are taken to lie on it (no reflection there).
SIDE_TOLERANCE_M = 1e-4
# A reflection point is on its face when a cast from this far in front of it meets the face.
_FACE_PROBE_M = 1e-3
# Candidate (sequence, point) pairs handled at once: bounds the memory of one block.
_BLOCK = 250_000


@dataclass(frozen=True)
class SpecularPaths:
    """Every path found from one transmitter, flat over all receiver points.

    point : (N,) int64, index of the receiver point each path reaches.
    depth : (N,) int64, number of reflections.
    length_m : (N,) float64, metres along the path.
    field : (N, 3) complex128, the field arriving of a unit vertically polarised isotropic
        source, from the reflection and transmission coefficients alone (no spreading, no
        propagation phase).
    departure : (N, 3) float64, unit direction in which the path leaves the transmitter.
    arrival : (N, 3) float64, unit direction of propagation at the receiver.
    """

    point: np.ndarray
    depth: np.ndarray
    length_m: np.ndarray
    field: np.ndarray
    departure: np.ndarray
    arrival: np.ndarray


@dataclass(frozen=True)
class DirectLinks:
    """The straight link from the transmitter to each receiver point.

    los : (P,) bool, the link crosses nothing.
    blocked : (P,) bool, the link crosses an opaque object.
    excess_m : (P,) float64, metres: sum over the walls crossed of thickness (surfaces) or
        chord (solids) times (sqrt(eta') - 1), as the UWB maps model the NLOS excess.
    crossings : (P, M) int32, walls and solids crossed per material (``PathTracer.material_names``).
    """

    los: np.ndarray
    blocked: np.ndarray
    excess_m: np.ndarray
    crossings: np.ndarray


class _Chains(NamedTuple):
    """Candidate chains of one reflection order: sequences (K, d) int64 planes, point (K,) int64
    receiver point index, chain (K, d + 2, 3) metres (tx, reflection points, receiver), on_faces
    (K,) bool every reflection point is on a triangle of its plane."""

    sequences: np.ndarray
    point: np.ndarray
    chain: np.ndarray
    on_faces: np.ndarray


@dataclass(frozen=True, eq=False)
class TraceRecord:
    """A trace and what it examined, kept so that :meth:`PathTracer.retrace` can update it.

    tx : (3,) metres. points : (P, 3) metres. paths, direct : what :meth:`PathTracer.trace` gives.
    source : (N,) int64, each path's chain in ``chains[depth - 1]`` (its point for a direct path).
    chains : per reflection order 1..max_depth, the candidate chains (on their faces or not).
    plane_keys : (object name, rank of the plane within its object) of each plane traced.
    touched : (P,) bool, the points :meth:`PathTracer.retrace` traced again (None for a fresh trace).
    """

    tx: np.ndarray
    points: np.ndarray
    paths: SpecularPaths
    source: np.ndarray
    chains: tuple[_Chains, ...]
    direct: DirectLinks
    plane_keys: tuple[tuple[str, int], ...]
    touched: np.ndarray | None = None


class PathTracer:
    """Specular paths in one scene at one frequency.

    Parameters
    ----------
    scene : Scene
    engine : RayEngine built on ``scene``.
    frequency_hz : float

    Raises
    ------
    ValueError
        ``frequency_hz`` is outside the validity range of a material the scene's objects use.
    """

    def __init__(self, scene: Scene, engine: RayEngine, frequency_hz: float) -> None:
        used = [scene.material_of(obj) for obj in scene.objects]
        check_frequency(used, frequency_hz)
        self.engine = engine
        self.faces = planar_faces(scene)
        if len(self.faces.triangle_plane) != len(engine.triangle_object):
            raise ValueError("the ray engine was built from another scene")
        self.wavelength_m = wavelength_m(frequency_hz)
        self.material_names: tuple[str, ...] = tuple(sorted(scene.materials))
        index = {name: i for i, name in enumerate(self.material_names)}
        self._object_material = np.array([index[obj.material] for obj in scene.objects], dtype=np.int64)
        self._eta = np.array([complex_relative_permittivity(m, frequency_hz) for m in used], dtype=np.complex128)
        self._thickness = np.array([m.thickness_m for m in used], dtype=np.float64)
        self._opaque = np.array([m.opaque for m in used], dtype=bool)
        self._solid = np.array([obj.kind is ObjectKind.SOLID for obj in scene.objects], dtype=bool)
        self._excess_factor = np.sqrt(self._eta.real) - 1.0
        self._plane_low, self._plane_high = _plane_boxes(scene, self.faces)

    def trace(self, tx, points, max_depth: int, *, cancel: CancelToken | None = None,
              progress: ProgressFn = report_nothing) -> tuple[SpecularPaths, DirectLinks]:
        """Paths from ``tx`` to every point with at most ``max_depth`` reflections.

        Parameters
        ----------
        tx : (3,) float, metres
        points : (P, 3) float, metres
        max_depth : int, 0 to MAX_DEPTH
        cancel : CancelToken, optional; checked between blocks of candidates.
        progress : ProgressFn, reports per reflection order.

        Returns
        -------
        (SpecularPaths, DirectLinks)
        """
        record = self.recorded_trace(tx, points, max_depth, cancel=cancel, progress=progress)
        return record.paths, record.direct

    def recorded_trace(self, tx, points, max_depth: int, *, cancel: CancelToken | None = None,
                       progress: ProgressFn = report_nothing) -> TraceRecord:
        """:meth:`trace` with the candidate chains it examined, for :meth:`retrace`."""
        tx = np.asarray(tx, dtype=np.float64).reshape(3)
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        if not 0 <= max_depth <= MAX_DEPTH:
            raise ValueError(f"max_depth must be 0 to {MAX_DEPTH}, got {max_depth}")
        cancel = cancel or CancelToken()
        progress(0.0, "Direct paths")
        direct, found = self._direct_paths(tx, points, np.arange(len(points)))
        sources, chains = [found.point], []
        for depth in range(1, max_depth + 1):
            cancel.raise_if_cancelled()
            progress((depth - 1) / max_depth, f"Reflections of order {depth}")
            chains.append(self._examined(tx, points, depth, None, cancel))
            paths, source = self._chain_paths(chains[-1], np.ones(len(chains[-1].point), dtype=bool))
            found = _joined([found, paths])
            sources.append(source)
        progress(1.0, "Paths traced")
        return TraceRecord(tx, points, found, np.concatenate(sources), tuple(chains), direct, _plane_keys(self.faces))

    def retrace(self, record: TraceRecord, edited: set[str], boxes, cancel: CancelToken | None = None) -> TraceRecord:
        """``record`` (traced in another scene) as a trace in this scene, where only the objects
        named in ``edited`` differ and lie within ``boxes`` (E, 2, 3) metres (their bounds in
        either scene, already grown by any margin wanted).

        Only what the edit can reach is traced again: the direct links and the chains with a
        leg meeting a box (their reflection points included), and the chains reflecting off an
        edited object's planes (those of the old scene dropped, those of this one found). The
        rest keep their recorded fields. Also gives ``touched`` (P,) bool on the result: the
        points where anything was traced again.
        """
        cancel = cancel or CancelToken()
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 2, 3)
        keys = _plane_keys(self.faces)
        new_plane = {key: plane for plane, key in enumerate(keys)}
        old_to_new = np.array([-1 if key[0] in edited else new_plane.get(key, -1) for key in record.plane_keys],
                              dtype=np.int64)
        edited_planes = np.array([plane for plane, key in enumerate(keys) if key[0] in edited], dtype=np.int64)
        points, tx = record.points, record.tx
        near = segments_meet_boxes(np.broadcast_to(tx, points.shape), points, boxes)
        touched = near.copy()
        again = np.flatnonzero(near)
        direct_again, straight = self._direct_paths(tx, points[again], again)
        direct = DirectLinks(*(_put(getattr(record.direct, name), again, getattr(direct_again, name))
                               for name in DirectLinks.__dataclass_fields__))
        kept_direct = (record.paths.depth == 0) & ~near[record.paths.point]
        found = _joined([_subset(record.paths, kept_direct), straight])
        sources, chains = [np.concatenate([record.source[kept_direct], straight.point])], []
        for depth, old in enumerate(record.chains, start=1):
            cancel.raise_if_cancelled()
            planes = old_to_new[old.sequences]
            dropped = (planes < 0).any(axis=1)
            legs = segments_meet_boxes(old.chain[:, :-1].reshape(-1, 3), old.chain[:, 1:].reshape(-1, 3),
                                       boxes).reshape(-1, depth + 1).any(axis=1)
            redo = ~dropped & legs
            kept = ~dropped & ~legs
            touched[old.point[dropped | legs]] = True
            fresh = self._examined(tx, points, depth, edited_planes, cancel)
            touched[fresh.point] = True
            kept_rows, redo_rows = np.flatnonzero(kept), np.flatnonzero(redo)
            redone = _Chains(planes[redo_rows], old.point[redo_rows], old.chain[redo_rows],
                             self._on_faces(old.chain[redo_rows], planes[redo_rows]))
            merged = _Chains(*(np.concatenate([a[kept_rows], b, c]) for a, b, c in zip(
                (planes, old.point, old.chain, old.on_faces), redone, fresh)))
            chains.append(merged)
            # Paths of kept chains keep their fields; the others' are computed here.
            position = np.full(len(old.point), -1, dtype=np.int64)
            position[kept_rows] = np.arange(len(kept_rows))
            of_depth = record.paths.depth == depth
            recorded = np.zeros(len(record.paths.depth), dtype=bool)
            recorded[of_depth] = position[record.source[of_depth]] >= 0
            computed = np.arange(len(merged.point)) >= len(kept_rows)
            paths, source = self._chain_paths(merged, computed)
            found = _joined([found, _subset(record.paths, recorded), paths])
            sources.append(np.concatenate([position[record.source[recorded]], source]))
        return TraceRecord(tx, points, found, np.concatenate(sources), tuple(chains), direct, keys, touched)

    def _direct_paths(self, tx, points, point_index) -> tuple[DirectLinks, SpecularPaths]:
        """The direct links from ``tx`` to ``points`` and the paths along them, reaching ``point_index``."""
        starts = np.broadcast_to(tx, points.shape)
        events = self.engine.crossing_events(starts, points)
        paths, _ = self._paths(np.stack([starts, points], axis=1), np.zeros((len(points), 0), dtype=np.int64),
                               point_index, first_events=events)
        return self._direct_links(events), paths

    def _examined(self, tx, points, depth: int, only_planes, cancel: CancelToken) -> _Chains:
        """The candidate chains of ``depth`` reflections (of the sequences holding a plane of
        ``only_planes`` when given) and which are on their faces."""
        blocks = list(self._candidates(tx, points, depth, cancel, only_planes))
        if not blocks:
            return _Chains(np.zeros((0, depth), dtype=np.int64), np.zeros(0, dtype=np.int64),
                           np.zeros((0, depth + 2, 3)), np.zeros(0, dtype=bool))
        sequences, point_index, chain = (np.concatenate(parts) for parts in zip(*blocks))
        return _Chains(sequences, point_index, chain, self._on_faces(chain, sequences))

    def _chain_paths(self, chains: _Chains, rows: np.ndarray) -> tuple[SpecularPaths, np.ndarray]:
        """The paths of the chains marked in ``rows`` (N,) bool that are on their faces, and
        each path's chain (index into ``chains``)."""
        chosen = np.flatnonzero(rows & chains.on_faces)
        paths, alive = self._paths(chains.chain[chosen], chains.sequences[chosen], chains.point[chosen])
        return paths, chosen[alive]

    # ------------------------------------------------------------------ candidates

    def _candidates(self, tx, points, depth: int, cancel: CancelToken, only_planes=None):
        """Blocks of (sequences (K, depth) int64 planes, point index (K,) int64, chains
        (K, depth + 2, 3) metres: tx, the reflection points in order, the point) whose
        reflection points each lie on their plane's side toward the wave and within its
        bounding box (cheap tests before any ray is cast); only the sequences holding a plane
        of ``only_planes`` when given."""
        sequences, images = self._plane_sequences(tx, depth)
        if only_planes is not None:
            holding = np.isin(sequences, only_planes).any(axis=1)
            sequences, images = sequences[holding], images[holding]
        if len(sequences) * len(points) > MAX_CANDIDATES:
            raise ValueError(
                f"{len(sequences):,} sequences of {depth} reflections over {len(points):,} points exceed "
                f"{MAX_CANDIDATES:,} candidates; trace fewer reflections or fewer points"
            )
        faces = self.faces
        per_block = max(1, _BLOCK // max(len(points), 1))
        for start in range(0, len(sequences), per_block):
            cancel.raise_if_cancelled()
            block = slice(start, start + per_block)
            plane = sequences[block, -1]
            image_side = np.einsum("ij,ij->i", faces.normal[plane], images[block, -1]) - faces.offset[plane]
            point_side = points @ faces.normal[plane].T - faces.offset[plane]  # (P, K)
            # The point must lie on the side the wave comes from, opposite the last image, and
            # the line from it to that image must cross the last plane within the plane's box.
            reach = (point_side * image_side[None, :] < 0.0) & (np.abs(point_side) > SIDE_TOLERANCE_M)
            t = np.where(reach, point_side / np.where(reach, point_side - image_side[None, :], 1.0), 0.0)
            last = points[:, None, :] + t[:, :, None] * (images[block, -1][None, :, :] - points[:, None, :])
            reach &= np.all((last >= self._plane_low[plane] - SIDE_TOLERANCE_M)
                            & (last <= self._plane_high[plane] + SIDE_TOLERANCE_M), axis=2)
            point_index, sequence_index = np.nonzero(reach)
            chain = np.empty((len(point_index), depth + 2, 3))
            chain[:, 0] = tx
            chain[:, -1] = points[point_index]
            chain[:, -2] = last[point_index, sequence_index]
            sequence_index += start
            alive = np.arange(len(point_index))
            target = chain[:, -2]
            # Walk on back: each earlier reflection point is where the line to the image of
            # that order crosses its plane, and must fall within the plane's box.
            for level in range(depth - 2, -1, -1):
                plane = sequences[sequence_index[alive], level]
                image = images[sequence_index[alive], level]
                normal = faces.normal[plane]
                target_side = np.einsum("ij,ij->i", normal, target) - faces.offset[plane]
                image_side = np.einsum("ij,ij->i", normal, image) - faces.offset[plane]
                crossing = (target_side * image_side < 0.0) & (np.abs(target_side) > SIDE_TOLERANCE_M)
                t = target_side[crossing] / (target_side[crossing] - image_side[crossing])
                alive, plane = alive[crossing], plane[crossing]
                point = target[crossing] + t[:, None] * (image[crossing] - target[crossing])
                inside = np.all((point >= self._plane_low[plane] - SIDE_TOLERANCE_M)
                                & (point <= self._plane_high[plane] + SIDE_TOLERANCE_M), axis=1)
                alive, target = alive[inside], point[inside]
                chain[alive, level + 1] = target
            yield sequences[sequence_index[alive]], point_index[alive], chain[alive]

    def _plane_sequences(self, tx, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Sequences (K, depth) of planes the wave from ``tx`` can meet in turn, and the images
        of ``tx`` after each reflection of each sequence (K, depth, 3) metres."""
        faces = self.faces
        centre = (self._plane_low + self._plane_high) / 2.0
        half = (self._plane_high - self._plane_low) / 2.0
        sequences = np.zeros((1, 0), dtype=np.int64)
        images = np.zeros((1, 0, 3))
        for level in range(depth):
            sources = images[:, -1] if level else tx[None]
            if len(sources) == 0:  # no sequence of ``level`` reflections exists, so none longer
                break
            if len(sources) * faces.count > MAX_CANDIDATES:
                raise ValueError(f"more than {MAX_CANDIDATES:,} sequences of {level + 1} reflections in this scene's "
                                 f"{faces.count:,} planes; trace fewer reflections")
            parents, planes = [], []
            per_block = max(1, _BLOCK // max(faces.count, 1))
            for start in range(0, len(sources), per_block):
                rows = np.arange(start, min(start + per_block, len(sources)))
                source = sources[rows]
                side = source @ faces.normal.T - faces.offset  # (K, planes)
                # Each image lies behind the plane it was mirrored in; the wave it stands for
                # meets the next plane from the image's side, which must be a solid's outside.
                allowed = np.where(faces.two_sided, np.abs(side) > SIDE_TOLERANCE_M, side > SIDE_TOLERANCE_M)
                if level:
                    previous = sequences[rows, -1]
                    allowed[np.arange(len(rows)), previous] = False
                    # The next plane's box must reach in front of the previous plane (where the
                    # reflected wave goes) and the previous plane's box in front of the next
                    # (where the wave meets it): bounds over the boxes' corners.
                    normal, offset = faces.normal[previous], faces.offset[previous]
                    middle = normal @ centre.T - offset[:, None]  # next planes' boxes from the previous plane
                    reach = np.abs(normal) @ half.T
                    wave_side = -np.sign(np.einsum("ij,ij->i", normal, source) - offset)[:, None]
                    ahead = np.where(wave_side > 0.0, middle + reach > SIDE_TOLERANCE_M, middle - reach < -SIDE_TOLERANCE_M)
                    middle = centre[previous] @ faces.normal.T - faces.offset  # the previous plane's box from the next
                    reach = half[previous] @ np.abs(faces.normal).T
                    behind = np.where(side > 0.0, middle + reach > SIDE_TOLERANCE_M, middle - reach < -SIDE_TOLERANCE_M)
                    allowed &= ahead & behind
                parent, plane = np.nonzero(allowed)
                parents.append(rows[parent])
                planes.append(plane)
            parent, plane = np.concatenate(parents), np.concatenate(planes)
            sequences = np.column_stack([sequences[parent], plane])
            images = np.concatenate([images[parent], faces.mirror(sources[parent], plane)[:, None]], axis=1)
        return sequences, images

    def _on_faces(self, chain, sequences) -> np.ndarray:
        """(K,) bool: every reflection point is on a triangle of its plane, seen from the side
        the wave arrives from."""
        faces = self.faces
        count, depth = sequences.shape
        keep = np.isfinite(chain).all(axis=(1, 2))
        for level in range(depth):
            rows = np.flatnonzero(keep)
            if rows.size == 0:
                break
            plane = sequences[rows, level]
            point = chain[rows, level + 1]
            normal = faces.normal[plane]
            toward = np.sign(np.einsum("ij,ij->i", normal, chain[rows, level]) - faces.offset[plane])
            probe = normal * toward[:, None]
            hits = self.engine.first_hit(point + _FACE_PROBE_M * probe, -probe, 2.0 * _FACE_PROBE_M)
            keep[rows] = hits.hit & (faces.triangle_plane[np.maximum(hits.triangle, 0)] == plane)
        return keep

    # ------------------------------------------------------------------ fields

    def _paths(self, chain, sequences, point_index, first_events: CrossingEvents | None = None):
        """The field each chain of points delivers, chains through an opaque object dropped, and
        (K,) bool the chains kept."""
        count, depth = sequences.shape
        legs = np.diff(chain, axis=1)
        leg_length = np.linalg.norm(legs, axis=2)
        unit = legs / np.maximum(leg_length, 1e-300)[:, :, None]
        field = theta_hat(unit[:, 0]).astype(np.complex128)
        alive = np.ones(count, dtype=bool)
        for leg in range(depth + 1):
            events = first_events if leg == 0 and first_events is not None else \
                self.engine.crossing_events(chain[:, leg], chain[:, leg + 1])
            field, blocked = self._transmit(field, unit[:, leg], events)
            alive &= ~blocked
            if leg < depth:
                field = self._reflect(field, unit[:, leg], unit[:, leg + 1], sequences[:, leg])
        return SpecularPaths(
            point=point_index[alive], depth=np.full(int(alive.sum()), depth, dtype=np.int64),
            length_m=leg_length[alive].sum(axis=1), field=field[alive],
            departure=unit[alive, 0], arrival=unit[alive, -1],
        ), alive

    def _transmit(self, field, unit, events: CrossingEvents) -> tuple[np.ndarray, np.ndarray]:
        """Fields after every wall each segment crosses, and which segments an opaque object blocks."""
        blocked = self._blocked(events)
        normal_of = self.engine.triangle_normals
        solid_normal = np.where((events.solid_triangle >= 0)[:, None], normal_of[np.maximum(events.solid_triangle, 0)],
                                unit[events.solid_ray])
        solid_cos = np.abs(np.einsum("ij,ij->i", solid_normal, unit[events.solid_ray]))
        ray = np.concatenate([events.surface_ray, events.solid_ray])
        owner = np.concatenate([events.surface_owner, events.solid_owner])
        normal = np.concatenate([normal_of[events.surface_triangle], solid_normal])
        thickness = np.concatenate([self._thickness[events.surface_owner], events.chord * solid_cos])
        field = field.copy()
        # One crossing per segment at a time, in the order the engine lists them.
        order = np.argsort(ray, kind="stable")
        ray, owner, normal, thickness = ray[order], owner[order], normal[order], thickness[order]
        first_of_ray = np.searchsorted(ray, ray, side="left")
        rank = np.arange(len(ray)) - first_of_ray
        for turn in range(int(rank.max()) + 1 if len(rank) else 0):
            now = rank == turn
            rows = ray[now]
            k = unit[rows]
            cos_theta = np.clip(np.abs(np.einsum("ij,ij->i", normal[now], k)), 0.0, 1.0)
            _, _, t_te, t_tm = fresnel.slab(cos_theta, self._eta[owner[now]], thickness[now], self.wavelength_m)
            field[rows] = _apply_jones(field[rows], k, k, normal[now], t_te, t_tm)
        return field, blocked

    def _reflect(self, field, k_in, k_out, plane) -> np.ndarray:
        """Fields after reflecting off ``plane`` (K,): slab coefficients for surfaces,
        half-space for solids."""
        owner = self.faces.object_index[plane]
        normal = self.faces.normal[plane]
        cos_theta = np.clip(np.abs(np.einsum("ij,ij->i", normal, k_in)), 0.0, 1.0)
        eta = self._eta[owner]
        r_te, r_tm, _, _ = fresnel.slab(cos_theta, eta, self._thickness[owner], self.wavelength_m)
        solid = self._solid[owner]
        if solid.any():
            r_te[solid], r_tm[solid] = fresnel.half_space(cos_theta[solid], eta[solid])
        return _apply_jones(field, k_in, k_out, normal, r_te, r_tm)

    def _blocked(self, events: CrossingEvents) -> np.ndarray:
        """(N,) bool: the segment crosses an opaque object."""
        blocked = np.zeros(events.count, dtype=bool)
        blocked[events.surface_ray[self._opaque[events.surface_owner]]] = True
        blocked[events.solid_ray[(events.chord > 0.0) & self._opaque[events.solid_owner]]] = True
        return blocked

    def _direct_links(self, events: CrossingEvents) -> DirectLinks:
        count = events.count
        materials = len(self.material_names)
        blocked = self._blocked(events)
        solid = events.chord > 0.0
        excess = np.zeros(count)
        excess += np.bincount(events.surface_ray, self._thickness[events.surface_owner] * self._excess_factor[events.surface_owner], minlength=count)
        excess += np.bincount(events.solid_ray[solid], events.chord[solid] * self._excess_factor[events.solid_owner[solid]], minlength=count)
        cells = np.concatenate([
            events.surface_ray * materials + self._object_material[events.surface_owner],
            events.solid_ray[solid] * materials + self._object_material[events.solid_owner[solid]],
        ])
        crossings = np.bincount(cells, minlength=count * materials).astype(np.int32).reshape(count, materials)
        return DirectLinks(los=~crossings.any(axis=1), blocked=blocked, excess_m=excess, crossings=crossings)


def _apply_jones(field, k_in, k_out, normal, c_te, c_tm) -> np.ndarray:
    """Field (K, 3) complex after an interaction with TE/TM coefficients ``c_te``, ``c_tm`` (K,):
    c_te (E.s) s + c_tm (E.p_in) p_out with s = k_in x n / |.|, p = k x s."""
    s = np.cross(k_in, normal)
    norm = np.linalg.norm(s, axis=1)
    # At normal incidence TE and TM are any pair of transverse axes (the coefficients then
    # agree up to the TM sign convention, which the p_out = -p_in flip absorbs).
    degenerate = norm < 1e-9
    if degenerate.any():
        reference = np.where((np.abs(k_in[degenerate, 0]) < 0.9)[:, None], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
        s[degenerate] = reference - np.einsum("ij,ij->i", reference, k_in[degenerate])[:, None] * k_in[degenerate]
        norm[degenerate] = np.linalg.norm(s[degenerate], axis=1)
    s = s / norm[:, None]
    p_in = np.cross(k_in, s)
    p_out = np.cross(k_out, s)
    along_s = np.einsum("ij,ij->i", field, s)
    along_p = np.einsum("ij,ij->i", field, p_in)
    return (c_te * along_s)[:, None] * s + (c_tm * along_p)[:, None] * p_out


def theta_hat(direction) -> np.ndarray:
    """Zenith unit vectors (N, 3) of unit directions (N, 3): the field of a vertically
    polarised antenna radiating that way."""
    x, y, z = direction[:, 0], direction[:, 1], direction[:, 2]
    theta = np.arccos(np.clip(z, -1.0, 1.0))
    phi = np.arctan2(y, x)
    return np.column_stack([np.cos(theta) * np.cos(phi), np.cos(theta) * np.sin(phi), -np.sin(theta)])


def _plane_boxes(scene: Scene, faces) -> tuple[np.ndarray, np.ndarray]:
    """Bounding boxes of the planes' triangles: low and high corners (P, 3), metres."""
    corners = np.vstack([np.asarray(obj.vertices, dtype=np.float64)[np.asarray(obj.faces, dtype=np.int64)].reshape(-1, 3)
                         for obj in scene.objects]) if scene.objects else np.zeros((0, 3))
    plane_of_corner = np.repeat(faces.triangle_plane, 3)
    usable = plane_of_corner >= 0
    low = np.full((faces.count, 3), np.inf)
    high = np.full((faces.count, 3), -np.inf)
    np.minimum.at(low, plane_of_corner[usable], corners[usable])
    np.maximum.at(high, plane_of_corner[usable], corners[usable])
    return low, high


def _joined(parts: list[SpecularPaths]) -> SpecularPaths:
    return SpecularPaths(*(np.concatenate([getattr(p, name) for p in parts]) for name in
                           ("point", "depth", "length_m", "field", "departure", "arrival")))


def segments_meet_boxes(starts, ends, boxes) -> np.ndarray:
    """(N,) bool: the segment from each of ``starts`` (N, 3) to ``ends`` (N, 3) metres meets a
    box of ``boxes`` (E, 2, 3) (low and high corners, metres; touching counts), by the slab test."""
    starts, ends = np.asarray(starts, dtype=np.float64), np.asarray(ends, dtype=np.float64)
    meets = np.zeros(len(starts), dtype=bool)
    lowest, highest = np.minimum(starts, ends), np.maximum(starts, ends)
    for low, high in np.asarray(boxes, dtype=np.float64).reshape(-1, 2, 3):
        # Only segments whose own bounds overlap the box can meet it (most, far off, cannot).
        rows = np.flatnonzero(np.all((lowest <= high) & (highest >= low), axis=1) & ~meets)
        start, direction = starts[rows], ends[rows] - starts[rows]
        flat = direction == 0.0
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 * inf along a flat axis, replaced below
            inverse = 1.0 / direction
            t0, t1 = (low - start) * inverse, (high - start) * inverse
        # Along an axis the segment does not move: inside the slab it never leaves, outside it never enters.
        inside = (start >= low) & (start <= high)
        enter = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(t0, t1)).max(axis=1)
        leave = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(t0, t1)).min(axis=1)
        meets[rows] = (enter <= leave) & (leave >= 0.0) & (enter <= 1.0)
    return meets


def _plane_keys(faces) -> tuple[tuple[str, int], ...]:
    """(object name, rank within the object) of each plane: the same plane in two scenes that
    differ in other objects has the same key."""
    first = {}
    for plane, owner in enumerate(faces.object_index.tolist()):
        first.setdefault(owner, plane)
    return tuple((faces.object_names[owner], plane - first[owner]) for plane, owner in enumerate(faces.object_index.tolist()))


def _subset(paths: SpecularPaths, rows: np.ndarray) -> SpecularPaths:
    return SpecularPaths(*(getattr(paths, name)[rows] for name in SpecularPaths.__dataclass_fields__))


def _put(full: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A copy of ``full`` with ``values`` at ``rows``."""
    out = full.copy()
    out[rows] = values
    return out
