"""Pre-training on the twin's virtual data, fine-tuning on measured data, and the comparison (seed 004, §4.3).

The model pre-trained on virtual data is fine-tuned on measured data and compared, in
line-of-sight and non-line-of-sight areas, with the raw fixes and with the cubic polynomial
surface fit. Two models: the per-link range correction (:mod:`twinloc.mitigation.per_link`, the
default) and the paper's network (``mitigation_net``, eight fixes in, a position out).

Evaluation tells the truth by default: the measured data are split by measuring point (no
sample of a test point is seen in training), and the paper's per-sample split is reported
beside it, each with its own fine-tuning from the same pre-trained model. torch loads with the
first run (:mod:`twinloc.learn.trainer`), not with this module.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.learn.polynomial import CubicSurfaceFit
from twinloc.learn.runs import TrainingHistory, TrainingResult, TrainingSettings, settings_dict
from twinloc.mitigation.datasets import MitigationDataset, mean_or_none, split_measured
from twinloc.mitigation.per_link import LinkTable, PerLinkModel, model_positions, new_per_link_model
from twinloc.model.analysis import RangingModel

#: The models a user chooses between, by the name settings record, with their names in the interface.
MODEL_CHOICES = {"per_link": "per-link model", "mitigation_net": "paper model"}
#: The evaluation protocols on measured data, by the split each fine-tunes on.
PROTOCOLS = {"points": "held_out_points", "samples": "per_sample"}
#: Every protocol's name for people: the two splits and the floor-wide maps (:mod:`twinloc.mitigation.maps`).
PROTOCOL_LABELS = {"held_out_points": "held-out points", "per_sample": "per-sample (paper)",
                   "floor_twin": "floor map (twin)", "floor_site": "floor map (simulated site)"}
#: An area is called worse than raw when the model's mean error exceeds the raw one by more than
#: this: the issue's tolerance for line-of-sight areas (the noise of a few hundred fixes' mean).
WORSE_MARGIN_M = 0.02

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
        None where the test set has no sample in that area; "nn" is the model chosen.
    protocols : {"held_out_points" | "per_sample": {"los" | "nlos": {"raw" | "nn": float or None}}},
        the errors of each split (see :data:`PROTOCOLS`), the other one fine-tuned on its own.
    samples : {"virtual", "measured_train", "measured_test"}: sample counts.
    train_seconds : pre-training plus fine-tuning wall-clock time.
    model : the fine-tuned network; polynomial : the baseline fitted on the measured training samples.
    training : {"pretrain" | "fine_tune": TrainingResult}, loss histories and why each stopped.
    test : the held-out measured samples.
    corrected : {"raw" | "nn_pretrained" | "nn" | "poly": (T, 2) metres}, the test positions.
    provenance : the data's and the settings' (saved with the model).
    """

    errors: dict[str, dict[str, float | None]]
    protocols: dict[str, dict[str, dict[str, float | None]]]
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
    architecture: str = "per_link",
    model_kwargs: dict[str, Any] | None = None,
    link_table: LinkTable | None = None,
    test_fraction: float = 0.2,
    split: str = "points",
    compare_splits: bool = True,
    seed: int = 0,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
    epoch_listener: StageListener | None = None,
) -> MitigationResult:
    """Pre-train on virtual data, fine-tune on measured data, compare on held-out measured data.

    The measured data are split at random, ``test_fraction`` held out for the comparison
    (seed 004: 80/20). ``split="points"`` holds out whole measuring points, which tests the
    correction where nothing was measured; ``split="samples"`` holds out samples, as the paper
    did, so the test points were also seen in training (their other samples). The model of
    ``split`` is the one returned; with ``compare_splits`` the other split is fine-tuned too,
    from the same pre-trained weights, for :attr:`MitigationResult.protocols`. The polynomial
    baseline is fitted on the same training samples, from the mean of each sample's fixes to
    the true position. A cancelled stage keeps its best weights and the run goes on to the
    comparison, so a cancelled run still gives a usable model.

    ``architecture`` is a key of :data:`MODEL_CHOICES`; the per-link model needs ``link_table``
    (the twin's links over its floor) and ranges in both data sets.

    Raises
    ------
    ValueError
        Too few measured samples (or points) to hold some out and train on the rest, or a
        per-link model without a link table or without ranges.
    """
    rng = np.random.default_rng(seed)
    test, training = split_measured(measured, test_fraction, split, np.random.default_rng(seed))
    model = _new_model(architecture, model_kwargs, link_table, virtual, seed)
    _fit_normalisation(model, virtual, rng)
    started = time.perf_counter()
    stages = {"pretrain": _train(model, virtual, pretrain, rng, scaled_progress(progress, 0.0, 0.7), cancel,
                                 _for_stage(epoch_listener, "pretrain"))}
    pretrained_model = _copy(model)
    pretrained = model_positions(model, test)
    stages["fine_tune"] = _train(model, training, fine_tune, rng, scaled_progress(progress, 0.7, 0.85), cancel,
                                 _for_stage(epoch_listener, "fine_tune"))
    seconds = time.perf_counter() - started
    polynomial = CubicSurfaceFit.fit(training.raw, training.true)
    corrected = {"raw": test.raw, "nn_pretrained": pretrained, "nn": model_positions(model, test),
                 "poly": polynomial.predict(test.raw)}
    errors = area_errors(corrected, test)
    protocols = {PROTOCOLS[split]: {area: {"raw": row["raw"], "nn": row["nn"]} for area, row in errors.items()}}
    for other in PROTOCOLS if compare_splits else ():
        if other != split:
            other_test, other_training = split_measured(measured, test_fraction, other, np.random.default_rng(seed))
            _train(pretrained_model, other_training, fine_tune, rng, scaled_progress(progress, 0.85, 1.0), cancel, None)
            protocols[PROTOCOLS[other]] = area_errors({"raw": other_test.raw, "nn": model_positions(pretrained_model, other_test)},
                                           other_test)
    provenance = {"virtual": virtual.provenance, "measured": measured.provenance, "seed": int(seed), "split": split,
                  "architecture": architecture, "pretrain": settings_dict(pretrain), "fine_tune": settings_dict(fine_tune)}
    samples = {"virtual": len(virtual), "measured_train": len(training), "measured_test": len(test)}
    return MitigationResult(errors, protocols, samples, seconds, model, polynomial, stages, test, corrected, provenance)


def area_errors(corrected: dict[str, np.ndarray], data: MitigationDataset) -> dict[str, dict[str, float | None]]:
    """{"los" | "nlos": {name: mean error, metres, or None}} of each (N, 2) metres position set
    in ``corrected`` against ``data``'s true positions, per area the twin assigns."""
    return {area: {name: mean_or_none(np.linalg.norm(xy - data.true, axis=1)[mask]) for name, xy in corrected.items()}
            for area, mask in (("los", ~data.nlos), ("nlos", data.nlos))}


def worse_than_raw(rows: dict[str, dict[str, dict[str, float | None]]]) -> list[str]:
    """The areas a model makes worse than raw (by more than :data:`WORSE_MARGIN_M`), as lines
    such as ``"held-out points LOS: 2.5 cm raw, 112.4 cm corrected"``.

    rows : {protocol (a key of :data:`PROTOCOL_LABELS`): {"los" | "nlos": {"raw" | "nn": metres or None}}}.
    """
    return [f"{PROTOCOL_LABELS[key]} {area.upper()}: {100 * row['raw']:.1f} cm raw, {100 * row['nn']:.1f} cm corrected"
            for key, areas in rows.items() for area, row in areas.items()
            if row.get("raw") is not None and row.get("nn") is not None and row["nn"] > row["raw"] + WORSE_MARGIN_M]


def _new_model(architecture: str, model_kwargs, link_table: LinkTable | None, virtual: MitigationDataset, seed: int):
    if architecture not in MODEL_CHOICES:
        raise ValueError(f"model must be one of {', '.join(MODEL_CHOICES)}, got {architecture!r}")
    if architecture == "per_link":
        if link_table is None:
            raise ValueError("the per-link model needs the twin's link table")
        given = virtual.provenance
        return new_per_link_model(link_table, given["anchors"], given["tag_height_m"], RangingModel(**given["ranging"]),
                                  seed)
    from twinloc.learn.models import create_model  # torch loads with the first run

    return create_model(architecture, seed=seed, **(model_kwargs or {}))


def _fit_normalisation(model, virtual: MitigationDataset, rng: np.random.Generator) -> None:
    import torch

    inputs, targets = _examples(model, virtual, rng)
    network = model.network if isinstance(model, PerLinkModel) else model
    network.normalisation.fit(torch.as_tensor(inputs, dtype=torch.float32), torch.as_tensor(targets, dtype=torch.float32))


def _examples(model, data: MitigationDataset, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """What the network learns from ``data``: shut links and their corrections, or fixes and positions."""
    if isinstance(model, PerLinkModel):
        return model.training_links(data, rng)
    return data.inputs, data.true


def _train(model, data: MitigationDataset, settings: TrainingSettings, rng, progress, cancel, listener) -> TrainingResult:
    from twinloc.learn.trainer import train

    inputs, targets = _examples(model, data, rng)
    network = model.network if isinstance(model, PerLinkModel) else model
    return train(network, inputs, targets, settings, progress=progress, cancel=cancel, epoch_listener=listener)


def _copy(model):
    return model.copy() if isinstance(model, PerLinkModel) else copy.deepcopy(model)


def _for_stage(listener: StageListener | None, stage: str):
    return None if listener is None else (lambda epoch, history: listener(stage, epoch, history))
