"""The preprocessing of seed 002 (§4.2, Eqs. 7-10): outliers, missing readings, transmitter selection.

1. Outliers: at each reference point (RP), an RSS sample of a transmitter that lies more than
   ``outlier_db`` from the mean of that RP's samples of that transmitter is replaced by that
   mean (Eq. 8; the mean is taken over the RP's heard samples, the outlier included).
2. Missing readings: a sample in which a transmitter was not heard takes the mean of the
   RP's heard samples of that transmitter (Eq. 9); where the RP never heard it, ``fill_dbm``
   (-100 dBm by default: the seed's "unusable signal" end of its scale).
3. Selection: transmitters heard (RSS or range) in fewer than ``min_heard_fraction`` of the
   samples are dropped (Eq. 10: the seed drops access points whose filled RSS stays near
   -100 dBm with a small spread, which is what a transmitter that is rarely heard gives).

Ranges are kept as measured; only the columns of dropped transmitters go.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinloc.fingerprint.survey import Survey, SurveyError


@dataclass(frozen=True)
class PreprocessReport:
    """What preprocessing did.

    outliers_replaced : RSS samples moved to their RP's mean.
    filled_from_point_mean : missing RSS readings filled with the RP's mean of that transmitter.
    filled_with_floor : missing RSS readings filled with ``fill_dbm`` (the RP never heard it).
    dropped_transmitters : names of the transmitters dropped as never or barely heard.
    kept_transmitters : names of the transmitters kept, in the survey's order.
    """

    outliers_replaced: int
    filled_from_point_mean: int
    filled_with_floor: int
    dropped_transmitters: tuple[str, ...]
    kept_transmitters: tuple[str, ...]

    def summary(self) -> dict:
        return {
            "outliers_replaced": self.outliers_replaced,
            "filled_from_point_mean": self.filled_from_point_mean,
            "filled_with_floor": self.filled_with_floor,
            "dropped_transmitters": list(self.dropped_transmitters),
            "kept_transmitters": len(self.kept_transmitters),
        }


def preprocess(
    survey: Survey, *, outlier_db: float = 10.0, fill_dbm: float = -100.0, min_heard_fraction: float = 0.05
) -> tuple[Survey, PreprocessReport]:
    """Apply the three steps of seed 002 to ``survey``.

    Parameters
    ----------
    survey : Survey
    outlier_db : float, default: 10.0
        A sample further than this from its RP's mean of the transmitter is an outlier, dB (> 0).
    fill_dbm : float, default: -100.0
        RSS given to a transmitter an RP never heard, dBm.
    min_heard_fraction : float, default: 0.05
        Transmitters heard in fewer than this fraction of all samples are dropped (0 to 1).

    Returns
    -------
    (Survey, PreprocessReport)
        The survey with no NaN RSS left and only the kept transmitters; what was done.

    Raises
    ------
    ValueError
        A threshold out of its range. SurveyError (a ValueError): every transmitter would be dropped.
    """
    if not (math.isfinite(outlier_db) and outlier_db > 0):
        raise ValueError(f"the outlier threshold must be a number > 0 dB, got {outlier_db!r}")
    if not math.isfinite(fill_dbm):
        raise ValueError(f"the fill value must be a finite number of dBm, got {fill_dbm!r}")
    if not (math.isfinite(min_heard_fraction) and 0.0 <= min_heard_fraction <= 1.0):
        raise ValueError(f"the least heard fraction must be 0 to 1, got {min_heard_fraction!r}")

    rss = survey.rss_dbm.copy()
    heard = ~np.isnan(rss)
    _, point = np.unique(survey.point_ids, return_inverse=True)
    point = point.ravel()
    mean = _point_means(rss, heard, point)  # (P, T), NaN where the RP never heard the transmitter
    outliers = heard & (np.abs(rss - mean[point]) > outlier_db)
    rss[outliers] = mean[point][outliers]

    missing = ~heard
    from_mean = missing & ~np.isnan(mean[point])
    rss[from_mean] = mean[point][from_mean]
    from_floor = missing & ~from_mean
    rss[from_floor] = fill_dbm

    measured = heard if survey.range_m is None else heard | ~np.isnan(survey.range_m)
    keep = measured.mean(axis=0) >= min_heard_fraction if len(rss) else np.ones(rss.shape[1], dtype=bool)
    names = np.array(survey.transmitters, dtype=object)
    if not keep.any():
        raise SurveyError(
            f"every transmitter is heard in fewer than {100 * min_heard_fraction:g} % of the samples; "
            "nothing is left to fingerprint"
        )
    cleaned = Survey(
        positions=survey.positions,
        point_ids=survey.point_ids,
        times_s=survey.times_s,
        transmitters=tuple(names[keep]),
        rss_dbm=rss[:, keep],
        range_m=None if survey.range_m is None else survey.range_m[:, keep],
    )
    report = PreprocessReport(
        outliers_replaced=int(outliers.sum()),
        filled_from_point_mean=int(from_mean.sum()),
        filled_with_floor=int(from_floor.sum()),
        dropped_transmitters=tuple(names[~keep]),
        kept_transmitters=tuple(names[keep]),
    )
    return cleaned, report


def _point_means(rss: np.ndarray, heard: np.ndarray, point: np.ndarray) -> np.ndarray:
    """(P, T) mean of each RP's heard samples of each transmitter, dBm; NaN where none was heard."""
    points = int(point.max()) + 1 if len(point) else 0
    total = np.zeros((points, rss.shape[1]))
    count = np.zeros((points, rss.shape[1]))
    np.add.at(total, point, np.where(heard, rss, 0.0))
    np.add.at(count, point, heard)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
