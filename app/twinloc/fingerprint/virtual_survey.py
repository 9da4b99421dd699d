"""Virtual surveys: what a walk along a reference-point plan would measure in the twin.

At each reference point (RP) the twin's predicted RSS gets a shadowing draw per transmitter,
the same for all the RP's samples (the body, furniture and people that the twin does not
model), and each sample gets its own Gaussian noise (fast fading and receiver noise). With
a decorrelation distance the shadowing of nearby RPs is correlated, exp(-d / d0) (the
Gudmundson model). A reading below the receiver's sensitivity is "not heard". Samples are
timed along the route: ``samples_per_point`` samples ``sample_interval_s`` apart at each RP,
then a walk at ``walking_speed_mps`` to the next, so sequence models get ordered data.

The twin enters as a callable, so this module knows nothing of how radio maps are computed.

Limits: at most :data:`MAX_SAMPLES_PER_POINT` samples per RP, :data:`MAX_CORRELATED_POINTS`
RPs with correlated shadowing (its covariance is RPs x RPs), and a survey of at most
``MAX_SURVEY_VALUES`` numbers (checked before anything is drawn).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from twinloc.fingerprint.survey import MAX_SURVEY_VALUES, Survey

#: Most samples taken at one RP.
MAX_SAMPLES_PER_POINT = 1000
#: Most RPs whose shadowing is drawn correlated (a Cholesky factor of RPs x RPs: 128 MB at the limit).
MAX_CORRELATED_POINTS = 4000


def virtual_survey(
    plan_points,
    predict: Callable[[np.ndarray], object],
    *,
    samples_per_point: int = 10,
    shadowing_db: float = 4.0,
    noise_db: float = 2.0,
    seed: int = 0,
    decorrelation_m: float | None = None,
    sensitivity_dbm: float = -95.0,
    range_noise_m: float = 0.1,
    sample_interval_s: float = 1.0,
    walking_speed_mps: float = 0.5,
    transmitters: Sequence[str] | None = None,
) -> Survey:
    """Sample the twin at each RP of a plan, in route order.

    Parameters
    ----------
    plan_points : (N, 3) array_like, metres
        The RPs in walking order (``ReferencePointPlan.positions``).
    predict : callable
        ``predict(points (N, 3)) ->`` a radio map with ``rss_dbm`` (N, T), ``range_m`` (N, T)
        and ``transmitter_names`` (T,), or a tuple ``(rss_dbm (N, T), range_m (N, T) or None)``.
        NaN or -inf RSS: nothing arrives.
    samples_per_point : int, default: 10
        Samples at each RP (the seed's robot took 10, one a second).
    shadowing_db, noise_db : float, default: 4.0, 2.0
        Standard deviations of the per-RP shadowing and the per-sample noise, dB (>= 0).
    seed : int, default: 0
        Seed of the random draws; the same seed gives the same survey.
    decorrelation_m : float, optional
        Distance at which the shadowing of two RPs is correlated by 1/e, metres; None: independent.
    sensitivity_dbm : float, default: -95.0
        Readings below this are not heard (NaN).
    range_noise_m : float, default: 0.1
        Standard deviation of the noise added to each predicted range, metres.
    sample_interval_s, walking_speed_mps : float, default: 1.0, 0.5
        Time between samples at an RP, seconds, and the walking speed between RPs, m/s.
    transmitters : sequence of str, optional
        Names of the transmitters, needed when ``predict`` returns a tuple.

    Returns
    -------
    Survey
        N x samples_per_point samples; ``point_ids`` are the RPs' route indices 0 to N-1.

    Raises
    ------
    ValueError
        A setting out of its range, a survey beyond the limits, or ``predict`` giving arrays
        of the wrong shape or no transmitter names.
    """
    points = np.asarray(plan_points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0 or not np.all(np.isfinite(points)):
        raise ValueError("the plan's points must be a non-empty (N, 3) array of finite metres")
    _check_settings(samples_per_point, shadowing_db, noise_db, decorrelation_m, sensitivity_dbm, range_noise_m,
                    sample_interval_s, walking_speed_mps)
    if decorrelation_m is not None and shadowing_db > 0 and len(points) > MAX_CORRELATED_POINTS:
        raise ValueError(
            f"correlated shadowing is drawn for at most {MAX_CORRELATED_POINTS:,} reference points, "
            f"the plan has {len(points):,}; leave the decorrelation distance unset for independent shadowing"
        )

    rss, ranges, names = _predicted(predict, points, transmitters)
    count, n = len(points), samples_per_point
    if count * n * len(names) * (1 if ranges is None else 2) > MAX_SURVEY_VALUES:
        raise ValueError(
            f"{count:,} RPs x {n} samples x {len(names)} transmitters is more than the "
            f"{MAX_SURVEY_VALUES:,} values a survey may hold; take fewer samples per RP"
        )
    generator = np.random.default_rng(seed)
    shadowing = _shadowing(generator, points, len(names), shadowing_db, decorrelation_m)  # (N, T)
    point_ids = np.repeat(np.arange(count, dtype=np.int64), n)
    sampled = (rss + shadowing)[point_ids] + generator.normal(0.0, noise_db, (count * n, len(names)))
    heard = np.isfinite(sampled) & (sampled >= sensitivity_dbm)
    sampled = np.where(heard, sampled, np.nan)
    measured = None
    if ranges is not None:
        measured = ranges[point_ids] + generator.normal(0.0, range_noise_m, sampled.shape)
        measured = np.where(heard & np.isfinite(measured), np.maximum(measured, 0.0), np.nan)
    return Survey(
        positions=points[point_ids],
        point_ids=point_ids,
        times_s=_sample_times(points, n, sample_interval_s, walking_speed_mps),
        transmitters=names,
        rss_dbm=sampled,
        range_m=measured,
    )


def _check_settings(samples_per_point, shadowing_db, noise_db, decorrelation_m, sensitivity_dbm, range_noise_m,
                    sample_interval_s, walking_speed_mps) -> None:
    if isinstance(samples_per_point, bool) or not isinstance(samples_per_point, (int, np.integer)) or not (
        1 <= samples_per_point <= MAX_SAMPLES_PER_POINT
    ):
        raise ValueError(f"samples per reference point must be a whole number from 1 to {MAX_SAMPLES_PER_POINT}, "
                         f"got {samples_per_point!r}")
    for value, what in ((shadowing_db, "shadowing"), (noise_db, "noise"), (range_noise_m, "range noise")):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"the {what} standard deviation must be a number >= 0, got {value!r}")
    if decorrelation_m is not None and not (math.isfinite(decorrelation_m) and decorrelation_m > 0):
        raise ValueError(f"the decorrelation distance must be a number > 0 m, got {decorrelation_m!r}")
    if not math.isfinite(sensitivity_dbm):
        raise ValueError(f"the sensitivity must be a finite number of dBm, got {sensitivity_dbm!r}")
    if not (math.isfinite(sample_interval_s) and sample_interval_s > 0):
        raise ValueError(f"the sample interval must be a number > 0 s, got {sample_interval_s!r}")
    if not (math.isfinite(walking_speed_mps) and walking_speed_mps > 0):
        raise ValueError(f"the walking speed must be a number > 0 m/s, got {walking_speed_mps!r}")


def _predicted(predict, points: np.ndarray, transmitters) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """(rss (N, T) dBm, range (N, T) metres or None, names (T,)) from ``predict``."""
    result = predict(points)
    if isinstance(result, tuple):
        rss, ranges = result
        names = transmitters
    else:
        rss, ranges = result.rss_dbm, getattr(result, "range_m", None)
        names = getattr(result, "transmitter_names", None) if transmitters is None else transmitters
    rss = np.asarray(rss, dtype=np.float64)
    if rss.ndim != 2 or len(rss) != len(points):
        raise ValueError(f"the twin's prediction must be (N, T) RSS for N = {len(points)} points, got shape {rss.shape}")
    if names is None or len(names) != rss.shape[1]:
        raise ValueError(f"the twin's prediction needs {rss.shape[1]} transmitter names, got {names!r}")
    if ranges is not None:
        ranges = np.asarray(ranges, dtype=np.float64)
        if ranges.shape != rss.shape:
            raise ValueError(f"the twin's ranges must have the RSS's shape {rss.shape}, got {ranges.shape}")
    return rss, ranges, tuple(str(name) for name in names)


def _shadowing(generator, points: np.ndarray, transmitters: int, sigma_db: float, decorrelation_m) -> np.ndarray:
    """(N, T) shadowing per RP and transmitter, dB: independent, or correlated exp(-distance / decorrelation_m)."""
    if sigma_db == 0:
        return np.zeros((len(points), transmitters))
    draws = generator.normal(0.0, sigma_db, (len(points), transmitters))
    if decorrelation_m is None:
        return draws
    distance = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    # exp(-d/d0) is positive definite for distinct points; the small jitter covers RPs at one place.
    covariance = np.exp(-distance / decorrelation_m) + 1e-9 * np.eye(len(points))
    return np.linalg.cholesky(covariance) @ draws


def _sample_times(points: np.ndarray, samples: int, interval_s: float, speed_mps: float) -> np.ndarray:
    """(N x samples,) seconds: ``samples`` readings ``interval_s`` apart at each RP; the first
    reading at the next RP one interval after arriving there at ``speed_mps``."""
    walk = np.concatenate([[0.0], np.linalg.norm(np.diff(points, axis=0), axis=1) / speed_mps])
    arrival = np.cumsum(walk + np.r_[0.0, np.full(len(points) - 1, samples * interval_s)])
    return (arrival[:, None] + interval_s * np.arange(samples)[None, :]).ravel()
