"""The scene: triangle-mesh objects with materials, floor regions, default devices."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from twinloc.geometry.materials import Material
from twinloc.model.devices import AccessPoint, Anchor, BaseStation


class ObjectKind(enum.Enum):
    """How a link interacts with an object.

    SOLID: a closed mesh; a link accumulates the chord length travelled inside it.
    SURFACE: a thin surface (wall, door, window); each crossing counts the material's thickness.
    """

    SOLID = "solid"
    SURFACE = "surface"


@dataclass(frozen=True, eq=False)
class SceneObject:
    """One object of the scene.

    vertices : (V, 3) float64, metres, scene coordinates (transform already applied).
    faces : (F, 3) int64, indices into vertices; solids are wound with outward normals.
    envelope : a surface of the room's envelope (walls, floor, ceiling of a closed shell around
        the scene), wound with normals into the room; seen from outside it is not drawn.
    """

    name: str
    kind: ObjectKind
    material: str
    vertices: np.ndarray
    faces: np.ndarray
    envelope: bool = False

    @property
    def triangle_count(self) -> int:
        return int(len(self.faces))

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) float64: [[xmin, ymin, zmin], [xmax, ymax, zmax]] in metres."""
        return np.array([self.vertices.min(axis=0), self.vertices.max(axis=0)])


class RegionType(enum.Enum):
    EVALUATION = "evaluation"  # floor area over which maps are computed
    MOUNTING = "mounting"  # where anchors may be mounted


@dataclass(frozen=True, eq=False)
class Region:
    """A floor evaluation region or an anchor mounting region.

    polygon : (K, 2) float64, metres; a closed polygon in the floor plane (K >= 3), or for a
        mounting band along a wall a polyline (K >= 2) with ``is_polyline`` set.
    z_range_m : (zmin, zmax) metres; mounting height band (evaluation regions ignore it).
    weight : weight of this region's cells in summed error objectives.
    main_area : errors here are held below a threshold by the layout optimizer.
    """

    name: str
    type: RegionType
    polygon: np.ndarray
    weight: float = 1.0
    main_area: bool = False
    z_range_m: tuple[float, float] = (0.0, 0.0)
    is_polyline: bool = False


@dataclass(frozen=True, eq=False)
class Scene:
    """A building scene in metres, z up.

    materials : by name; every object's material is a key of this table.
    source_path : the file the scene was loaded from (None for scenes built in code).
    """

    name: str
    objects: tuple[SceneObject, ...]
    materials: dict[str, Material]
    regions: tuple[Region, ...] = ()
    tag_height_m: float = 1.0
    anchors: tuple[Anchor, ...] = ()
    base_stations: tuple[BaseStation, ...] = ()
    access_points: tuple[AccessPoint, ...] = ()
    source_path: Path | None = None
    # Digests by kind; init=False, so dataclasses.replace() starts a copy with an empty cache.
    _hashes: dict = field(init=False, default_factory=dict, repr=False, compare=False)

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) float64: bounding box of all objects, metres."""
        if not self.objects:
            return np.zeros((2, 3))
        all_bounds = np.array([obj.bounds for obj in self.objects])
        return np.array([all_bounds[:, 0].min(axis=0), all_bounds[:, 1].max(axis=0)])

    def material_of(self, obj: SceneObject) -> Material:
        return self.materials[obj.material]

    def evaluation_regions(self) -> tuple[Region, ...]:
        return tuple(r for r in self.regions if r.type is RegionType.EVALUATION)

    def mounting_regions(self) -> tuple[Region, ...]:
        return tuple(r for r in self.regions if r.type is RegionType.MOUNTING)

    def with_materials(self, overrides: dict[str, Material]) -> Scene:
        """A copy whose materials table has ``overrides`` applied (by name)."""
        unknown = set(overrides) - set(self.materials)
        if unknown:
            raise KeyError(f"unknown material(s): {', '.join(sorted(unknown))}")
        return replace(self, materials={**self.materials, **overrides})

    def geometry_hash(self) -> str:
        """A hex digest of the objects' names, kinds and triangles: what a ray engine depends on."""
        return self._cached_digest("geometry", self._update_geometry)

    def floor_hash(self) -> str:
        """A hex digest of geometry and regions: what a floor grid depends on."""
        return self._cached_digest("floor", lambda digest: (self._update_geometry(digest), self._update_regions(digest)))

    def content_hash(self) -> str:
        """A hex digest of geometry, object materials, the materials table and regions; keys result caches."""

        def update(digest) -> None:
            self._update_geometry(digest)
            for obj in self.objects:
                digest.update(obj.material.encode())
            for name in sorted(self.materials):
                digest.update(repr(self.materials[name]).encode())
            self._update_regions(digest)

        return self._cached_digest("content", update)

    def _cached_digest(self, kind: str, update) -> str:
        if kind not in self._hashes:
            digest = hashlib.sha256(kind.encode())
            update(digest)
            self._hashes[kind] = digest.hexdigest()
        return self._hashes[kind]

    def _update_geometry(self, digest) -> None:
        for obj in self.objects:
            digest.update(obj.name.encode())
            digest.update(obj.kind.value.encode())
            digest.update(np.ascontiguousarray(obj.vertices, dtype=np.float64).tobytes())
            digest.update(np.ascontiguousarray(obj.faces, dtype=np.int64).tobytes())

    def _update_regions(self, digest) -> None:
        for region in self.regions:
            digest.update(region.name.encode())
            digest.update(np.ascontiguousarray(region.polygon, dtype=np.float64).tobytes())
            digest.update(repr((region.type.value, region.weight, region.main_area, region.z_range_m, region.is_polyline)).encode())
