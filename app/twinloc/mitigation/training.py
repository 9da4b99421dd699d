"""Pre-training on the twin's virtual data, fine-tuning on measured data, and the comparison (seed 004, §4.3).

The network pre-trained on virtual data is fine-tuned on measured data and compared, in
line-of-sight and non-line-of-sight areas, with the raw fixes and with the cubic polynomial
surface fit. torch loads with the first run (:mod:`twinloc.learn.trainer`), not with this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.learn.polynomial import CubicSurfaceFit
from twinloc.learn.runs import TrainingHistory, TrainingResult, TrainingSettings, settings_dict
from twinloc.mitigation.datasets import MitigationDataset, mean_or_none, split_measured

#: Pre-training on the virtual data: large batches over some 300,000 samples (the hall at 10 cm).
DEFAULT_PRETRAIN = TrainingSettings(epochs=30, batch_size=512, learning_rate=1e-3, patience=8)
#: Fine-tuning on a few thousand measured samples: small batches and steps; early stopping ends
#: it (the hall's simulated site stops after about 170 epochs, 20 s).
DEFAULT_FINE_TUNE = TrainingSettings(epochs=200, batch_size=64, learning_rate=3e-4, patience=10)

StageListener = Callable[[str, int, TrainingHistory], None]
"""``listener(stage, epoch, history)`` after each epoch of a stage ("pretrain", then "fine_tune")."""


@dataclass(frozen=True, eq=False)
class MitigationResult:
    """Mean positioning errors (metres) before and after correction, per area.

    errors : {"los" | "nlos": {"raw" | "nn_pretrained" | "nn" | "poly": float or None}};
        None where the test set has no sample in that area.
    samples : {"virtual", "measured_train", "measured_test"}: sample counts.
    train_seconds : pre-training plus fine-tuning wall-clock time.
    model : the fine-tuned network; polynomial : the baseline fitted on the measured training samples.
    training : {"pretrain" | "fine_tune": TrainingResult}, loss histories and why each stopped.
    test : the held-out measured samples.
    corrected : {"raw" | "nn_pretrained" | "nn" | "poly": (T, 2) metres}, the test positions.
    provenance : the data's and the settings' (saved with the model).
    """

    errors: dict[str, dict[str, float | None]]
    samples: dict[str, int]
    train_seconds: float
    model: Any
    polynomial: CubicSurfaceFit
    training: dict[str, TrainingResult]
    test: MitigationDataset
    corrected: dict[str, np.ndarray]
    provenance: dict[str, Any]

    @property
    def stopped(self) -> str:
        """Why the run ended: the fine-tuning stage's reason, or "cancelled" if either stage was."""
        reasons = [result.stopped for result in self.training.values()]
        return "cancelled" if "cancelled" in reasons else reasons[-1]


def train_mitigation(
    virtual: MitigationDataset,
    measured: MitigationDataset,
    pretrain: TrainingSettings,
    fine_tune: TrainingSettings,
    *,
    architecture: str = "mitigation_net",
    model_kwargs: dict[str, Any] | None = None,
    test_fraction: float = 0.2,
    split: str = "samples",
    seed: int = 0,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
    epoch_listener: StageListener | None = None,
) -> MitigationResult:
    """Pre-train on virtual data, fine-tune on measured data, compare on held-out measured data.

    The measured data are split at random, ``test_fraction`` held out for the comparison
    (seed 004: 80/20). ``split="samples"`` holds out samples, as the paper did, so the test
    points were also seen in training (their other samples); ``split="points"`` holds out whole
    measuring points, which tests the correction where nothing was measured. The polynomial
    baseline is fitted on the same training samples, from the mean of each sample's fixes to
    the true position. A cancelled stage keeps its best
    weights and the run goes on to the comparison, so a cancelled run still gives a usable model.

    Raises
    ------
    ValueError
        Too few measured samples (or points) to hold some out and train on the rest.
    """
    import torch  # loaded by the first run, not at start-up

    from twinloc.learn.models import create_model
    from twinloc.learn.trainer import predict, train

    test, training = split_measured(measured, test_fraction, split, np.random.default_rng(seed))
    model = create_model(architecture, seed=seed, **(model_kwargs or {}))
    model.normalisation.fit(torch.as_tensor(virtual.inputs, dtype=torch.float32),
                            torch.as_tensor(virtual.true, dtype=torch.float32))
    started = time.perf_counter()
    stages = {"pretrain": train(model, virtual.inputs, virtual.true, pretrain, progress=scaled_progress(progress, 0.0, 0.8),
                                cancel=cancel, epoch_listener=_for_stage(epoch_listener, "pretrain"))}
    pretrained = predict(model, test.inputs)
    stages["fine_tune"] = train(model, training.inputs, training.true, fine_tune, progress=scaled_progress(progress, 0.8, 1.0),
                                cancel=cancel, epoch_listener=_for_stage(epoch_listener, "fine_tune"))
    seconds = time.perf_counter() - started
    polynomial = CubicSurfaceFit.fit(training.raw, training.true)
    corrected = {"raw": test.raw, "nn_pretrained": pretrained, "nn": predict(model, test.inputs),
                 "poly": polynomial.predict(test.raw)}
    errors = {
        area: {name: mean_or_none(np.linalg.norm(xy - test.true, axis=1)[mask]) for name, xy in corrected.items()}
        for area, mask in (("los", ~test.nlos), ("nlos", test.nlos))
    }
    provenance = {"virtual": virtual.provenance, "measured": measured.provenance, "seed": int(seed), "split": split,
                  "pretrain": settings_dict(pretrain), "fine_tune": settings_dict(fine_tune)}
    samples = {"virtual": len(virtual), "measured_train": len(training), "measured_test": len(test)}
    return MitigationResult(errors, samples, seconds, model, polynomial, stages, test, corrected, provenance)


def _for_stage(listener: StageListener | None, stage: str):
    return None if listener is None else (lambda epoch, history: listener(stage, epoch, history))
