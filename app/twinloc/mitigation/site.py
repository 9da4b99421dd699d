"""A stand-in for a physical site: the twin changed in ways the twin does not know.

Without a site, :func:`simulate_site` measures a deliberately different twin (permittivities
scaled, an obstacle the twin lacks, other noise); its data are labelled as simulated.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.materials import Material
from twinloc.geometry.primitives import box_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.mitigation.datasets import MitigationDataset, least_squares_fixes, measured_dataset, nlos_points
from twinloc.model.analysis import RangingModel
from twinloc.uwb.measured import MeasuredPoint, MeasuredRanges
from twinloc.uwb.ranging import Links, noisy_ranges, trace_links


@dataclass(frozen=True)
class SiteSimulation:
    """A stand-in for a physical site: the twin changed in ways the twin does not know.

    permittivity_scale : every material's relative permittivity is multiplied by this.
    obstacle_size_m : (x, y, z) of a concrete box the twin lacks, at the evaluation area's centre.
    obstacle_permittivity : its relative permittivity.
    noise_scale : the ranging model's standard deviations and NLOS bias are multiplied by this.
    points : measuring points, half in cells the twin calls NLOS (as far as there are some).
    fixes : fixes per measuring point (seed 004: 496 of its 500 were used).
    seed : seed of the point choice and of the noise.
    """

    permittivity_scale: float = 1.3
    obstacle_size_m: tuple[float, float, float] = (0.7, 0.7, 3.0)
    obstacle_permittivity: float = 6.0
    noise_scale: float = 1.3
    points: int = 50
    fixes: int = 496
    seed: int = 1


def simulate_site(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    resolution_m: float,
    ranging: RangingModel = RangingModel(),
    simulation: SiteSimulation = SiteSimulation(),
    geometry: GeometryCache | None = None,
) -> tuple[list[MeasuredPoint], np.ndarray]:
    """Simulated measured data of a "physical site" that differs from the twin.

    ``geometry`` gives the ray engines and floor grids of the twin and the site (None: built
    for this call).

    Returns
    -------
    points : the measuring points, each with ``simulation.fixes`` fixes (metres).
    nlos : (P,) bool; the twin's (not the site's) NLOS classification of each point.
    """
    measurement = measure_site(scene, anchors, tag_height_m, resolution_m, ranging, simulation, geometry)
    return measured_points(anchors, measurement)[0], measurement.twin_nlos


def measured_points(anchors: np.ndarray, measurement: SiteMeasurement) -> tuple[list[MeasuredPoint], list[np.ndarray]]:
    """The site's measuring points with their least-squares fixes from ``anchors`` (A, 3) metres
    (draws without a fix left out), and per point the (S, A) metres ranges of its S fixes (NaN
    where a link is blocked)."""
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    fixes = least_squares_fixes(anchors, measurement.ranges, measurement.links, measurement.points[:, 2])
    solved = ~np.isnan(fixes[:, :, 0])  # (F, P)
    points = [MeasuredPoint(true=xyz[:2].copy(), measured=fixes[solved[:, number], number])
              for number, xyz in enumerate(measurement.points)]
    return points, [measurement.ranges[solved[:, number], number] for number in range(len(points))]


@dataclass(frozen=True, eq=False)
class SiteMeasurement:
    """The simulated site's raw ranges at its measuring points.

    points : (P, 3) metres, the measuring points. ranges : (F, P, A) metres, F fixes' ranges to
    each anchor, NaN where metal blocks the link. links : the site's links (its geometry, not
    the twin's). twin_nlos : (P,) bool, the twin's NLOS classification of each point.
    """

    points: np.ndarray
    ranges: np.ndarray
    links: Links
    twin_nlos: np.ndarray

    def measured_ranges(self) -> MeasuredRanges:
        """Each link's range averaged over the fixes, as a measured-range file holds them (NaN where blocked)."""
        readings = np.count_nonzero(np.isfinite(self.ranges), axis=0)
        return MeasuredRanges(true=self.points[:, :2].copy(), ranges=self.ranges.mean(axis=0), readings=readings)


def measure_site(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    resolution_m: float,
    ranging: RangingModel = RangingModel(),
    simulation: SiteSimulation = SiteSimulation(),
    geometry: GeometryCache | None = None,
) -> SiteMeasurement:
    """The ranges behind :func:`simulate_site`'s fixes: the same points and the same draws."""
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    geometry = cache_or_new(geometry)
    site = site_scene(scene, simulation)
    rng = np.random.default_rng(simulation.seed)
    candidates = geometry.floor_grid(site, resolution_m, tag_height_m).points
    twin_nlos = nlos_points(scene, anchors, candidates[:, :2], tag_height_m, geometry)
    chosen = _balanced_choice(twin_nlos, simulation.points, rng)
    links = trace_links(geometry.ray_engine(site), site, anchors, candidates[chosen],
                        incidence_correction=ranging.incidence_correction)
    ranges = noisy_ranges(links, site_ranging(ranging, simulation), simulation.fixes, rng)
    return SiteMeasurement(candidates[chosen].copy(), ranges, links, twin_nlos[chosen])


def simulated_site_dataset(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    resolution_m: float,
    ranging: RangingModel = RangingModel(),
    simulation: SiteSimulation = SiteSimulation(),
    geometry: GeometryCache | None = None,
) -> MitigationDataset:
    """:func:`simulate_site`'s measuring points grouped into samples; the provenance says
    "simulated site" and records the simulation, so the site can be generated again."""
    measurement = measure_site(scene, anchors, tag_height_m, resolution_m, ranging, simulation, geometry)
    points, ranges = measured_points(anchors, measurement)
    return measured_dataset(points, measurement.twin_nlos, {"kind": "simulated site", "scene_hash": scene.content_hash(),
                                           "points": len(points), "simulation": dataclasses.asdict(simulation)}, ranges)


def site_scene(scene: Scene, simulation: SiteSimulation) -> Scene:
    """The site's scene: ``scene`` with its permittivities scaled and the obstacle the twin lacks."""
    materials = {
        name: dataclasses.replace(material, relative_permittivity=material.relative_permittivity * simulation.permittivity_scale)
        for name, material in scene.materials.items()
        if not material.opaque
    }
    obstacle_material = "unmodelled obstacle"
    materials[obstacle_material] = Material(obstacle_material, simulation.obstacle_permittivity)
    region_points = np.concatenate([region.polygon for region in scene.evaluation_regions()] or [np.zeros((1, 2))])
    center_xy = (region_points.min(axis=0) + region_points.max(axis=0)) / 2
    size = np.asarray(simulation.obstacle_size_m, dtype=np.float64)
    vertices, faces = box_mesh(size, (center_xy[0], center_xy[1], size[2] / 2))
    obstacle = SceneObject("unmodelled obstacle", ObjectKind.SOLID, obstacle_material, vertices, faces)
    return dataclasses.replace(scene, objects=(*scene.objects, obstacle), materials={**scene.materials, **materials})


def site_ranging(ranging: RangingModel, simulation: SiteSimulation) -> RangingModel:
    """The site's ranging model: ``ranging`` with its noise and NLOS bias scaled."""
    return dataclasses.replace(
        ranging,
        los_std_m=ranging.los_std_m * simulation.noise_scale,
        nlos_mean_m=ranging.nlos_mean_m * simulation.noise_scale,
        nlos_std_m=ranging.nlos_std_m * simulation.noise_scale,
    )


def _balanced_choice(nlos: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``count`` cells, half NLOS and half LOS as far as each kind suffices."""
    nlos_cells, los_cells = np.flatnonzero(nlos), np.flatnonzero(~nlos)
    from_nlos = min(len(nlos_cells), max(count // 2, count - len(los_cells)))
    from_los = min(len(los_cells), count - from_nlos)
    chosen = np.concatenate([rng.choice(nlos_cells, from_nlos, replace=False), rng.choice(los_cells, from_los, replace=False)])
    return np.sort(chosen)
