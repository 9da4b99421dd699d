"""UWB ranging through obstacles: the excess path of each crossing plus Gaussian noise.

A signal crossing an obstacle of relative permittivity eps over a distance d travels slower
than in air, so the measured range grows by ``d * (sqrt(eps) - 1)`` (seed 004, Eqs. 15-18).
d is the chord length inside a closed solid, or the material's thickness for a thin
surface (optionally divided by the cosine of the incidence angle: the oblique path through
a slab is longer). A link crossing an opaque (metal) object carries no range at all.

On top of that physical excess, measured ranges carry Gaussian noise whose mean and standard
deviation differ between line-of-sight and non-line-of-sight links (seed 004, Appendix A).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinloc.geometry.scene import ObjectKind, Scene
from twinloc.model.analysis import RangingModel

__all__ = ["Links", "RangingModel", "material_factors", "mean_ranges", "noisy_ranges", "trace_links"]


@dataclass(frozen=True, eq=False)
class Links:
    """Every anchor-to-tag link of a set of tag positions.

    true_range_m : (M, A) float64, metres; straight-line distance.
    excess_m : (M, A) float64, metres; physical excess path of the obstacles crossed.
    los : (M, A) bool; the link crosses nothing.
    blocked : (M, A) bool; the link crosses an opaque (metal) object: no range.
    """

    true_range_m: np.ndarray
    excess_m: np.ndarray
    los: np.ndarray
    blocked: np.ndarray

    @property
    def usable(self) -> np.ndarray:
        """(M, A) bool: links that deliver a range."""
        return ~self.blocked


def trace_links(engine, scene: Scene, anchors: np.ndarray, points: np.ndarray, *, incidence_correction: bool = False) -> Links:
    """Trace every anchor-to-point segment through the scene.

    Parameters
    ----------
    engine : RayEngine of ``scene``.
    scene : Scene whose materials give permittivities and thicknesses.
    anchors : (A, 3) float64, metres.
    points : (M, 3) float64, metres.
    incidence_correction : bool, default: False

    Returns
    -------
    Links
    """
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    count, anchor_count = len(points), len(anchors)
    starts = np.repeat(anchors, count, axis=0)  # anchor-major: (A*M, 3)
    ends = np.tile(points, (anchor_count, 1))
    solid_factor, surface_factor, opaque = material_factors(scene)
    crossings = engine.weighted_crossings(
        starts, ends, solid_factor, surface_factor, opaque, use_secant=incidence_correction
    )
    blocked = crossings.blocked
    excess = crossings.weighted
    true_range = np.linalg.norm(ends - starts, axis=1)

    def per_tag(values: np.ndarray) -> np.ndarray:
        return values.reshape(anchor_count, count).T.copy()

    return Links(
        true_range_m=per_tag(true_range),
        excess_m=per_tag(np.where(blocked, 0.0, excess)),
        los=per_tag(crossings.clear),
        blocked=per_tag(blocked),
    )


def material_factors(scene: Scene) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-object factors turning crossings into excess path.

    Returns
    -------
    solid_factor : (O,) float64; sqrt(eps) - 1 for solids, 0 for surfaces (multiplies chord metres).
    surface_factor : (O,) float64; thickness * (sqrt(eps) - 1) for surfaces, 0 for solids
        (multiplies crossing counts or secant sums).
    opaque : (O,) bool; objects of opaque material.
    """
    solid_factor = np.zeros(len(scene.objects))
    surface_factor = np.zeros(len(scene.objects))
    opaque = np.zeros(len(scene.objects), dtype=bool)
    for index, obj in enumerate(scene.objects):
        material = scene.material_of(obj)
        opaque[index] = material.opaque
        if material.opaque:
            continue
        if obj.kind is ObjectKind.SOLID:
            solid_factor[index] = material.excess_path_factor
        else:
            surface_factor[index] = material.thickness_m * material.excess_path_factor
    return solid_factor, surface_factor, opaque


def mean_ranges(links: Links, model: RangingModel, *, physics_only: bool = False) -> np.ndarray:
    """(M, A) float64 metres: expected measured ranges (true + excess + mean bias); NaN where blocked."""
    ranges = links.true_range_m + links.excess_m
    if not physics_only:
        ranges = ranges + np.where(links.los, model.los_mean_m, model.nlos_mean_m)
    return np.where(links.blocked, np.nan, ranges)


def noisy_ranges(links: Links, model: RangingModel, draws: int, rng: np.random.Generator) -> np.ndarray:
    """(draws, M, A) float64 metres: measured ranges with Gaussian noise; NaN where blocked."""
    mean = mean_ranges(links, model)
    std = np.where(links.los, model.los_std_m, model.nlos_std_m)
    return mean[None] + rng.standard_normal((draws, *mean.shape)) * std[None]
