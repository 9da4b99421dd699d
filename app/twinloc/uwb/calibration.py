"""Calibrating the twin's materials from measured UWB ranges: the virtuality-reality loop of seed 004.

The twin predicts every anchor-to-point range from geometry and materials (:mod:`twinloc.uwb.ranging`):

    range[p, a] = distance[p, a] + sum_m length[p, a, m] * (sqrt(eps_m) - 1) + bias(LOS or NLOS) + anchor_bias[a]

where ``length[p, a, m]`` is how far the link travels inside material m (chords of solids,
thicknesses of thin surfaces). Calibration fits the relative permittivities ``eps_m`` (and, if
asked, a range bias per anchor and the NLOS bias) to measured ranges by robust nonlinear least
squares (``scipy.optimize.least_squares``), so that a few links spoilt by an obstacle the twin
lacks do not drag the fit; or to measured positions at known points, through the twin's fix
from its predicted ranges. A material no measured link crosses cannot be learnt from the data:
it is reported as unidentifiable and keeps its value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.fitting import interval_half_widths, separable_columns
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.scene import Scene
from twinloc.model.analysis import RangingModel
from twinloc.uwb.measured import MeasuredPoint, MeasuredRanges
from twinloc.uwb.ranging import trace_links

__all__ = ["MAX_PERMITTIVITY", "FittedMaterial", "MaterialCalibration", "calibrate_from_measurements", "calibrate_materials",
           "calibrate_materials_from_positions", "material_lengths"]

#: Largest permittivity a fit may reach: water is about 80; beyond 100 the scene is wrong, not its material.
MAX_PERMITTIVITY = 100.0
#: Largest range bias fitted (per anchor, or the change of the NLOS bias), metres: a worse offset
#: is a mis-surveyed anchor or a wrong ranging model, not something to calibrate.
MAX_RANGE_BIAS_M = 5.0

#: Robust loss and its scale (metres). Ranges averaged at a measuring point scatter by
#: centimetres; an obstacle the twin lacks adds tens of centimetres to the links it crosses,
#: which must not drag the permittivities. The Cauchy loss stops such a link pulling at all
#: once it is far off; soft_l1 and huber keep pulling linearly. On the simulated site of
#: benchmarks/bench_calibration.py (seeds 1 to 10) the largest permittivity error was 0.9%
#: with cauchy, 4.4% with huber and 5.6% with soft_l1, all at 5 cm. The Cauchy cost is not
#: convex, hence the random starts.
DEFAULT_LOSS = "cauchy"
DEFAULT_F_SCALE_M = 0.05

#: Most links (measuring points x anchors) one calibration traces: each holds a length per
#: material fitted and a row of the Jacobian, so a million links with ten materials is some 200 MB.
MAX_CALIBRATION_LINKS = 1_000_000

#: Fits started from random permittivities besides the one from the presets (the Cauchy
#: loss is not convex, so a far-off preset could end in a poorer minimum).
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
    """The fitted materials and biases, and how well the twin fits before and after.

    materials : by name, every material asked for. anchor_bias_m : (A,) metres added to each
    anchor's ranges (zeros when not fitted); anchor_bias_ci95_m : (A, 2) their intervals (NaN when
    not fitted). nlos_bias_m : the NLOS mean bias of the ranging model, fitted or (when not)
    the model's; nlos_bias_ci95_m : its interval (NaN, NaN when not fitted).
    measured : "ranges" or "positions", what the fit compared.
    residuals_before / residuals_after : measured minus predicted, metres: (P, A) ranges, NaN
    where nothing was measured or the link is blocked; or (P, 2) position x and y, NaN where the
    point has no fix. residual_rms_before_m / residual_rms_after_m : root mean square of the
    residual ranges, or of the residual position lengths. links : measured links used.
    loss, f_scale_m : the robust loss.
    """

    materials: dict[str, FittedMaterial]
    anchor_bias_m: np.ndarray
    anchor_bias_ci95_m: np.ndarray
    nlos_bias_m: float
    nlos_bias_ci95_m: tuple[float, float]
    measured: str
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

    def calibrated_ranging(self, ranging: RangingModel) -> RangingModel:
        """``ranging`` with the NLOS mean bias the fit found (unchanged when it was not fitted)."""
        return dataclasses.replace(ranging, nlos_mean_m=self.nlos_bias_m)


def calibrate_materials(
    scene: Scene,
    anchors: np.ndarray,
    points: np.ndarray,
    measured_ranges: np.ndarray,
    *,
    materials: list[str] | None = None,
    anchor_bias: bool = False,
    nlos_bias: bool = False,
    ranging: RangingModel = RangingModel(),
    seed: int = 0,
    loss: str = DEFAULT_LOSS,
    f_scale_m: float = DEFAULT_F_SCALE_M,
    geometry: GeometryCache | None = None,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
) -> MaterialCalibration:
    """Fit material permittivities (and range biases) to measured ranges.

    Parameters
    ----------
    scene : the twin; its materials give the presets.
    anchors : (A, 3) float64, metres.
    points : (P, 3) float64, metres; where the ranges were measured.
    measured_ranges : (P, A) float64, metres; NaN where not measured (average repeated
        measurements first: the fit takes one range per link).
    materials : names to fit; None (default): every non-opaque material an object of the scene uses.
    anchor_bias : also fit one range bias per anchor (a cable or antenna delay).
    nlos_bias : also fit the ranging model's NLOS mean bias (what NLOS adds beyond the
        permittivity excess differs between sites and radios; left at the model's value, it
        pushes the permittivities to make up for it).
    ranging : the twin's ranging model: its LOS and NLOS mean biases are part of the prediction.
    seed : seed of the extra random starting points.
    loss, f_scale_m : robust loss of ``least_squares`` and its scale in metres.
    geometry : ray engines to reuse (None: one for this call).
    progress, cancel : progress reports; a cancel token checked between the fits from each start
        (raises :class:`~twinloc.cancellation.JobCancelled`).

    Raises
    ------
    ValueError
        Mismatched shapes, an unknown or opaque material, or fewer measured links than parameters.
    """
    anchors, points = _as_positions(anchors), _as_positions(points)
    measured = np.asarray(measured_ranges, dtype=np.float64)
    if measured.shape != (len(points), len(anchors)):
        raise ValueError(f"measured ranges have shape {measured.shape}; expected ({len(points)}, {len(anchors)}): "
                         "one per measuring point and anchor")
    progress(0.0, "Tracing the measured links")
    twin = _TwinRanges.trace(scene, anchors, points, _material_names(scene, materials), ranging, geometry,
                             np.isfinite(measured), anchor_bias, nlos_bias)

    def residual(theta: np.ndarray) -> np.ndarray:
        return (twin.ranges(theta) - measured)[twin.used]

    def jacobian(theta: np.ndarray) -> np.ndarray:
        return twin.range_jacobian(theta)[twin.used.ravel()]

    return twin.fit(residual, jacobian, twin.links, "ranges", lambda r: _per_link(r, twin.used), seed, loss, f_scale_m,
                    progress, cancel)


def calibrate_materials_from_positions(
    scene: Scene,
    anchors: np.ndarray,
    points: np.ndarray,
    measured_xy: np.ndarray,
    *,
    materials: list[str] | None = None,
    anchor_bias: bool = False,
    nlos_bias: bool = False,
    ranging: RangingModel = RangingModel(),
    seed: int = 0,
    loss: str = DEFAULT_LOSS,
    f_scale_m: float = DEFAULT_F_SCALE_M,
    geometry: GeometryCache | None = None,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
) -> MaterialCalibration:
    """Fit material permittivities (and range biases) to measured positions at known points.

    The twin's fix at each point (least squares from its predicted ranges, the tag height
    known, as the error map solves it) is compared with the mean measured fix. Two numbers a
    point instead of one a link: positions say less than ranges, so intervals are wider.

    points : (P, 3) float64 metres, the known points; measured_xy : (P, 2) float64 metres, the
    mean measured fix at each (NaN: none). Other parameters as :func:`calibrate_materials`.
    A material is identifiable when a link to some point with a measured fix crosses it.
    """
    from twinloc.uwb.multilateration import locate

    anchors, points = _as_positions(anchors), _as_positions(points)
    measured = np.asarray(measured_xy, dtype=np.float64)
    if measured.shape != (len(points), 2):
        raise ValueError(f"measured positions have shape {measured.shape}; expected ({len(points)}, 2)")
    has_fix = np.isfinite(measured).all(axis=1)
    progress(0.0, "Tracing the measured links")
    twin = _TwinRanges.trace(scene, anchors, points, _material_names(scene, materials), ranging, geometry,
                             np.repeat(has_fix[:, None], len(anchors), axis=1), anchor_bias, nlos_bias)

    def residual(theta: np.ndarray) -> np.ndarray:
        fix = locate(anchors, np.nan_to_num(twin.ranges(theta)), twin.usable, dimensions=2, tag_height_m=points[:, 2])
        # A point whose predicted fix is degenerate keeps a zero residual: it says nothing either way.
        difference = np.where(fix.degenerate[:, None], 0.0, fix.position - measured)
        return difference[has_fix].ravel()

    def per_point(values: np.ndarray) -> np.ndarray:
        table = np.full((len(points), 2), np.nan)
        table[has_fix] = values.reshape(-1, 2)
        return table

    return twin.fit(residual, "2-point", 2 * int(has_fix.sum()), "positions", per_point, seed, loss, f_scale_m,
                    progress, cancel)


def calibrate_from_measurements(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    measurements: MeasuredRanges | list[MeasuredPoint],
    **options,
) -> MaterialCalibration:
    """:func:`calibrate_materials` on measured ranges, or :func:`calibrate_materials_from_positions`
    on measured positions (their mean fix per point), the points at ``tag_height_m`` metres.

    ``options`` are those two functions' keywords. Raises ValueError as they do, and when a
    range file's columns do not match the anchors.
    """
    anchors = _as_positions(anchors)
    if isinstance(measurements, MeasuredRanges):
        if measurements.ranges.shape[1] != len(anchors):
            raise ValueError(f"the measurements hold ranges to {measurements.ranges.shape[1]} anchor(s), "
                             f"the layout has {len(anchors)}")
        points = np.column_stack([measurements.true, np.full(len(measurements.true), tag_height_m)])
        return calibrate_materials(scene, anchors, points, measurements.ranges, **options)
    true = np.array([point.true for point in measurements]).reshape(-1, 2)
    mean_fix = np.array([point.measured.mean(axis=0) if len(point.measured) else (np.nan, np.nan)
                         for point in measurements]).reshape(-1, 2)
    points = np.column_stack([true, np.full(len(true), tag_height_m)])
    return calibrate_materials_from_positions(scene, anchors, points, mean_fix, **options)


@dataclass(frozen=True, eq=False)
class _TwinRanges:
    """The twin's ranges at the measured points as a function of the fitted parameters.

    theta holds the fitted permittivities, then the fitted offsets: one per anchor (anchor
    biases) and one for the NLOS links (a change of the NLOS mean bias), each in metres.
    fixed : (P, A) what the fit does not change; lengths : (P, A, M) metres inside each material;
    offsets : (P, A, B) 0/1, which offset applies to each link; used : (P, A) measured and not blocked.
    """

    names: list[str]
    presets: np.ndarray
    fixed: np.ndarray
    lengths: np.ndarray
    offsets: np.ndarray
    used: np.ndarray
    usable: np.ndarray
    crossing_links: np.ndarray
    fitted_material: np.ndarray
    fitted_offset: np.ndarray
    anchor_count: int
    anchor_bias: bool
    nlos_bias: bool
    ranging: RangingModel

    @classmethod
    def trace(cls, scene, anchors, points, names, ranging, geometry, measured, anchor_bias, nlos_bias) -> _TwinRanges:
        if len(points) * len(anchors) > MAX_CALIBRATION_LINKS:
            raise ValueError(f"{len(points):,} measuring points x {len(anchors)} anchors make {len(points) * len(anchors):,} "
                             f"links, more than the {MAX_CALIBRATION_LINKS:,} a calibration traces")
        engine = cache_or_new(geometry).ray_engine(scene)
        links = trace_links(engine, scene, anchors, points, incidence_correction=ranging.incidence_correction)
        lengths = material_lengths(engine, scene, anchors, points, names, incidence_correction=ranging.incidence_correction)
        presets = np.array([scene.materials[name].relative_permittivity for name in names])
        fixed = (links.true_range_m + links.excess_m + np.where(links.los, ranging.los_mean_m, ranging.nlos_mean_m)
                 - lengths @ (np.sqrt(presets) - 1.0))
        columns = [np.broadcast_to(np.eye(len(anchors))[None], (len(points), len(anchors), len(anchors)))] if anchor_bias else []
        if nlos_bias:
            columns.append((~links.los)[..., None])
        offsets = np.concatenate(columns, axis=2).astype(float) if columns else np.zeros((len(points), len(anchors), 0))
        used = measured & links.usable
        crossing_links = np.count_nonzero(lengths[used] > 0.0, axis=0)
        # Offsets first: a material whose links change only as an offset does is the one reported.
        design = np.concatenate([offsets[used], lengths[used]], axis=1)
        candidates = np.concatenate([np.count_nonzero(offsets[used], axis=0) > 0, crossing_links > 0])
        separable = separable_columns(design, candidates)
        return cls(names, presets, fixed, lengths, offsets, used, links.usable, crossing_links,
                   separable[offsets.shape[2]:], separable[:offsets.shape[2]], len(anchors), anchor_bias, nlos_bias, ranging)

    @property
    def links(self) -> int:
        return int(self.used.sum())

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(M,) permittivities and (B,) offsets, metres, from the fitted values."""
        materials = int(self.fitted_material.sum())
        permittivity = self.presets.copy()
        permittivity[self.fitted_material] = theta[:materials]
        offsets = np.zeros(self.offsets.shape[2])
        offsets[self.fitted_offset] = theta[materials:]
        return permittivity, offsets

    def ranges(self, theta: np.ndarray) -> np.ndarray:
        """(P, A) metres, NaN where blocked."""
        permittivity, offsets = self.unpack(theta)
        ranges = self.fixed + self.lengths @ (np.sqrt(permittivity) - 1.0) + self.offsets @ offsets
        return np.where(self.usable, ranges, np.nan)

    def range_jacobian(self, theta: np.ndarray) -> np.ndarray:
        """(P * A, parameters): d range / d theta."""
        permittivity, _ = self.unpack(theta)
        d_material = self.lengths[..., self.fitted_material] / (2.0 * np.sqrt(permittivity[self.fitted_material]))
        return np.concatenate([d_material, self.offsets[..., self.fitted_offset]], axis=2).reshape(
            -1, int(self.fitted_material.sum() + self.fitted_offset.sum()))

    def fit(self, residual, jacobian, observations: int, measured: str, table, seed: int, loss: str,
            f_scale_m: float, progress: ProgressFn, cancel: CancelToken | None) -> MaterialCalibration:
        """Robust least squares of ``residual`` (predicted minus measured) from the presets and random starts."""
        from scipy.optimize import least_squares

        material_count, offset_count = int(self.fitted_material.sum()), int(self.fitted_offset.sum())
        parameters = material_count + offset_count
        if observations == 0:
            raise ValueError(f"no measured {measured} to calibrate from (every value is empty, or metal blocks the link)")
        if observations <= parameters:
            raise ValueError(f"{observations} measured value(s) for {parameters} calibration parameter(s); "
                             "measure more points")
        lower = np.concatenate([np.ones(material_count), np.full(offset_count, -MAX_RANGE_BIAS_M)])
        upper = np.concatenate([np.full(material_count, MAX_PERMITTIVITY), np.full(offset_count, MAX_RANGE_BIAS_M)])
        preset = np.concatenate([self.presets[self.fitted_material], np.zeros(offset_count)])
        rng = np.random.default_rng(seed)
        starts = [preset] + [np.concatenate([rng.uniform(1.0, 2.0 * self.presets[self.fitted_material]),
                                             np.zeros(offset_count)]) for _ in range(RANDOM_STARTS if parameters else 0)]
        result = None
        for number, start in enumerate(starts):
            if cancel is not None:
                cancel.raise_if_cancelled()
            progress(number / len(starts), f"Fitting from start {number + 1} of {len(starts)}")
            trial = least_squares(residual, np.clip(start, lower, upper), jac=jacobian, bounds=(lower, upper),
                                  loss=loss, f_scale=f_scale_m, method="trf", x_scale="jac",
                                  xtol=1e-12, ftol=1e-12, gtol=1e-12)
            if result is None or trial.cost < result.cost - 1e-15:
                result = trial
        half_width = interval_half_widths(result, observations - parameters)
        intervals = np.full((len(self.presets) + self.offsets.shape[2], 2), np.nan)
        fitted = np.concatenate([self.fitted_material, self.fitted_offset])
        permittivity, offsets = self.unpack(result.x)
        values = np.concatenate([permittivity, offsets])
        intervals[fitted] = values[fitted, None] + np.outer(half_width, [-1.0, 1.0])
        material_intervals = _permittivity_intervals(permittivity, intervals[:len(self.presets)])
        offset_intervals = intervals[len(self.presets):]
        fitted_materials = {
            name: FittedMaterial(name, float(self.presets[i]), float(permittivity[i]),
                                 (float(material_intervals[i, 0]), float(material_intervals[i, 1])),
                                 bool(self.fitted_material[i]), int(self.crossing_links[i]),
                                 _reason(name, self.crossing_links[i], self.fitted_material[i]))
            for i, name in enumerate(self.names)
        }
        no_interval = (float("nan"), float("nan"))
        anchor_bias = offsets[:self.anchor_count] if self.anchor_bias else np.zeros(self.anchor_count)
        anchor_ci = offset_intervals[:self.anchor_count] if self.anchor_bias else np.full((self.anchor_count, 2), np.nan)
        nlos_bias = self.ranging.nlos_mean_m + (offsets[-1] if self.nlos_bias else 0.0)
        nlos_ci = tuple(float(v) + self.ranging.nlos_mean_m for v in offset_intervals[-1]) if self.nlos_bias else no_interval
        before, after = table(-residual(preset)), table(-residual(result.x))
        progress(1.0, "Calibrated")
        return MaterialCalibration(
            materials=fitted_materials, anchor_bias_m=anchor_bias, anchor_bias_ci95_m=anchor_ci,
            nlos_bias_m=float(nlos_bias), nlos_bias_ci95_m=nlos_ci,
            measured=measured, residuals_before=before, residuals_after=after,
            residual_rms_before_m=_rms(before, measured), residual_rms_after_m=_rms(after, measured), links=self.links,
            loss=loss, f_scale_m=float(f_scale_m))


def material_lengths(engine, scene: Scene, anchors: np.ndarray, points: np.ndarray, names: list[str], *,
                     incidence_correction: bool = False) -> np.ndarray:
    """(P, A, M) float64 metres: how far each anchor-to-point link travels inside each named material.

    A solid counts its chord, a thin surface its material's thickness (over the cosine of the
    incidence angle with ``incidence_correction``), as in :func:`twinloc.uwb.ranging.material_factors`.
    One trace of the links, whatever the number of materials.
    """
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    starts = np.repeat(anchors, len(points), axis=0)  # anchor-major, as trace_links
    events = engine.crossing_events(starts, np.tile(points, (len(anchors), 1)))
    column_of = {name: column for column, name in enumerate(names)}
    owner_column = np.array([column_of.get(obj.material, -1) for obj in scene.objects], dtype=np.int64)
    thickness = np.array([scene.materials[obj.material].thickness_m for obj in scene.objects])
    lengths = np.zeros((events.count, len(names)))
    solid_column = owner_column[events.solid_owner]
    named = solid_column >= 0
    np.add.at(lengths, (events.solid_ray[named], solid_column[named]), events.chord[named])
    surface_column = owner_column[events.surface_owner]
    named = surface_column >= 0
    crossed = thickness[events.surface_owner] * (events.secant if incidence_correction else 1.0)
    np.add.at(lengths, (events.surface_ray[named], surface_column[named]), crossed[named])
    return lengths.reshape(len(anchors), len(points), len(names)).transpose(1, 0, 2).copy()


def _permittivity_intervals(permittivity: np.ndarray, wald: np.ndarray) -> np.ndarray:
    """(M, 2) intervals of the permittivities, symmetric in sqrt(eps) - 1 instead of in eps.

    The ranges are linear in sqrt(eps) - 1, so an interval symmetric there is the honest one; it
    maps to an asymmetric one in eps that never goes below 1 (no excess). ``wald`` holds the
    symmetric intervals in eps from the Jacobian (NaN where not fitted); the half width carries
    over by the derivative d sqrt(eps) / d eps = 1 / (2 sqrt(eps)).
    """
    root = np.sqrt(permittivity)
    half_width = (wald[:, 1] - wald[:, 0]) / 2.0 / (2.0 * root)
    return np.column_stack([np.maximum(root - half_width, 1.0) ** 2, (root + half_width) ** 2])


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


def _reason(name: str, crossing_links: int, identifiable: bool) -> str:
    if identifiable:
        return ""
    if crossing_links == 0:
        return f"no measured link crosses {name}"
    return f"the measurements cannot tell {name} apart from the parameters fitted before it (their links change together)"


def _per_link(values: np.ndarray, used: np.ndarray) -> np.ndarray:
    table = np.full(used.shape, np.nan)
    table[used] = values
    return table


def _as_positions(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1, 3)


def _rms(table: np.ndarray, measured: str) -> float:
    """Root mean square of the residual ranges, or of the residual position lengths."""
    values = np.linalg.norm(table, axis=1) if measured == "positions" else table.ravel()
    values = values[np.isfinite(values)]
    return float(np.sqrt(np.mean(np.square(values)))) if values.size else float("nan")
