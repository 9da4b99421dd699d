"""The mitigated error map: a model applied to every cell's samples, before and after, per cell."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.scene import Scene
from twinloc.mitigation.datasets import MitigationDataset, mean_or_none, virtual_dataset
from twinloc.mitigation.per_link import model_positions
from twinloc.mitigation.site import SiteSimulation, site_ranging, site_scene
from twinloc.model.analysis import RangingModel


@dataclass(frozen=True, eq=False)
class MitigatedMap:
    """Mean positioning error per floor cell of the virtual data, before and after the model.

    grid : the cells of the virtual data.
    raw, nn : (M,) float64, metres, one per masked cell of ``grid``; NaN for cells without samples.
    nlos : (M,) bool, the cell sees an anchor through an obstacle.
    source : "twin", or "simulated site" for the site's floor (:func:`site_mitigated_map`).
    """

    grid: FloorGrid
    raw: np.ndarray
    nn: np.ndarray
    nlos: np.ndarray
    source: str = "twin"

    def area_means(self) -> dict[str, dict[str, float | None]]:
        """{"los" | "nlos": {"raw" | "nn": mean over the cells with samples, metres, or None}}."""
        known = np.isfinite(self.raw)
        return {area: {name: mean_or_none(values[known & mask]) for name, values in (("raw", self.raw), ("nn", self.nn))}
                for area, mask in (("los", ~self.nlos), ("nlos", self.nlos))}


def mitigated_map(
    scene: Scene,
    model,
    virtual: MitigationDataset,
    *,
    source: str = "twin",
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
    geometry: GeometryCache | None = None,
) -> MitigatedMap:
    """The model (a per-link model or a position network) applied to every sample of
    ``virtual``, averaged per cell of its floor grid.

    ``scene`` is the one the data were generated in; ``source`` names it for the user;
    ``geometry`` gives its floor grid (None: built for this call).

    Raises
    ------
    ValueError
        ``virtual`` is not virtual data generated in ``scene`` (its kind or scene hash differ).
    """
    provenance = virtual.provenance
    if provenance.get("kind") != "virtual" or provenance.get("scene_hash") != scene.content_hash():
        raise ValueError("the virtual data were generated for another scene or its materials; generate them again")
    grid = cache_or_new(geometry).floor_grid(scene, provenance["resolution_m"], provenance["tag_height_m"])
    cells = len(grid.points)
    if len(virtual) and virtual.point.max() >= cells:
        raise ValueError("the virtual data name floor cells this scene's grid does not have; generate them again")
    corrected = np.empty_like(virtual.true)
    step = 65_536
    for start in range(0, len(virtual), step):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = slice(start, start + step)
        corrected[chunk] = model_positions(model, virtual.subset(np.arange(len(virtual))[chunk]))
        progress(min(1.0, (start + step) / len(virtual)), "Applying the model")
    counts = np.bincount(virtual.point, minlength=cells).astype(np.float64)
    with np.errstate(invalid="ignore"):
        raw = np.bincount(virtual.point, np.linalg.norm(virtual.raw - virtual.true, axis=1), cells) / counts
        nn = np.bincount(virtual.point, np.linalg.norm(corrected - virtual.true, axis=1), cells) / counts
    nlos = np.zeros(cells, dtype=bool)
    nlos[virtual.point] = virtual.nlos
    return MitigatedMap(grid, raw, nn, nlos, source)


def site_mitigated_map(
    scene: Scene,
    model,
    virtual: MitigationDataset,
    site: SiteSimulation,
    *,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
    geometry: GeometryCache | None = None,
) -> MitigatedMap:
    """The network applied over the simulated site's floor instead of the twin's.

    The site's data are generated like ``virtual`` (the same grid, groups and ranging model) in
    the site's scene with its noise: the way a fine-tuned model would meet the site everywhere,
    not only at the measured points.
    """
    given = virtual.provenance
    floor_scene = site_scene(scene, site)
    floor = virtual_dataset(floor_scene, np.asarray(given["anchors"]), given["tag_height_m"], given["resolution_m"],
                            given["groups"], site_ranging(RangingModel(**given["ranging"]), site), site.seed,
                            progress=scaled_progress(progress, 0.0, 0.5), cancel=cancel, geometry=geometry)
    return mitigated_map(floor_scene, model, floor, source="simulated site",
                         progress=scaled_progress(progress, 0.5, 1.0), cancel=cancel, geometry=geometry)
