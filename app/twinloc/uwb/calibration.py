"""Calibrating the twin's materials from measured UWB ranges: the virtuality-reality loop of seed 004.

The twin predicts every anchor-to-point range from geometry and materials (:mod:`twinloc.uwb.ranging`):

    range[p, a] = distance[p, a] + sum_m length[p, a, m] * (sqrt(eps_m) - 1) + bias(LOS or NLOS) + anchor_bias[a]

where ``length[p, a, m]`` is how far the link travels inside material m (chords of solids,
thicknesses of thin surfaces). Calibration fits the relative permittivities ``eps_m`` (and, if
asked, a range bias per anchor) to measured ranges by robust nonlinear least squares
(``scipy.optimize.least_squares``), so that a few links spoilt by an obstacle the twin lacks do
not drag the fit. A material no measured link crosses cannot be learnt from the data: it is
reported as unidentifiable and keeps its value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.scene import ObjectKind, Scene
from twinloc.model.analysis import RangingModel
from twinloc.uwb.ranging import trace_links

__all__ = ["FittedMaterial", "MaterialCalibration", "calibrate_materials", "MAX_PERMITTIVITY"]

#: Largest permittivity a fit may reach: water is about 80; beyond 100 the scene is wrong, not its material.
MAX_PERMITTIVITY = 100.0
#: Largest per-anchor range bias fitted, metres: a worse offset is a mis-surveyed anchor.
MAX_ANCHOR_BIAS_M = 5.0

#: Robust loss and its scale (metres): a range more than about 10 cm off the model counts
#: linearly, not squared; an unmodelled obstacle adds tens of centimetres to the links it crosses.
DEFAULT_LOSS = "soft_l1"
DEFAULT_F_SCALE_M = 0.1

#: Two-sided confidence level of the reported intervals.
CONFIDENCE = 0.95
#: Fits started from random permittivities besides the one from the presets (the robust loss
#: is not convex, so a far-off preset could end in a poorer minimum).
RANDOM_STARTS = 3


@dataclass(frozen=True)
class FittedMaterial:
    """One material's calibration: relative permittivities before and after.

    preset : the twin's value before calibration. fitted : the calibrated value (the preset
    when not identifiable). ci95 : (low, high) 95% confidence interval of ``fitted`` (NaN, NaN
    when not identifiable). identifiable : some measured link crosses it and its effect can be
    told apart from the other parameters'. links : measured links that cross it. reason : why
    it is not identifiable ("" when it is).
    """

    name: str
    preset: float
    fitted: float
    ci95: tuple[float, float]
    identifiable: bool
    links: int
    reason: str = ""


@dataclass(frozen=True, eq=False)
class MaterialCalibration:
    """The fitted materials and anchor biases, and how well the twin fits before and after.

    materials : by name, every material asked for. anchor_bias_m : (A,) metres added to each
    anchor's ranges (zeros when not fitted); anchor_bias_ci95_m : (A, 2) their intervals (NaN when
    not fitted). residuals_before / residuals_after : (P, A) measured minus predicted range,
    metres, NaN where nothing was measured or the link is blocked. residual_rms_before_m /
    residual_rms_after_m : their root mean square over the measured links. links : measured
    links used. loss, f_scale_m : the robust loss.
    """

    materials: dict[str, FittedMaterial]
    anchor_bias_m: np.ndarray
    anchor_bias_ci95_m: np.ndarray
    residuals_before: np.ndarray
    residuals_after: np.ndarray
    residual_rms_before_m: float
    residual_rms_after_m: float
    links: int
    loss: str
    f_scale_m: float

    def calibrated_scene(self, scene: Scene) -> Scene:
        """``scene`` with the identifiable materials' permittivities replaced by the fitted ones."""
        return scene.with_materials({
            name: dataclasses.replace(scene.materials[name], relative_permittivity=material.fitted)
            for name, material in self.materials.items() if material.identifiable
        })


def calibrate_materials(
    scene: Scene,
    anchors: np.ndarray,
    points: np.ndarray,
    measured_ranges: np.ndarray,
    *,
    materials: list[str] | None = None,
    anchor_bias: bool = False,
    ranging: RangingModel = RangingModel(),
    seed: int = 0,
    loss: str = DEFAULT_LOSS,
    f_scale_m: float = DEFAULT_F_SCALE_M,
    geometry: GeometryCache | None = None,
) -> MaterialCalibration:
    """Fit material permittivities (and anchor range biases) to measured ranges.

    Parameters
    ----------
    scene : the twin; its materials give the presets.
    anchors : (A, 3) float64, metres.
    points : (P, 3) float64, metres; where the ranges were measured.
    measured_ranges : (P, A) float64, metres; NaN where not measured (average repeated
        measurements first: the fit takes one range per link).
    materials : names to fit; None (default): every non-opaque material an object of the scene uses.
    anchor_bias : also fit one range bias per anchor (a cable or antenna delay).
    ranging : the twin's ranging model: its LOS and NLOS mean biases are part of the prediction.
    seed : seed of the extra random starting points.
    loss, f_scale_m : robust loss of ``least_squares`` and its scale in metres.
    geometry : ray engines to reuse (None: one for this call).

    Raises
    ------
    ValueError
        Mismatched shapes, an unknown or opaque material, or fewer measured links than parameters.
    """
    from scipy.optimize import least_squares

    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    measured = np.asarray(measured_ranges, dtype=np.float64)
    if measured.shape != (len(points), len(anchors)):
        raise ValueError(f"measured ranges have shape {measured.shape}; expected ({len(points)}, {len(anchors)}): "
                         "one per measuring point and anchor")
    names = _material_names(scene, materials)
    engine = cache_or_new(geometry).ray_engine(scene)
    links = trace_links(engine, scene, anchors, points, incidence_correction=ranging.incidence_correction)
    lengths = material_lengths(engine, scene, anchors, points, names, incidence_correction=ranging.incidence_correction)
    used = np.isfinite(measured) & ~links.blocked
    point_of_link, anchor_of_link = np.nonzero(used)
    lengths = lengths[point_of_link, anchor_of_link]                      # (L, M)
    presets = np.array([scene.materials[name].relative_permittivity for name in names])
    # Everything the fit does not change: distance, mean bias, and the excess of materials not fitted.
    fixed = (links.true_range_m + links.excess_m + np.where(links.los, ranging.los_mean_m, ranging.nlos_mean_m)
             )[point_of_link, anchor_of_link] - lengths @ (np.sqrt(presets) - 1.0)
    target = measured[point_of_link, anchor_of_link]

    crossing_links = np.count_nonzero(lengths > 0.0, axis=0)
    anchor_columns = np.eye(len(anchors))[anchor_of_link] if anchor_bias else np.zeros((len(target), 0))
    # Anchor biases first: a material whose links change only as one anchor's bias does is the one reported.
    candidates = np.concatenate([np.count_nonzero(anchor_columns, axis=0) > 0, crossing_links > 0])
    separable = _separable(np.concatenate([anchor_columns, lengths], axis=1), candidates)
    fitted_bias, fitted_material = separable[:anchor_columns.shape[1]], separable[anchor_columns.shape[1]:]
    parameters = int(separable.sum())
    if len(target) <= parameters:
        raise ValueError(f"{len(target)} measured link(s) for {parameters} calibration parameter(s); measure more points")

    material_index = np.flatnonzero(fitted_material)
    bias_index = np.flatnonzero(fitted_bias)

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        permittivity = presets.copy()
        permittivity[material_index] = theta[:material_index.size]
        bias = np.zeros(len(anchors))
        bias[bias_index] = theta[material_index.size:]
        return permittivity, bias

    def residual(theta: np.ndarray) -> np.ndarray:
        permittivity, bias = unpack(theta)
        return fixed + lengths @ (np.sqrt(permittivity) - 1.0) + bias[anchor_of_link] - target

    def jacobian(theta: np.ndarray) -> np.ndarray:
        permittivity, _ = unpack(theta)
        d_material = lengths[:, material_index] / (2.0 * np.sqrt(permittivity[material_index]))
        return np.concatenate([d_material, anchor_columns[:, bias_index]], axis=1)

    lower = np.concatenate([np.ones(material_index.size), np.full(bias_index.size, -MAX_ANCHOR_BIAS_M)])
    upper = np.concatenate([np.full(material_index.size, MAX_PERMITTIVITY), np.full(bias_index.size, MAX_ANCHOR_BIAS_M)])
    rng = np.random.default_rng(seed)
    starts = [np.concatenate([presets[material_index], np.zeros(bias_index.size)])]
    starts += [np.concatenate([rng.uniform(1.0, 2.0 * presets[material_index]), np.zeros(bias_index.size)])
               for _ in range(RANDOM_STARTS if parameters else 0)]
    result = None
    for start in starts:
        trial = least_squares(residual, np.clip(start, lower, upper), jac=jacobian, bounds=(lower, upper),
                              loss=loss, f_scale=f_scale_m, method="trf", x_scale="jac",
                              xtol=1e-12, ftol=1e-12, gtol=1e-12)
        if result is None or trial.cost < result.cost - 1e-15:
            result = trial
    half_width = _half_widths(result, len(target) - parameters)
    permittivity, bias = unpack(result.x)

    reasons = [_reason(name, crossing_links[i], fitted_material[i]) for i, name in enumerate(names)]
    ci = np.full((len(names), 2), np.nan)
    ci[material_index] = permittivity[material_index, None] + np.outer(half_width[:material_index.size], [-1.0, 1.0])
    bias_ci = np.full((len(anchors), 2), np.nan)
    bias_ci[bias_index] = bias[bias_index, None] + np.outer(half_width[material_index.size:], [-1.0, 1.0])
    fitted_materials = {
        name: FittedMaterial(name, float(presets[i]), float(permittivity[i]), (float(ci[i, 0]), float(ci[i, 1])),
                             bool(fitted_material[i]), int(crossing_links[i]), reasons[i])
        for i, name in enumerate(names)
    }
    before = _per_link(residual(starts[0]), point_of_link, anchor_of_link, measured.shape)
    after = _per_link(residual(result.x), point_of_link, anchor_of_link, measured.shape)
    return MaterialCalibration(
        materials=fitted_materials, anchor_bias_m=bias, anchor_bias_ci95_m=bias_ci,
        residuals_before=-before, residuals_after=-after,
        residual_rms_before_m=_rms(before), residual_rms_after_m=_rms(after), links=int(len(target)),
        loss=loss, f_scale_m=float(f_scale_m))


def material_lengths(engine, scene: Scene, anchors: np.ndarray, points: np.ndarray, names: list[str], *,
                     incidence_correction: bool = False) -> np.ndarray:
    """(P, A, M) float64 metres: how far each anchor-to-point link travels inside each named material.

    A solid counts its chord, a thin surface its material's thickness (over the cosine of the
    incidence angle with ``incidence_correction``), as in :func:`twinloc.uwb.ranging.material_factors`.
    """
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    starts = np.repeat(anchors, len(points), axis=0)  # anchor-major, as trace_links
    ends = np.tile(points, (len(anchors), 1))
    opaque = np.zeros(len(scene.objects), dtype=bool)
    lengths = np.zeros((len(points), len(anchors), len(names)))
    for column, name in enumerate(names):
        solid = np.array([obj.material == name and obj.kind is ObjectKind.SOLID for obj in scene.objects], dtype=float)
        surface = np.array([scene.materials[name].thickness_m if obj.material == name and obj.kind is not ObjectKind.SOLID
                            else 0.0 for obj in scene.objects])
        crossed = engine.weighted_crossings(starts, ends, solid, surface, opaque, use_secant=incidence_correction)
        lengths[:, :, column] = crossed.weighted.reshape(len(anchors), len(points)).T
    return lengths


def _material_names(scene: Scene, materials: list[str] | None) -> list[str]:
    if materials is None:
        used = dict.fromkeys(obj.material for obj in scene.objects)
        return [name for name in used if not scene.materials[name].opaque]
    names = list(dict.fromkeys(materials))
    unknown = [name for name in names if name not in scene.materials]
    if unknown:
        raise ValueError(f"the scene has no material {', '.join(map(repr, unknown))} "
                         f"(it has {', '.join(sorted(scene.materials))})")
    opaque = [name for name in names if scene.materials[name].opaque]
    if opaque:
        raise ValueError(f"{', '.join(map(repr, opaque))} is opaque: a link through it carries no range to calibrate from")
    return names


def _separable(design: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The candidate columns kept in order, each only if the ones before do not already explain it."""
    keep = np.zeros(candidates.size, dtype=bool)
    for column in np.flatnonzero(candidates):
        trial = keep.copy()
        trial[column] = True
        block = design[:, trial]
        if np.linalg.matrix_rank(block, tol=1e-8 * max(1.0, np.abs(block).max())) == np.count_nonzero(trial):
            keep = trial
    return keep


def _half_widths(result, dof: int) -> np.ndarray:
    """Half widths of the 95% intervals from the Jacobian at the solution (Gauss-Newton covariance).

    least_squares scales its Jacobian by the robust loss, so J^T J approximates the Hessian of
    its cost; the residual variance is 2 cost / dof; Student's t for the few-link case.
    """
    from scipy.stats import t as student_t

    if result.x.size == 0:
        return np.zeros(0)
    sigma2 = 2.0 * result.cost / dof
    covariance = sigma2 * np.linalg.pinv(result.jac.T @ result.jac)
    return student_t.ppf(0.5 + CONFIDENCE / 2.0, dof) * np.sqrt(np.clip(np.diag(covariance), 0.0, None))


def _reason(name: str, crossing_links: int, identifiable: bool) -> str:
    if identifiable:
        return ""
    if crossing_links == 0:
        return f"no measured link crosses {name}"
    return f"the measurements cannot tell {name} apart from the parameters fitted before it (their links change together)"


def _per_link(values: np.ndarray, point_of_link: np.ndarray, anchor_of_link: np.ndarray, shape) -> np.ndarray:
    table = np.full(shape, np.nan)
    table[point_of_link, anchor_of_link] = values
    return table


def _rms(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.sqrt(np.mean(np.square(finite)))) if finite.size else float("nan")
