"""Exact specular propagation paths between two points: the image method with validation.

The transmitter is mirrored in every reflecting plane, the images again in every other
plane, up to ``max_depth`` reflections. A candidate sequence of planes is a path when,
tracing back from the receiver toward each image in turn, the ray's first hit is a
triangle of that sequence's plane (the reflection point lies on the face and the leg is
unobstructed) and the last leg reaches the transmitter unobstructed. Reflection points
are the float64 intersections with the planes, so lengths and angles are exact to
rounding; Embree only decides which face a leg meets first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinloc.geometry.ray_engine import END_TOLERANCE_M, RayEngine
from twinloc.geometry.faces import PlanarFaces

SPEED_OF_LIGHT_M_S = 299_792_458.0

LEG_OFFSET_M = 1e-5
"""Legs are cast from this far past their start along the leg: ``first_hit`` has no minimum
distance, and float32 rounding would otherwise report the face a leg leaves."""

_SIDE_TOLERANCE_M = 1e-9

MAX_CANDIDATES = 1_000_000
"""Most candidate plane sequences the image tree may hold at one depth. The tree grows about
as (planes)^(depth): 128,000 sequences at 3 reflections in the 122 planes of the industrial
hall, 6.8 million at 4. Each sequence takes some 300 bytes while it is expanded and
validated, so a search at the limit stays near 300 MB; a deeper one is refused."""

#: Parents mirrored per block while the tree is expanded, so the (parents x planes) side
#: test never takes more than a few tens of megabytes.
_PARENTS_PER_BLOCK = 4096


@dataclass(frozen=True)
class Path:
    """One specular propagation path.

    points : (K + 2, 3) float64, metres: the transmitter, the K reflection points in the
        order the wave meets them, the receiver.
    objects : the name of the object of each reflection, K names.
    """

    points: np.ndarray
    objects: tuple[str, ...]

    @property
    def depth(self) -> int:
        """Number of reflections K (0: line of sight)."""
        return len(self.points) - 2

    @property
    def length_m(self) -> float:
        return float(np.linalg.norm(np.diff(self.points, axis=0), axis=1).sum())

    @property
    def delay_s(self) -> float:
        return self.length_m / SPEED_OF_LIGHT_M_S

    @property
    def departure_direction(self) -> np.ndarray:
        """(3,) unit vector in which the path leaves the transmitter."""
        return _unit(self.points[1] - self.points[0])

    @property
    def arrival_direction(self) -> np.ndarray:
        """(3,) unit vector from the receiver back toward where the path arrives from."""
        return _unit(self.points[-2] - self.points[-1])

    @property
    def aod_deg(self) -> tuple[float, float]:
        """(azimuth, elevation) of the departure at the transmitter, degrees."""
        return direction_angles_deg(self.departure_direction)

    @property
    def aoa_deg(self) -> tuple[float, float]:
        """(azimuth, elevation) of the arrival at the receiver, degrees."""
        return direction_angles_deg(self.arrival_direction)


class PathFinder:
    """Specular paths in one scene.

    Parameters
    ----------
    engine : RayEngine
        Built on the same scene as ``faces`` (same triangle order).
    faces : PlanarFaces
    """

    def __init__(self, engine: RayEngine, faces: PlanarFaces) -> None:
        if len(faces.triangle_plane) != len(engine.triangle_object):
            raise ValueError("faces and engine were built from different scenes")
        self.engine = engine
        self.faces = faces

    def paths(self, tx, rx, max_depth: int = 3) -> list[Path]:
        """Every path from ``tx`` to ``rx`` with at most ``max_depth`` reflections, shortest first.

        Parameters
        ----------
        tx, rx : (3,) float, metres
        max_depth : int, default: 3

        Returns
        -------
        list of Path

        Raises
        ------
        ValueError
            ``tx`` and ``rx`` are not three finite coordinates or are the same point, or
            the image tree exceeds MAX_CANDIDATES at some depth.
        """
        return self._search(tx, rx, max_depth, shortest_only=False)

    def strongest(self, tx, rx, max_depth: int = 3) -> Path | None:
        """The path a receiver measures: line of sight when clear, else the shortest reflected path.

        Searches the image tree with a bound: an image's distance to the receiver is a
        lower bound on the length of every path below it, so branches longer than the
        best path found so far are never expanded.

        Returns
        -------
        Path or None
            None when no path with at most ``max_depth`` reflections exists.
        """
        found = self._search(tx, rx, max_depth, shortest_only=True)
        return found[0] if found else None

    # ------------------------------------------------------------------ search

    def _search(self, tx, rx, max_depth: int, shortest_only: bool) -> list[Path]:
        tx = _point(tx, "tx")
        rx = _point(rx, "rx")
        if np.array_equal(tx, rx):
            raise ValueError("the transmitter and the receiver are the same point")
        if max_depth < 0:
            raise ValueError(f"max_depth must be >= 0, got {max_depth}")
        found: list[Path] = []
        if self._clear(rx[None], tx[None])[0]:
            found.append(Path(points=np.array([tx, rx]), objects=()))
            if shortest_only:
                return found
        bound = np.inf
        chain = np.zeros((1, 0, 3))
        planes = np.zeros((1, 0), dtype=np.int64)
        images = tx[None]
        for depth in range(1, max_depth + 1):
            # The bound prunes while the tree is expanded, so only the branches kept count
            # against MAX_CANDIDATES.
            chain, planes, images = self._expand(chain, planes, images, depth, rx, bound)
            if len(images) == 0:
                break
            points, kept = self._validate(chain, planes, tx, rx)
            for row, index in zip(points, kept):
                names = tuple(self.faces.object_names[o] for o in self.faces.object_index[planes[index]])
                found.append(Path(points=row, objects=names))
            if shortest_only and len(kept):
                bound = min(bound, min(p.length_m for p in found))
        found.sort(key=lambda p: p.length_m)
        return found[:1] if shortest_only else found

    def _expand(self, chain, planes, images, depth: int, rx, bound: float):
        """Children of every image: its mirror in each plane it can reflect off, kept when the
        child image lies nearer than ``bound`` to ``rx`` (a lower bound on the path's length)."""
        faces = self.faces
        parents, mirrors, children, total = [], [], [], 0
        for start in range(0, len(images), _PARENTS_PER_BLOCK):
            block = slice(start, start + _PARENTS_PER_BLOCK)
            signed = images[block] @ faces.normal.T - faces.offset
            # A solid's face reflects only waves arriving from outside it: the image (where
            # the wave seems to come from) must lie in front of the face.
            allowed = np.where(faces.two_sided, np.abs(signed) > _SIDE_TOLERANCE_M, signed > _SIDE_TOLERANCE_M)
            if planes.shape[1]:
                allowed[np.arange(allowed.shape[0]), planes[block, -1]] = False
            parent, plane = np.nonzero(allowed)
            parent += start
            child = faces.mirror(images[parent], plane)
            near = np.linalg.norm(child - rx, axis=1) < bound
            total += int(near.sum())
            if total > MAX_CANDIDATES:
                raise ValueError(
                    f"more than {MAX_CANDIDATES:,} candidate paths with {depth} reflections in this scene's "
                    f"{len(faces.normal)} reflecting planes; search fewer reflections"
                )
            parents.append(parent[near])
            mirrors.append(plane[near])
            children.append(child[near])
        parent = np.concatenate(parents) if parents else np.zeros(0, dtype=np.int64)
        plane = np.concatenate(mirrors) if mirrors else np.zeros(0, dtype=np.int64)
        child = np.concatenate(children) if children else np.zeros((0, 3))
        return (
            np.concatenate([chain[parent], child[:, None]], axis=1),
            np.column_stack([planes[parent], plane]),
            child,
        )

    def _validate(self, chain, planes, tx, rx):
        """Trace candidates back from ``rx``; returns their points (M, K + 2, 3) and rows kept (M,)."""
        count, depth = planes.shape
        alive = np.arange(count)
        current = np.broadcast_to(rx, (count, 3)).copy()
        points = np.zeros((count, depth + 2, 3))
        points[:, 0] = tx
        points[:, -1] = rx
        for level in range(depth - 1, -1, -1):
            plane = planes[alive, level]
            vector = chain[alive, level] - current
            normal = self.faces.normal[plane]
            along = np.einsum("ij,ij->i", normal, vector)
            safe = np.where(np.abs(along) > 1e-15, along, 1.0)
            t = (self.faces.offset[plane] - np.einsum("ij,ij->i", normal, current)) / safe
            ok = (np.abs(along) > 1e-15) & (t > 0.0) & (t < 1.0)
            alive, current, vector, t, plane = alive[ok], current[ok], vector[ok], t[ok], plane[ok]
            if alive.size == 0:
                break
            leg = t * np.linalg.norm(vector, axis=1)
            unit = vector / np.linalg.norm(vector, axis=1)[:, None]
            hits = self.engine.first_hit(current + LEG_OFFSET_M * unit, unit, leg + END_TOLERANCE_M)
            on_face = hits.hit & (self.faces.triangle_plane[np.maximum(hits.triangle, 0)] == plane)
            alive, current, vector, t = alive[on_face], current[on_face], vector[on_face], t[on_face]
            current = current + t[:, None] * vector
            points[alive, level + 1] = current
        if alive.size:
            clear = self._clear(current, np.broadcast_to(tx, current.shape))
            alive = alive[clear]
        return points[alive], alive

    def _clear(self, starts, ends) -> np.ndarray:
        """(N,) bool: nothing lies between each start and end (ends' faces excepted)."""
        vector = ends - starts
        length = np.linalg.norm(vector, axis=1)
        unit = vector / np.maximum(length, 1e-300)[:, None]
        reach = np.maximum(length - LEG_OFFSET_M - END_TOLERANCE_M, 0.0)
        hits = self.engine.first_hit(starts + LEG_OFFSET_M * unit, unit, reach)
        return ~hits.hit


def direction_angles_deg(direction) -> tuple[float, float]:
    """(azimuth, elevation) in degrees of a direction (3,): azimuth from +x toward +y,
    elevation from the horizontal plane."""
    x, y, z = (float(c) for c in direction)
    return float(np.degrees(np.arctan2(y, x))), float(np.degrees(np.arctan2(z, np.hypot(x, y))))


def angles_to_directions(azimuth_rad, elevation_rad) -> np.ndarray:
    """Unit directions (N, 3) from azimuths and elevations (N,) in radians."""
    azimuth_rad = np.asarray(azimuth_rad, dtype=np.float64)
    elevation_rad = np.asarray(elevation_rad, dtype=np.float64)
    cos_el = np.cos(elevation_rad)
    return np.stack([cos_el * np.cos(azimuth_rad), cos_el * np.sin(azimuth_rad), np.sin(elevation_rad)], axis=-1)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def _point(value, what: str) -> np.ndarray:
    point = np.asarray(value, dtype=np.float64).reshape(-1)
    if point.shape != (3,) or not np.all(np.isfinite(point)):
        raise ValueError(f"{what} must be three finite coordinates in metres")
    return point
