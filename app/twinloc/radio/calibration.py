"""Calibrating the twin's radio map from a measured survey: the twin-aided radio map.

The twin predicts the RSS of every transmitter at every point from geometry and materials;
a survey measures it at some points. Calibration fits, to the links that were heard, the few
numbers the twin cannot know for sure (seed 002 section 4, issue 12 item 4):

    calibrated[p, t] = twin[p, t] + offset[t] - sum_m crossings[p, t, m] * extra_loss[m]
                       - 10 * exponent_change * log10(distance[p, t] / 1 m)

- ``offset[t]`` (dB): the transmitter's real power and antenna gains against the scene's;
- ``extra_loss[m]`` (dB per crossing): how much more (or, negative, less) one wall or solid of
  material m attenuates than the twin's permittivity model says;
- ``exponent_change``: a path-loss exponent correction, for sites whose materials the data
  cannot tell apart (no link crosses one, or all materials are unknown).

The model is linear in these parameters; ``scipy.optimize.least_squares`` fits it with a robust
loss so that a few readings ruined by a passing body or a deep fade do not drag the fit. What
remains (measured minus calibrated twin) is smooth over the floor where unmodelled furniture
and walls are; a Gaussian process per transmitter interpolates it between the surveyed points
and returns to zero far from them, so the corrected map falls back to the calibrated twin.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from twinloc.fitting import interval_half_widths, separable_columns

#: Default robust loss and its scale (dB): residuals well under ``f_scale`` count as squares,
#: larger ones grow only linearly. 4 dB is the usual indoor shadowing standard deviation, so a
#: reading more than about two shadowing deviations off pulls no harder than its distance.
DEFAULT_LOSS = "soft_l1"
DEFAULT_F_SCALE_DB = 4.0

#: Bounds of the fitted parameters: a power offset beyond +-60 dB or a wall that changes by
#: more than 40 dB per crossing is a wrong scene, not something to calibrate.
OFFSET_BOUND_DB = 60.0
MATERIAL_LOSS_BOUND_DB = 40.0
EXPONENT_CHANGE_BOUND = 3.0

#: Links shorter than this are treated as this long in the exponent term (log10 of 0 is -inf).
MIN_DISTANCE_M = 0.1

#: Most distinct surveyed positions one transmitter's residual process is fitted to: the
#: Gaussian process holds an n x n matrix (3,000 points: 72 MB) and solves it in O(n^3).
MAX_RESIDUAL_POINTS = 3000

#: Length-scale bounds of the residual process (metres): shorter than half a metre is
#: small-scale fading that no map can predict; longer than 30 m is a constant, which the
#: offsets already hold.
RESIDUAL_LENGTH_BOUNDS_M = (0.5, 30.0)
RESIDUAL_INITIAL_LENGTH_M = 3.0


class TwinAtPoints(Protocol):
    """What calibration needs of the twin at P points and T transmitters (a ``RadioMap`` has it).

    rss_dbm : (P, T) predicted RSS, dBm. crossings : (P, T, M) walls/solids of each material
    the direct path crosses. material_names : (M,) names of those materials.
    """

    rss_dbm: np.ndarray
    crossings: np.ndarray
    material_names: Any


@dataclass(frozen=True)
class Parameter:
    """One calibrated number: ``kind`` is "offset", "material" or "exponent"; ``name`` the
    transmitter or material it belongs to ("" for the exponent); ``value`` and the
    ``low``..``high`` confidence interval in dB (offset, material) or exponent units;
    ``identified`` False when the data holds nothing about it (value stays 0, interval NaN)."""

    kind: str
    name: str
    value: float
    low: float
    high: float
    identified: bool
    reason: str = ""


@dataclass(frozen=True, eq=False)
class Calibration:
    """The fitted correction of the twin and how well it fits.

    transmitter_names : (T,); offsets_db : (T,) dB added to each transmitter's twin RSS.
    material_names : (M,); material_loss_db : (M,) extra dB per crossing of each material.
    exponent_change : extra path-loss exponent (0 when not fitted).
    parameters : every parameter with its interval and whether the data identifies it.
    rms_before_db / rms_after_db : root mean square of measured minus twin, and of measured
        minus calibrated twin, over the heard links; ``links`` is their number.
    loss, f_scale_db : the robust loss used.
    """

    transmitter_names: tuple[str, ...]
    offsets_db: np.ndarray
    material_names: tuple[str, ...]
    material_loss_db: np.ndarray
    exponent_change: float
    parameters: tuple[Parameter, ...]
    rms_before_db: float
    rms_after_db: float
    links: int
    loss: str
    f_scale_db: float

    @property
    def unidentified(self) -> tuple[Parameter, ...]:
        """The parameters the survey cannot determine, with the reason for each."""
        return tuple(p for p in self.parameters if not p.identified)

    def apply(self, twin_rss: np.ndarray, crossings: np.ndarray, distance_m: np.ndarray) -> np.ndarray:
        """Calibrated RSS (N, T) dBm from the twin's RSS (N, T), crossings (N, T, M), distances (N, T) m."""
        twin_rss = np.asarray(twin_rss, dtype=float)
        _check_shapes(twin_rss, crossings, distance_m, len(self.material_names))
        return twin_rss + self.offsets_db[None, :] - np.asarray(crossings, dtype=float) @ self.material_loss_db \
            - self.exponent_change * _log_distance(distance_m)


def calibrate(
    twin: TwinAtPoints,
    measured_rss: np.ndarray,
    distance_m: np.ndarray,
    transmitter_names: tuple[str, ...] | list[str] | None = None,
    *,
    fit_exponent: bool | None = None,
    loss: str = DEFAULT_LOSS,
    f_scale_db: float = DEFAULT_F_SCALE_DB,
) -> Calibration:
    """Fit power offsets, material losses and (optionally) a path-loss exponent change.

    twin : the twin at the P surveyed points (``rss_dbm`` (P, T), ``crossings`` (P, T, M),
        ``material_names`` (M,)), e.g. ``compute_radio_map`` at the survey positions.
    measured_rss : (P, T) dBm, NaN where the transmitter was not heard.
    distance_m : (P, T) straight-line distance from each transmitter, metres.
    transmitter_names : (T,) names for the report; default the twin's ``transmitter_names``.
    fit_exponent : fit the exponent change; None (default) fits it exactly when no material
        can be identified from the data (no heard link crosses any material).
    loss, f_scale_db : robust loss of ``least_squares`` ("linear", "soft_l1", "huber",
        "cauchy", "arctan") and its scale in dB (see ``DEFAULT_F_SCALE_DB``).

    Raises ValueError with a message for mismatched shapes or when fewer links were heard
    than there are parameters to fit.
    """
    from scipy.optimize import least_squares

    twin_rss = np.asarray(twin.rss_dbm, dtype=float)
    measured = np.asarray(measured_rss, dtype=float)
    material_names = tuple(str(m) for m in twin.material_names)
    _check_shapes(twin_rss, twin.crossings, distance_m, len(material_names))
    if measured.shape != twin_rss.shape:
        raise ValueError(f"measured RSS has shape {measured.shape}, the twin's {twin_rss.shape}")
    names = tuple(str(n) for n in (transmitter_names if transmitter_names is not None
                                   else getattr(twin, "transmitter_names", [f"T{i + 1}" for i in range(twin_rss.shape[1])])))
    if len(names) != twin_rss.shape[1]:
        raise ValueError(f"{len(names)} transmitter names for {twin_rss.shape[1]} transmitters")
    crossings = np.asarray(twin.crossings, dtype=float)
    log_distance = _log_distance(distance_m)

    heard = np.isfinite(measured) & np.isfinite(twin_rss)
    point_of_link, transmitter_of_link = np.nonzero(heard)
    links = point_of_link.size
    t_count, m_count = twin_rss.shape[1], len(material_names)

    heard_per_transmitter = np.bincount(transmitter_of_link, minlength=t_count)
    link_crossings = crossings[point_of_link, transmitter_of_link]          # (L, M)
    crossed_links = np.count_nonzero(link_crossings > 0, axis=0)           # (M,)
    if fit_exponent is None:
        fit_exponent = not np.any(crossed_links > 0)

    # Design matrix of the linear model: residual = measured - (twin + A @ theta).
    columns = [np.eye(t_count)[transmitter_of_link], -link_crossings]
    if fit_exponent:
        columns.append(-log_distance[point_of_link, transmitter_of_link][:, None])
    design = np.concatenate(columns, axis=1)
    present = np.concatenate([heard_per_transmitter > 0, crossed_links > 0,
                              [links > 0] if fit_exponent else []]).astype(bool)
    identified = separable_columns(design, present)
    labels = list(names) + list(material_names) + (["exponent change"] if fit_exponent else [])
    reasons = ([f"transmitter {n} is never heard" for n in names] +
               [f"no heard link crosses {m}" for m in material_names] +
               (["no link was heard"] if fit_exponent else []))
    reasons = [reason if not present[i] else
               f"the survey cannot tell {labels[i]} apart from the parameters before it (its links change together)"
               for i, reason in enumerate(reasons)]
    fitted = np.flatnonzero(identified)
    if links <= fitted.size:
        raise ValueError(f"the survey has {links} heard link(s) for {fitted.size} calibration parameter(s); "
                         "survey more points")

    target = (measured - twin_rss)[point_of_link, transmitter_of_link]
    a = design[:, fitted]
    lower = _bounds(t_count, m_count, fit_exponent)[fitted]
    result = least_squares(lambda theta: a @ theta - target, np.zeros(fitted.size), jac=lambda theta: a,
                           bounds=(-lower, lower), loss=loss, f_scale=f_scale_db, method="trf")
    theta = np.zeros(design.shape[1])
    theta[fitted] = result.x

    half_width = np.full(design.shape[1], np.nan)
    half_width[fitted] = interval_half_widths(result, links - fitted.size)

    kinds = ["offset"] * t_count + ["material"] * m_count + (["exponent"] if fit_exponent else [])
    parameters = tuple(
        Parameter(kind, label if kind != "exponent" else "", float(theta[i]), float(theta[i] - half_width[i]),
                  float(theta[i] + half_width[i]), bool(identified[i]), "" if identified[i] else reasons[i])
        for i, (kind, label) in enumerate(zip(kinds, labels)))
    after = target - design @ theta
    return Calibration(
        transmitter_names=names, offsets_db=theta[:t_count].copy(), material_names=material_names,
        material_loss_db=theta[t_count:t_count + m_count].copy(),
        exponent_change=float(theta[-1]) if fit_exponent else 0.0, parameters=parameters,
        rms_before_db=_rms(target), rms_after_db=_rms(after), links=int(links), loss=loss, f_scale_db=float(f_scale_db))


@dataclass(frozen=True, eq=False)
class RangeCalibration:
    """Per-transmitter straight-line correction of the twin's ranges: measured = scale x twin + bias.

    A Wi-Fi RTT or UWB range carries the device's calibration offset and a scale from the clock
    and the indoor excess delay the twin only partly models. transmitter_names : (T,);
    scale : (T,); bias_m : (T,) metres (scale 1, bias 0 where fewer than 3 ranges were measured);
    rms_before_m / rms_after_m : rms of measured minus twin range, before and after, over
    the measured ranges.
    """

    transmitter_names: tuple[str, ...]
    scale: np.ndarray
    bias_m: np.ndarray
    rms_before_m: float
    rms_after_m: float

    def apply(self, twin_range_m: np.ndarray) -> np.ndarray:
        """Calibrated ranges (N, T) m from the twin's (N, T) m."""
        return np.asarray(twin_range_m, dtype=float) * self.scale + self.bias_m


def calibrate_ranges(twin_range_m: np.ndarray, measured_range_m: np.ndarray, transmitter_names: tuple[str, ...],
                     *, loss: str = DEFAULT_LOSS, f_scale_m: float = 1.0) -> RangeCalibration:
    """Fit ``scale`` and ``bias`` per transmitter to the measured ranges (P, T) m, NaN = none.

    Robust (``loss``, scale ``f_scale_m`` = 1 m: an RTT reading off by more than a metre is
    usually a multipath or NLOS excess, not the line). Raises ValueError on mismatched shapes.
    """
    from scipy.optimize import least_squares

    twin = np.asarray(twin_range_m, dtype=float)
    measured = np.asarray(measured_range_m, dtype=float)
    if twin.shape != measured.shape or twin.ndim != 2 or twin.shape[1] != len(transmitter_names):
        raise ValueError(f"twin ranges {twin.shape}, measured ranges {measured.shape} and "
                         f"{len(transmitter_names)} transmitter names do not match")
    scale, bias = np.ones(twin.shape[1]), np.zeros(twin.shape[1])
    for t in range(twin.shape[1]):
        ok = np.isfinite(twin[:, t]) & np.isfinite(measured[:, t])
        if np.count_nonzero(ok) >= 3 and np.ptp(twin[ok, t]) > 0.0:
            x, y = twin[ok, t], measured[ok, t]
            fit = least_squares(lambda th: th[0] * x + th[1] - y, [1.0, 0.0], loss=loss, f_scale=f_scale_m)
            scale[t], bias[t] = fit.x
    ok = np.isfinite(twin) & np.isfinite(measured)
    calibration = RangeCalibration(tuple(str(n) for n in transmitter_names), scale, bias,
                                   _rms((measured - twin)[ok]), float("nan"))
    after = _rms((measured - calibration.apply(twin))[ok])
    return RangeCalibration(calibration.transmitter_names, scale, bias, calibration.rms_before_m, after)


@dataclass(frozen=True, eq=False)
class ResidualMap:
    """What calibration leaves, interpolated over the floor: one Gaussian process per transmitter.

    models : (T,) fitted ``GaussianProcessRegressor`` of the residual over (x, y) metres, None
    for a transmitter measured at fewer than 3 positions (its residual reads 0).
    """

    models: tuple[Any, ...]

    def predict(self, points: np.ndarray) -> np.ndarray:
        """Interpolated residual (N, T) at ``points`` (N, 3) m, in the residual's unit."""
        floor = np.asarray(points, dtype=float)[:, :2]
        out = np.zeros((floor.shape[0], len(self.models)))
        for t, model in enumerate(self.models):
            if model is not None:
                out[:, t] = model.predict(floor)
        return out


def fit_residual_map(points: np.ndarray, residual: np.ndarray, transmitter_names, *, seed: int = 0) -> ResidualMap:
    """Fit one Gaussian process per transmitter to ``residual`` (P, T), NaN = not measured, at ``points`` (P, 3) m.

    Repeated samples at one position are averaged first (the process sees one value per
    position). Kernel: amplitude x RBF + WhiteKernel (the scatter of the averaged readings). The
    RBF length stays in ``RESIDUAL_LENGTH_BOUNDS_M`` and no shorter than the median spacing of the
    surveyed positions: detail finer than the survey is not in the data. Zero prior mean, so far
    from the survey the residual fades to 0. ``seed`` fixes the optimiser's restarts.

    Raises ValueError for mismatched shapes or when a transmitter was measured at more than
    ``MAX_RESIDUAL_POINTS`` positions.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    points = np.asarray(points, dtype=float)
    residual = np.asarray(residual, dtype=float)
    if points.ndim != 2 or points.shape[0] != residual.shape[0] or points.shape[1] < 2:
        raise ValueError(f"survey points have shape {points.shape}; expected ({residual.shape[0]}, 3)")
    models = []
    for t in range(residual.shape[1]):
        heard = np.isfinite(residual[:, t])
        positions, inverse = np.unique(points[heard, :2], axis=0, return_inverse=True)
        if positions.shape[0] > MAX_RESIDUAL_POINTS:
            raise ValueError(f"transmitter {transmitter_names[t]} was measured at {positions.shape[0]} "
                             f"positions; the residual map takes at most {MAX_RESIDUAL_POINTS}")
        if positions.shape[0] < 3:
            models.append(None)
            continue
        mean = np.bincount(inverse.ravel(), weights=residual[heard, t]) / np.bincount(inverse.ravel())
        spread = max(float(np.var(mean)), 0.25)
        shortest = min(max(RESIDUAL_LENGTH_BOUNDS_M[0], _point_spacing(positions)), RESIDUAL_LENGTH_BOUNDS_M[1])
        kernel = (ConstantKernel(spread, (1e-2, 1e3))
                  * RBF(max(RESIDUAL_INITIAL_LENGTH_M, shortest), (shortest, RESIDUAL_LENGTH_BOUNDS_M[1]))
                  + WhiteKernel(spread / 2.0, (1e-3, 1e3)))
        model = GaussianProcessRegressor(kernel, normalize_y=False, n_restarts_optimizer=2, random_state=seed)
        with warnings.catch_warnings():
            # A length or amplitude at its bound is an answer here (no structure finer than the
            # survey, or no residual at all), not a failed fit.
            warnings.simplefilter("ignore", ConvergenceWarning)
            models.append(model.fit(positions, mean))
    return ResidualMap(tuple(models))


@dataclass(frozen=True, eq=False)
class TwinAidedMap:
    """The calibrated twin plus the interpolated residual: the twin-aided radio map.

    calibration : the fitted correction. residual_map : measured minus calibrated RSS over the
    floor; where nothing was surveyed it fades to 0 and the map is the calibrated twin.
    """

    calibration: Calibration
    residual_map: ResidualMap

    def predict(self, points: np.ndarray, twin_rss: np.ndarray, crossings: np.ndarray,
                distance_m: np.ndarray) -> np.ndarray:
        """Twin-aided RSS (N, T) dBm at ``points`` (N, 3) m from the twin's RSS (N, T) there,
        its crossings (N, T, M) and the link distances (N, T) m."""
        calibrated = self.calibration.apply(twin_rss, crossings, distance_m)
        return calibrated + self.residual_map.predict(points)


def twin_aided_map(calibration: Calibration, points: np.ndarray, twin: TwinAtPoints, measured_rss: np.ndarray,
                   distance_m: np.ndarray, *, seed: int = 0) -> TwinAidedMap:
    """The twin-aided map: ``calibration`` plus :func:`fit_residual_map` of measured minus calibrated RSS.

    points : (P, 3) surveyed positions, metres; twin, measured_rss (P, T), distance_m (P, T) as
    for :func:`calibrate`.
    """
    residual = np.asarray(measured_rss, dtype=float) - calibration.apply(twin.rss_dbm, twin.crossings, distance_m)
    return TwinAidedMap(calibration, fit_residual_map(points, residual, calibration.transmitter_names, seed=seed))


@dataclass(frozen=True, eq=False)
class TwinAidedRanges:
    """The calibrated twin ranges plus their interpolated residual: the twin-aided ranges.

    A Wi-Fi RTT or UWB range behind walls the scene lacks carries an NLOS excess that changes
    smoothly over the floor; ``residual_map`` (metres) holds what the straight-line calibration
    leaves and fades to 0 away from the surveyed points.
    """

    calibration: RangeCalibration
    residual_map: ResidualMap

    def predict(self, points: np.ndarray, twin_range_m: np.ndarray) -> np.ndarray:
        """Twin-aided ranges (N, T) m at ``points`` (N, 3) m from the twin's ranges (N, T) m there."""
        return self.calibration.apply(twin_range_m) + self.residual_map.predict(points)


def twin_aided_ranges(points: np.ndarray, twin_range_m: np.ndarray, measured_range_m: np.ndarray,
                      transmitter_names, *, seed: int = 0) -> TwinAidedRanges:
    """:func:`calibrate_ranges` plus :func:`fit_residual_map` of measured minus calibrated range.

    points : (P, 3) surveyed positions, metres; twin_range_m, measured_range_m : (P, T) metres,
    NaN where no range was measured.
    """
    calibration = calibrate_ranges(twin_range_m, measured_range_m, tuple(transmitter_names))
    residual = np.asarray(measured_range_m, dtype=float) - calibration.apply(twin_range_m)
    return TwinAidedRanges(calibration, fit_residual_map(points, residual, calibration.transmitter_names, seed=seed))


def _check_shapes(twin_rss: np.ndarray, crossings: Any, distance_m: Any, materials: int) -> None:
    p_t = np.shape(twin_rss)
    if len(p_t) != 2:
        raise ValueError(f"twin RSS has shape {p_t}; expected (points, transmitters)")
    if np.shape(crossings) != (*p_t, materials):
        raise ValueError(f"crossings have shape {np.shape(crossings)}; expected {(*p_t, materials)}")
    if np.shape(distance_m) != p_t:
        raise ValueError(f"distances have shape {np.shape(distance_m)}; expected {p_t}")


def _log_distance(distance_m: np.ndarray) -> np.ndarray:
    """10 log10(d / 1 m), with d at least ``MIN_DISTANCE_M``."""
    return 10.0 * np.log10(np.maximum(np.asarray(distance_m, dtype=float), MIN_DISTANCE_M))


def _bounds(transmitters: int, materials: int, exponent: bool) -> np.ndarray:
    return np.concatenate([np.full(transmitters, OFFSET_BOUND_DB), np.full(materials, MATERIAL_LOSS_BOUND_DB),
                           [EXPONENT_CHANGE_BOUND] if exponent else []])


def _point_spacing(positions: np.ndarray) -> float:
    """Median distance from each surveyed position (R, 2) m to its nearest other one, metres."""
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(positions).query(positions, k=2)
    return float(np.median(distances[:, 1]))


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values)))) if values.size else float("nan")
