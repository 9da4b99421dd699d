"""Fingerprint features of a survey: what a positioning model reads for each sample.

A feature row holds, per transmitter and in the model's order of transmitters, the RSS (dBm),
the range (metres) or both (all RSS columns first, then all range columns). A transmitter
that was not heard gets a floor value instead of NaN, so "not heard" reads as "very weak" or
"very far": :data:`NOT_HEARD_RSS_DBM`, :data:`NOT_RANGED_M`. RSS below the floor is raised to
it, so a missing reading is never stronger than a real one.

Sequence models read windows of consecutive rows along the survey's route
(:func:`time_order`, :func:`lag_windows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "FEATURE_KINDS",
    "NOT_HEARD_RSS_DBM",
    "NOT_RANGED_M",
    "FeatureSpec",
    "aligned_columns",
    "fingerprint_features",
    "lag_windows",
    "time_order",
]

#: Feature kinds: RSS only, range only, both.
FEATURE_KINDS = ("rss", "range", "rss+range")
#: RSS of a transmitter that was not heard, dBm: below the sensitivity of Wi-Fi and BLE
#: receivers (about -95 dBm), so it reads as the weakest possible reading.
NOT_HEARD_RSS_DBM = -100.0
#: Range to a transmitter that gave none, metres: beyond what UWB and Wi-Fi RTT reach indoors.
NOT_RANGED_M = 50.0


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model reads, in which column order; saved with the model.

    kind : one of :data:`FEATURE_KINDS`.
    transmitters : (T,) names, the model's column order.
    not_heard_rss_dbm, not_ranged_m : the floor values of missing readings.
    """

    kind: str
    transmitters: tuple[str, ...]
    not_heard_rss_dbm: float = NOT_HEARD_RSS_DBM
    not_ranged_m: float = NOT_RANGED_M

    def __post_init__(self) -> None:
        if self.kind not in FEATURE_KINDS:
            raise ValueError(f"features must be one of {', '.join(FEATURE_KINDS)}, got {self.kind!r}")
        if not self.transmitters:
            raise ValueError("a fingerprint needs at least one transmitter")

    @property
    def columns(self) -> int:
        """F, the number of features per sample."""
        return len(self.transmitters) * (2 if self.kind == "rss+range" else 1)

    def features(self, survey) -> np.ndarray:
        """(S, F) float64 features of ``survey`` in this spec's transmitter order.

        Transmitters the survey lacks read as never heard; the survey's others are ignored.

        Raises
        ------
        ValueError
            When the survey shares no transmitter with the spec, or has no ranges and the
            kind needs them.
        """
        names = list(survey.transmitters)
        shared = [name for name in self.transmitters if name in names]
        if not shared:
            raise ValueError(f"the survey's transmitters ({_names_text(names)}) include none of the model's "
                             f"({_names_text(self.transmitters)})")
        parts = []
        if self.kind in ("rss", "rss+range"):
            rss = aligned_columns(survey.rss_dbm, names, self.transmitters, self.not_heard_rss_dbm)
            parts.append(np.maximum(rss, self.not_heard_rss_dbm))
        if self.kind in ("range", "rss+range"):
            if survey.range_m is None:
                raise ValueError(f"{self.kind} features need ranges, and the survey has none (no range_m columns)")
            parts.append(aligned_columns(survey.range_m, names, self.transmitters, self.not_ranged_m))
        return np.hstack(parts)

    def kinds_of_columns(self) -> np.ndarray:
        """(F,) str, "rss" or "range" for each feature column."""
        count = len(self.transmitters)
        return np.array({"rss": ["rss"] * count, "range": ["range"] * count,
                         "rss+range": ["rss"] * count + ["range"] * count}[self.kind])

    def as_dict(self) -> dict:
        """Plain values, for a saved model's metadata."""
        return {"kind": self.kind, "transmitters": list(self.transmitters),
                "not_heard_rss_dbm": self.not_heard_rss_dbm, "not_ranged_m": self.not_ranged_m}


def fingerprint_features(survey, kind: str = "rss", transmitters=None) -> np.ndarray:
    """(S, F) float64 features of ``survey``: see :class:`FeatureSpec` (``transmitters`` default:
    the survey's own, in its order)."""
    names = tuple(survey.transmitters) if transmitters is None else tuple(transmitters)
    return FeatureSpec(kind, names).features(survey)


def time_order(survey) -> np.ndarray:
    """(S,) int: the samples in the order they were taken along the route.

    By time when the survey has times (ties keep the file order), else the file order.
    """
    if survey.times_s is None:
        return np.arange(len(survey.positions))
    return np.argsort(np.asarray(survey.times_s, dtype=np.float64), kind="stable")


def lag_windows(features: np.ndarray, lag: int) -> np.ndarray:
    """(S, lag * F) windows of ``features`` (S, F), given in time order.

    Row t is [x[t-lag+1], ..., x[t-1], x[t]] flattened, oldest first (seed 002, Eq. 2). The
    first rows, which have fewer than ``lag - 1`` predecessors, repeat the first sample in
    place of the missing ones, so every sample gets a window (and a position).
    """
    features = np.asarray(features, dtype=np.float64)
    if lag < 1:
        raise ValueError(f"lag must be >= 1, got {lag}")
    steps = np.arange(len(features))[:, None] + np.arange(-lag + 1, 1)[None, :]
    return features[np.maximum(steps, 0)].reshape(len(features), -1)


def aligned_columns(values: np.ndarray, names, transmitters, fill: float) -> np.ndarray:
    """(S, len(transmitters)) float64: the columns of ``values`` (S, len(names)), named ``names``,
    in the order ``transmitters``; ``fill`` for a transmitter ``names`` lacks and for NaN."""
    values = np.asarray(values, dtype=np.float64)
    column = {name: index for index, name in enumerate(names)}
    out = np.full((len(values), len(transmitters)), fill)
    for index, name in enumerate(transmitters):
        if name in column:
            out[:, index] = values[:, column[name]]
    out[~np.isfinite(out)] = fill
    return out


def _names_text(names) -> str:
    names = list(names)
    shown = ", ".join(names[:6])
    return shown + (f" and {len(names) - 6} more" if len(names) > 6 else "") if names else "none"
