"""Sectorised base stations and seed 003's sector rotation (§III.C).

A base station of N sectors serves each with its own antenna array: sector k covers the
azimuths within 180/N degrees of its bisector ``90 + k * 360 / N`` degrees (azimuth from +x
toward +y about the station's vertical axis), and its array faces that bisector. So sector 0's
array is the unsectored one of :mod:`twinloc.radio.channel` (broadside +y), and sector k's is
it turned by ``k * 360 / N`` degrees about the station.

In a twin that is N-fold rotationally symmetric about the station, turning a point by one
sector turns every path of its channel with it: the same delays, gains and phases, every
azimuth shifted by ``360 / N`` degrees. Seen from the serving sector's array (its local frame)
the channel is then unchanged. A labelled sample at position p of sector k is therefore also a
labelled sample at R^m p of sector k + m, for every m: :func:`rotated_copies` makes them, so a
sector with few labels borrows the others'. Whether a twin is symmetric enough for that is what
:func:`sector_rotation_applicability` tells, from the geometry itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinloc.geometry.scene import Scene

#: Most sectors of a base station.
MAX_SECTORS = 12
#: Azimuth of sector 0's bisector, degrees (its array's broadside, +y).
FIRST_BISECTOR_DEG = 90.0
#: Largest share of sample points that may differ under a turn for sector rotation to apply.
TOLERATED_DIFFERENCE = 0.02
#: Two first hits differ when their distances differ by more than this, metres.
DISTANCE_TOLERANCE_M = 0.05
#: About how many floor points (per height) the symmetry test probes.
_SAMPLE_POINTS = 1500
#: Directions probed from each point: azimuths away from the axes and diagonals, so that a
#: symmetric scene's edges are not grazed; slightly up and down so floor and ceiling count.
_PROBE_AZIMUTHS_DEG = (np.arange(8) + 0.377) * 45.0
_PROBE_ELEVATIONS_DEG = (-25.0, 0.0, 25.0)


@dataclass(frozen=True)
class SectorApplicability:
    """Whether sector rotation may be used: ``applies``, and ``reason`` in a user's words
    (why not, or the measured symmetry when it does); ``sectors``, the N asked about."""

    applies: bool
    reason: str
    sectors: int


def check_sectors(sectors: int) -> None:
    """Raise ValueError unless ``sectors`` is a whole number from 1 to MAX_SECTORS."""
    if isinstance(sectors, bool) or not isinstance(sectors, (int, np.integer)) or not 1 <= sectors <= MAX_SECTORS:
        raise ValueError(f"sectors must be a whole number from 1 to {MAX_SECTORS}, got {sectors!r}")


def sector_turn_rad(sectors: int) -> float:
    """The angle between neighbouring sectors' bisectors, radians (2 pi / N)."""
    return 2.0 * math.pi / sectors


def sector_of(points, centre, sectors: int) -> np.ndarray:
    """(P,) int8: the sector serving each of ``points`` (P, 2 or 3) metres, around ``centre``
    (x, y) metres (a point on the axis belongs to sector 0)."""
    points = np.asarray(points, dtype=np.float64)
    azimuth = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    turns = (azimuth - math.radians(FIRST_BISECTOR_DEG)) / sector_turn_rad(sectors)
    return (np.floor(turns + 0.5).astype(np.int64) % sectors).astype(np.int8)


def rotate_about(points, centre, angle_rad) -> np.ndarray:
    """``points`` (P, 2 or 3) metres turned by ``angle_rad`` (scalar or (P,)) about the vertical
    axis through ``centre`` (x, y) metres; heights are kept."""
    points = np.array(points, dtype=np.float64)
    cos, sin = np.cos(angle_rad), np.sin(angle_rad)
    dx, dy = points[:, 0] - centre[0], points[:, 1] - centre[1]
    points[:, 0] = centre[0] + cos * dx - sin * dy
    points[:, 1] = centre[1] + sin * dx + cos * dy
    return points


def local_azimuth(azimuth_rad, sector, sectors: int) -> np.ndarray:
    """Scene azimuths (..., K) radians seen from ``sector``'s (...,) array: turned back by the
    sector's angle and wrapped to (-pi, pi]; NaN stays NaN."""
    shift = np.asarray(sector, dtype=np.float64)[..., None] * sector_turn_rad(sectors)
    return math.pi - np.remainder(math.pi - (np.asarray(azimuth_rad, dtype=np.float64) - shift), 2.0 * math.pi)


def rotated_copies(positions, sector, centre, sectors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seed 003's sector rotation of labelled samples.

    Parameters
    ----------
    positions : (L, 2 or 3) metres, labelled samples' positions. sector : (L,) their sectors.
    centre : (x, y) metres, the base station. sectors : N.

    Returns
    -------
    source : (L * (N - 1),) int64, the sample each copy is made from (its input is reused as is).
    positions : (L * (N - 1), 2 or 3) metres, the copy's position, turned by m sectors (m = 1 .. N - 1).
    sector : (L * (N - 1),) int8, the copy's sector, (k + m) mod N.
    """
    positions = np.asarray(positions, dtype=np.float64)
    sector = np.asarray(sector, dtype=np.int64)
    turns = np.repeat(np.arange(1, sectors), len(positions))
    source = np.tile(np.arange(len(positions)), sectors - 1)
    turned = rotate_about(positions[source], centre, turns * sector_turn_rad(sectors))
    return source, turned, ((sector[source] + turns) % sectors).astype(np.int8)


def station_position(scene: Scene, name: str) -> tuple[float, float, float] | None:
    """The position of the base station, access point or anchor called ``name``; None if none is."""
    for device in (*scene.base_stations, *scene.access_points, *scene.anchors):
        if device.name == name:
            return tuple(float(c) for c in device.position)
    return None


def sector_rotation_applicability(scene: Scene, base_station_name: str, sectors: int, *, engine=None,
                                  position=None) -> SectorApplicability:
    """Whether seed 003's sector rotation holds for ``sectors`` sectors of ``base_station_name``.

    It holds when the twin looks the same from every sector: sample points over the scene's
    evaluation regions (its floor when it has none), at the tag height and at the station's
    height, are each compared with their copy turned by 360/N degrees (and by every multiple)
    about the station's vertical axis. A point differs from its copy when one lies inside a solid
    and the other not, or when probe rays from it (8 azimuths x 3 elevations) meet a different
    object material, or the same one more than DISTANCE_TOLERANCE_M nearer or farther, than the
    turned rays from the copy. Rotation applies when at most TOLERATED_DIFFERENCE of the points
    differ. ``engine`` : the scene's RayEngine, when one is at hand. ``position`` : (x, y, z)
    metres of the station when it is not the scene's own (a project's moved device).
    """
    check_sectors(sectors)
    position = station_position(scene, base_station_name) if position is None else tuple(map(float, position))
    if position is None:
        return SectorApplicability(False, f"{scene.name} has no base station called {base_station_name!r}", sectors)
    if sectors == 1:
        return SectorApplicability(False, f"{base_station_name} has one sector: there is no other sector to rotate "
                                          "data from", sectors)
    if engine is None:
        from twinloc.geometry.ray_engine import RayEngine

        engine = RayEngine(scene)
    points = _sample_points(scene, position[2])
    differs = np.zeros(len(points), dtype=bool)
    reference = _probe(scene, engine, points, position, 0.0)
    for turn in range(1, sectors):
        turned = _probe(scene, engine, rotate_about(points, position, turn * sector_turn_rad(sectors)), position,
                        turn * sector_turn_rad(sectors))
        differs |= _differ(reference, turned)
    share = float(differs.mean())
    angle = f"{360.0 / sectors:g}°"
    if share > TOLERATED_DIFFERENCE:
        return SectorApplicability(
            False, f"{scene.name} is not {sectors}-fold symmetric about {base_station_name}: {share:.0%} of "
                   f"{len(points)} sample points see other walls or objects after a {angle} turn "
                   f"(at most {TOLERATED_DIFFERENCE:.0%} may)", sectors)
    return SectorApplicability(
        True, f"{scene.name} is {sectors}-fold symmetric about {base_station_name}: {share:.1%} of {len(points)} "
              f"sample points differ after a {angle} turn", sectors)


def serving_sectors(scene: Scene, station_name: str, position, samples, sectors: int, *,
                    engine=None) -> tuple[np.ndarray, dict]:
    """(N,) int8 sector of each of ``samples`` (N, 3) metres around the station at ``position``
    (x, y, z) metres, and what a dataset's provenance records of rotation (``applies``,
    ``reason``; :func:`sector_rotation_applicability` on ``scene``)."""
    found = sector_rotation_applicability(scene, station_name, sectors, engine=engine, position=position)
    return sector_of(samples, position, sectors), {"applies": found.applies, "reason": found.reason}


def _sample_points(scene: Scene, station_height_m: float) -> np.ndarray:
    """(P, 3) metres: a grid over the evaluation regions at the tag height and the station's."""
    from twinloc.geometry.grid import FloorGrid, floor_footprint

    low, high, _ = floor_footprint(scene)
    area = float(np.prod(np.maximum(high - low, 1e-3)))
    step = math.sqrt(area / _SAMPLE_POINTS)
    layers = [FloorGrid.over_regions(scene, step, z).points for z in sorted({scene.tag_height_m, station_height_m})]
    return np.vstack(layers)


def _probe(scene: Scene, engine, points: np.ndarray, centre, turn_rad: float):
    """What each point sees: (inside a solid (P,), first-hit distance (P, R), material (P, R))
    along the probe directions turned by ``turn_rad``."""
    azimuth, elevation = np.meshgrid(np.radians(_PROBE_AZIMUTHS_DEG) + turn_rad, np.radians(_PROBE_ELEVATIONS_DEG))
    directions = np.column_stack([np.cos(elevation.ravel()) * np.cos(azimuth.ravel()),
                                  np.cos(elevation.ravel()) * np.sin(azimuth.ravel()), np.sin(elevation.ravel())])
    rays = len(directions)
    hits = engine.first_hit(np.repeat(points, rays, axis=0), np.tile(directions, (len(points), 1)))
    materials = np.array([scene.objects[i].material for i in range(len(scene.objects))] + [""], dtype=object)
    material = materials[hits.object_index].reshape(len(points), rays)  # -1 (a miss) picks ""
    distance = np.where(hits.hit, hits.distance, np.inf).reshape(len(points), rays)
    return engine.points_inside_solids(points), distance, material


def _differ(one, other) -> np.ndarray:
    """(P,) bool: points whose probes (see :func:`_probe`) disagree."""
    inside_a, distance_a, material_a = one
    inside_b, distance_b, material_b = other
    both_miss = np.isinf(distance_a) & np.isinf(distance_b)
    with np.errstate(invalid="ignore"):  # inf - inf where both miss: both_miss decides those
        gap = np.abs(distance_a - distance_b)
    near = both_miss | (gap <= DISTANCE_TOLERANCE_M)
    return (inside_a != inside_b) | ~(near & (material_a == material_b)).all(axis=1)


@dataclass(frozen=True)
class SectorSamples:
    """The sectors of a dataset's N samples.

    sector : (N,) int8, the sector serving each sample. count : the station's sectors.
    centre : (x, y) metres, the station. rotation : whether the twin the dataset was made from
    allows sector rotation (recorded when it was generated).
    """

    sector: np.ndarray
    count: int
    centre: tuple[float, float]
    rotation: SectorApplicability


def dataset_sectors(dataset) -> SectorSamples | None:
    """The :class:`SectorSamples` of a :class:`~twinloc.fingerprint.csi_dataset.CsiDataset`, None
    for a dataset of one sector (no ``sector`` member). Raises ValueError naming the file when its
    sectors and provenance disagree."""
    if "sector" not in dataset.names:
        return None
    provenance = dataset.provenance
    count = provenance.get("sectors")
    centre = provenance.get("base_station_position_m")
    sector = np.concatenate(list(dataset.batches("sector", 65536))).astype(np.int8)
    valid = (isinstance(count, int) and 2 <= count <= MAX_SECTORS and isinstance(centre, list) and len(centre) == 3
             and all(isinstance(c, (int, float)) and math.isfinite(c) for c in centre))
    if not valid or sector.min() < 0 or sector.max() >= count:
        raise ValueError(f"{dataset.path}: not a CSI dataset: its sectors disagree with its provenance")
    recorded = provenance.get("sector_rotation") or {}
    rotation = SectorApplicability(bool(recorded.get("applies", False)),
                                   str(recorded.get("reason", "the dataset does not say whether its twin is symmetric")),
                                   count)
    return SectorSamples(sector, count, (float(centre[0]), float(centre[1])), rotation)
