"""One fingerprinting experiment: choose the labelled reference points, train (on the measured
survey, the twin's, or the twin's then the measured one), predict a test survey, evaluate.

What the CLI's ``fingerprint`` verb and the GUI's training job run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.fingerprint.evaluation import Metrics, PointErrors, evaluate, per_point_errors
from twinloc.fingerprint.models import FingerprintSettings, FittedFingerprintModel, fine_tune, fit_fingerprint_model
from twinloc.learn.runs import TrainingHistory

__all__ = ["TWIN_MODES", "FingerprintRun", "StageListener", "labelled_subset", "run_fingerprint"]

#: Where training data come from: the measured survey only, the twin's virtual survey only,
#: or the twin's first (pre-training) and then the measured one (fine-tuning).
TWIN_MODES = ("none", "only", "prior")

StageListener = Callable[[str, int, TrainingHistory], None]
"""``listener(stage, epoch, history)`` after each epoch of a stage ("fit", then "fine_tune")."""


@dataclass(frozen=True, eq=False)
class FingerprintRun:
    """What an experiment gave.

    model : the fitted model. metrics : on the test survey. predicted : (S, 2) metres, the test
    samples' positions in the test survey's row order. points : errors per test reference point.
    train_points : reference points of the measured training survey; labelled_points : those
    kept (``labelled_fraction``); twin_points : reference points of the twin's survey (0 without).
    test_samples : S. twin : the twin mode. train_seconds : wall-clock time of fitting (and
    fine-tuning), seconds.
    """

    model: FittedFingerprintModel
    metrics: Metrics
    predicted: np.ndarray
    points: PointErrors
    train_points: int
    labelled_points: int
    twin_points: int
    test_samples: int
    twin: str
    train_seconds: float


def labelled_subset(survey, fraction: float, seed: int):
    """The samples of ``fraction`` of ``survey``'s reference points, whole points chosen at
    random by ``seed``: round(fraction x points), at least one.

    Raises
    ------
    ValueError
        A fraction outside (0, 1].
    """
    if not (math.isfinite(fraction) and 0.0 < fraction <= 1.0):
        raise ValueError(f"the labelled fraction must be in (0, 1], got {fraction!r}")
    ids = np.unique(survey.point_ids)
    if fraction == 1.0:
        return survey
    keep = max(1, round(fraction * len(ids)))
    chosen = np.random.default_rng(seed).choice(ids, size=keep, replace=False)
    return survey.select(np.isin(survey.point_ids, chosen))


def run_fingerprint(
    kind: str,
    train_survey,
    test_survey,
    settings: FingerprintSettings | None = None,
    *,
    labelled_fraction: float = 1.0,
    seed: int = 0,
    twin_survey=None,
    twin: str = "none",
    cancel: CancelToken | None = None,
    progress: ProgressFn = report_nothing,
    on_epoch: StageListener | None = None,
) -> FingerprintRun:
    """Train a ``kind`` model as ``twin`` says and evaluate it on ``test_survey``.

    twin : "none" trains on the labelled part of ``train_survey``; "only" on ``twin_survey``;
        "prior" pre-trains on ``twin_survey`` and fine-tunes on the labelled part.
    labelled_fraction, seed : see :func:`labelled_subset`.

    Raises
    ------
    ValueError
        A bad mode or fraction, a missing twin survey, or surveys the model cannot read.
    """
    if twin not in TWIN_MODES:
        raise ValueError(f"twin must be one of {', '.join(TWIN_MODES)}, got {twin!r}")
    if twin != "none" and twin_survey is None:
        raise ValueError(f"--twin {twin} needs the twin's virtual survey")
    labelled = labelled_subset(train_survey, labelled_fraction, seed)
    first = labelled if twin == "none" else twin_survey
    split = 0.5 if twin == "prior" else 0.95
    started = time.perf_counter()
    model = fit_fingerprint_model(kind, first, settings, cancel=cancel, progress=scaled_progress(progress, 0.0, split),
                                  on_epoch=_for_stage(on_epoch, "fit"))
    if twin == "prior":
        model = fine_tune(model, labelled, cancel=cancel, progress=scaled_progress(progress, split, 0.95),
                          on_epoch=_for_stage(on_epoch, "fine_tune"))
    seconds = time.perf_counter() - started
    predicted = model.predict(test_survey)
    progress(1.0, "Evaluated")
    true = np.asarray(test_survey.positions, dtype=np.float64)[:, :2]
    return FingerprintRun(
        model=model,
        metrics=evaluate(true, predicted),
        predicted=predicted,
        points=per_point_errors(true, predicted, test_survey.point_ids),
        train_points=len(np.unique(train_survey.point_ids)),
        labelled_points=len(np.unique(labelled.point_ids)),
        twin_points=0 if twin_survey is None else len(np.unique(twin_survey.point_ids)),
        test_samples=len(true),
        twin=twin,
        train_seconds=seconds,
    )


def _for_stage(listener: StageListener | None, stage: str):
    return None if listener is None else (lambda epoch, history: listener(stage, epoch, history))
