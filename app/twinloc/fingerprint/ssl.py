"""Positioning from few labels: seed 003's semi-supervised framework with consistency, its
baselines and ensembles.

A dataset is N samples of model inputs (an angle-delay image (N, A, D), or flat features (N, F)
such as :func:`multipath_features`) with their true positions (N, 2 or 3) metres, all known in
the twin. :func:`split_samples` holds out a test split and hides the positions of all but
``labelled_fraction`` of the rest; the methods of :func:`run_ssl` learn from what is left:

- ``"supervised"``: the model trained on the labelled samples only.
- ``"consistency"`` (seed 003, §III.A): stage 1 pre-trains on the labelled samples; stage 2
  gives the unlabelled samples two pseudo-positions by two interpolations of the labelled
  positions over their nearest labelled neighbours in input space (the nearest one's position,
  and the inverse-distance weighted mean of ``neighbours``; neighbours by the similarity of
  :data:`SIMILARITIES` that interpolates the labelled samples best), fine-tunes one copy of the model on
  each pseudo-dataset with the labelled samples, and keeps a pseudo-label where the two copies'
  predictions agree within ``agreement_m`` (:func:`agreeing_pairs`, label = their mean); stage 3
  fine-tunes the model on labelled + kept samples. Each further round repeats stages 2 and 3
  from the last stage-3 model.
- ``"mean-teacher"``: :func:`twinloc.learn.mean_teacher.train_mean_teacher`.
- ``"ensemble"`` (seed 003, §III.B): the three models above combined by
  :func:`weighted_average` (weights :func:`agreement_weights`) and by :func:`consensus`.

A dataset of a base station of several sectors (:mod:`twinloc.fingerprint.sectors`) trains
models with decoupled heads, one per sector, each sample mapped by its own sector's head, and
interpolates pseudo-labels within a sector; with ``sector_rotation`` every labelled sample also
labels the other sectors, turned by whole sectors about the station (seed 003, §III.C).

Torch is loaded only when :func:`run_ssl` trains, so importing this module stays cheap.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.fingerprint.evaluation import Metrics, evaluate, position_errors

__all__ = [
    "METHODS",
    "PseudoLabelRound",
    "SslResult",
    "SslSettings",
    "agreeing_pairs",
    "dataset_inputs",
    "agreement_weights",
    "consensus",
    "multipath_features",
    "run_ssl",
    "split_samples",
    "weighted_average",
]

METHODS = ("supervised", "consistency", "mean-teacher", "ensemble")
#: The ensemble's members, in the order they train, with each one's share of its progress.
ENSEMBLE_MEMBERS = {"supervised": (0.0, 0.2), "mean-teacher": (0.2, 0.4), "consistency": (0.4, 1.0)}
#: Most pseudo-label rounds of the consistency framework.
MAX_ROUNDS = 20
#: Most samples a run learns from, test split included: 100,000 angle-delay images of 32 x 64
#: are 820 MB of float32, read once into memory.
MAX_SAMPLES = 100_000
#: Similarities the consistency method's interpolations may find neighbours by: the angle
#: between two samples' inputs (blind to their overall power), or the Euclidean distance of
#: inputs standardised per feature. Each run takes the one that interpolates its labelled
#: samples best (leave-one-out), never looking at the test split.
SIMILARITIES = ("cosine", "standardised")
#: Model inputs of each dataset member :func:`dataset_inputs` reads.
INPUTS = ("angle-delay", "multipath")


@dataclass(frozen=True)
class SslSettings:
    """How :func:`run_ssl` trains.

    pretrain_epochs : epochs of stage 1 (and of the supervised and mean-teacher models).
    finetune_epochs : epochs of each fine-tuning of stages 2 and 3.
    batch_size, learning_rate, threads : as :class:`twinloc.learn.runs.TrainingSettings`.
    agreement_m : r, metres: the largest distance between the two stage-2 predictions of a
        sample whose pseudo-label is kept; also the consensus radius of the ensemble.
    neighbours : labelled neighbours of the inverse-distance interpolation.
    test_fraction : share of the samples held out for the metrics.
    noise, ema_decay, consistency_weight : of the mean teacher.
    channels, blocks : of the CNN (image inputs); hidden, layers : of the MLP (flat inputs).
    """

    pretrain_epochs: int = 150
    finetune_epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 2e-3
    threads: int = 1
    agreement_m: float = 1.0
    neighbours: int = 4
    test_fraction: float = 0.2
    noise: float = 0.1
    ema_decay: float = 0.99
    consistency_weight: float = 1.0
    channels: int = 16
    blocks: int = 3
    hidden: int = 64
    layers: int = 3

    def __post_init__(self) -> None:
        if min(self.pretrain_epochs, self.finetune_epochs, self.batch_size, self.threads, self.neighbours) < 1:
            raise ValueError("epochs, batch size, threads and neighbours must be >= 1")
        if not (math.isfinite(self.agreement_m) and self.agreement_m > 0):
            raise ValueError(f"agreement distance must be > 0 metres, got {self.agreement_m!r}")
        if not (0.0 < self.test_fraction < 1.0):
            raise ValueError(f"test fraction must be in (0, 1), got {self.test_fraction!r}")
        if not (0.0 <= self.ema_decay < 1.0):
            raise ValueError(f"EMA decay must be in [0, 1), got {self.ema_decay!r}")


@dataclass(frozen=True)
class PseudoLabelRound:
    """One round of stage 2: pseudo-labels kept and dropped, and their true mean errors, metres
    (NaN when there are none)."""

    accepted: int
    rejected: int
    accepted_error_m: float
    rejected_error_m: float


@dataclass(frozen=True)
class SslResult:
    """What :func:`run_ssl` measured on the test split.

    metrics : of the method's model (for "ensemble", of the weighted average).
    rounds : per consistency round (empty for other methods but "ensemble", which runs one).
    members : "ensemble" only: metrics of each member and of each combination rule.
    predictions : (T, 2) metres, the model's positions of the test samples; test : (T,) their indices.
    similarity : the :data:`SIMILARITIES` entry the consistency rounds' interpolations used (None
        for the methods without them).
    """

    method: str
    metrics: Metrics
    rounds: tuple[PseudoLabelRound, ...]
    train_seconds: float
    labelled: int
    unlabelled: int
    test: np.ndarray
    predictions: np.ndarray
    members: dict[str, Metrics] = field(default_factory=dict)
    rotated_labels: int = 0
    similarity: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON: the metrics at the top level, then rounds and members."""
        accepted = [r.accepted_error_m for r in self.rounds]
        return {
            "method": self.method,
            **self.metrics.as_dict(),
            "labelled": self.labelled,
            "unlabelled": self.unlabelled,
            "test": int(len(self.test)),
            "rotated_labels": self.rotated_labels,
            "pseudo_labels": [r.accepted for r in self.rounds],
            "pseudo_label_error_m": _plain(accepted[-1]) if accepted else None,
            "interpolation_similarity": self.similarity,
            "rounds": [{key: _plain(value) for key, value in vars(r).items()} for r in self.rounds],
            "members": {name: metrics.as_dict() for name, metrics in self.members.items()},
            "train_seconds": self.train_seconds,
        }


def agreeing_pairs(pred_a: np.ndarray, pred_b: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """Seed 003's consistency rule: which pairs of predictions agree, and their mean.

    Parameters
    ----------
    pred_a, pred_b : (N, 2 or 3) metres, two models' positions of the same N samples.
    r : metres; a pair agrees when its (x, y) distance is at most r.

    Returns
    -------
    mask : (N,) bool, the agreeing pairs.
    mean : (M, 2 or 3) metres, the mean of each agreeing pair, in sample order (M = mask.sum()).
    """
    pred_a, pred_b = np.asarray(pred_a, dtype=np.float64), np.asarray(pred_b, dtype=np.float64)
    mask = position_errors(pred_a, pred_b) <= r
    return mask, (pred_a[mask] + pred_b[mask]) / 2.0


def weighted_average(predictions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(N, 2) metres: the members' predictions (M, N, 2) averaged with weights (M,) >= 0, not all 0."""
    weights = np.asarray(weights, dtype=np.float64)
    return np.tensordot(weights / weights.sum(), np.asarray(predictions, dtype=np.float64), axes=1)


def agreement_weights(predictions: np.ndarray) -> np.ndarray:
    """(M,) weights summing to 1: each member's inverse mean distance to the members' median.

    A label-free weighting: a member that strays from what the others predict counts less.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    median = np.median(predictions, axis=0)
    distances = np.linalg.norm(predictions - median, axis=2).mean(axis=1)
    inverse = 1.0 / np.maximum(distances, 1e-9)
    return inverse / inverse.sum()


def consensus(predictions: np.ndarray, r: float) -> np.ndarray:
    """(N, 2) metres: per sample, the mean of the members within r metres of the members'
    coordinate-wise median (seed 003's consensus regions); the median where none is.

    predictions : (M, N, 2) metres.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    median = np.median(predictions, axis=0)
    near = np.linalg.norm(predictions - median, axis=2) <= r  # (M, N)
    counts = near.sum(axis=0)
    summed = (predictions * near[:, :, None]).sum(axis=0)
    return np.where(counts[:, None] > 0, summed / np.maximum(counts, 1)[:, None], median)


def multipath_features(multipath: np.ndarray) -> np.ndarray:
    """(N, K * 8) float32 MLP inputs from (N, K, 7) NaN-padded path parameters.

    Each path gives its 7 values (NaN replaced by 0) and a 1/0 flag saying whether it exists,
    so a missing path is told apart from one of zero delay and power.
    """
    multipath = np.asarray(multipath, dtype=np.float32)
    present = np.isfinite(multipath).all(axis=2, keepdims=True)
    values = np.where(present, np.nan_to_num(multipath), 0.0)
    return np.concatenate([values, present.astype(np.float32)], axis=2).reshape(len(multipath), -1)


def dataset_inputs(dataset, which: str) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, positions) of a :class:`twinloc.fingerprint.csi_dataset.CsiDataset` (or any object
    with its ``path``, ``len``, ``batches`` and ``positions``).

    which : "angle-delay", the (N, A, D) images (the CNN's input), or "multipath", the
        :func:`multipath_features` of its paths (the MLP's). Each array is read once.

    Raises ValueError for an unknown input or a dataset of more than :data:`MAX_SAMPLES`.
    """
    if which not in INPUTS:
        raise ValueError(f"unknown input {which!r}; known: {', '.join(INPUTS)}")
    if len(dataset) > MAX_SAMPLES:
        raise ValueError(f"{dataset.path}: {len(dataset):,} samples are more than the {MAX_SAMPLES:,} a run learns from")
    if which == "angle-delay":
        inputs = np.concatenate(list(dataset.batches("angle_delay", 4096)))
    else:
        inputs = np.concatenate([multipath_features(batch) for batch in dataset.batches("multipath", 4096)])
    return inputs.astype(np.float32, copy=False), dataset.positions


def split_samples(count: int, labelled_fraction: float, test_fraction: float, seed: int):
    """Indices (labelled, unlabelled, test) of ``count`` samples, drawn with ``seed``.

    ``test_fraction`` of the samples are held out; ``labelled_fraction`` of the rest (at least 2)
    keep their positions. Each index array is sorted.
    """
    if not (0.0 < labelled_fraction <= 1.0):
        raise ValueError(f"labelled fraction must be in (0, 1], got {labelled_fraction!r}")
    order = np.random.default_rng(seed).permutation(count)
    tests = max(1, int(round(count * test_fraction)))
    rest = order[tests:]
    labelled = max(2, int(round(len(rest) * labelled_fraction)))
    if len(rest) < labelled:
        raise ValueError(f"{count} samples are too few: a test split and at least 2 labelled samples are needed")
    return np.sort(rest[:labelled]), np.sort(rest[labelled:]), np.sort(order[:tests])


def run_ssl(
    inputs: np.ndarray,
    positions: np.ndarray,
    labelled_fraction: float,
    method: str,
    *,
    rounds: int = 1,
    seed: int = 0,
    settings: SslSettings = SslSettings(),
    cancel: CancelToken | None = None,
    progress: ProgressFn = report_nothing,
    on_epoch: Callable | None = None,
    on_round: Callable[[int, PseudoLabelRound], None] | None = None,
    sectors=None,
    sector_rotation: bool = False,
    runner=None,
) -> SslResult:
    """Train by ``method`` (one of :data:`METHODS`) from a fraction of labels and test it.

    Parameters
    ----------
    inputs : (N, A, D) angle-delay images (the CNN learns them) or (N, F) features (the MLP).
    positions : (N, 2 or 3) true positions, metres; only (x, y) are learnt.
    labelled_fraction : share of the non-test samples whose positions are known.
    rounds : consistency rounds (stages 2 and 3), 1 to :data:`MAX_ROUNDS`.
    seed : of the split, the initial weights and the batch order.
    cancel : checked between batches; a cancelled run raises
        :class:`twinloc.cancellation.JobCancelled`.
    on_epoch : ``on_epoch(epoch, history)`` after each training epoch (live losses).
    on_round : ``on_round(number, round)`` after each consistency round (1-based number), with its
        pseudo-label counts and errors.
    sectors : :class:`~twinloc.fingerprint.sectors.SectorSamples` of the N samples, when the
        base station has several sectors: the models get one head per sector.
    sector_rotation : also label every other sector with each labelled sample turned by whole
        sectors (:func:`~twinloc.fingerprint.sectors.rotated_copies`); needs ``sectors`` whose
        twin allows it (ValueError with the reason otherwise).
    runner : :class:`twinloc.studies.Runner` or None
        For "ensemble" only: its three members run as the runner's tasks (on a cluster, side by
        side), with the same results as without one. Progress then comes once per finished
        member, ``on_epoch`` is not called, ``on_round`` is called when the members are back,
        and ``cancel`` is checked between members (in-process) or as the runner polls it
        (cluster). None: the members train one after the other in this thread.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    if not (isinstance(rounds, int) and 1 <= rounds <= MAX_ROUNDS):
        raise ValueError(f"rounds must be a whole number from 1 to {MAX_ROUNDS}, got {rounds!r}")
    inputs = np.asarray(inputs, dtype=np.float32)
    positions = np.asarray(positions, dtype=np.float64)
    if inputs.ndim not in (2, 3) or positions.ndim != 2 or positions.shape[1] < 2 or len(inputs) != len(positions):
        raise ValueError(f"inputs (N, F) or (N, A, D) and positions (N, 2|3) expected, "
                         f"got {inputs.shape} and {positions.shape}")
    if not (np.isfinite(inputs).all() and np.isfinite(positions).all()):
        raise ValueError("inputs and positions must be finite (use multipath_features for NaN-padded paths)")
    _check_sectors(sectors, sector_rotation, len(inputs))
    labelled, unlabelled, test = split_samples(len(inputs), labelled_fraction, settings.test_fraction, seed)
    if method != "supervised" and len(unlabelled) == 0:
        raise ValueError(f"the {method} method needs unlabelled samples; lower the labelled fraction")
    trainer = _Trainer(inputs, positions[:, :2], labelled, unlabelled, seed, settings, cancel, on_epoch,
                       sectors, sector_rotation)
    started = time.perf_counter()
    found_rounds = _Rounds(on_round)
    members: dict[str, Metrics] = {}
    x_test, y_test = trainer.x[test], positions[test, :2]
    if method == "supervised":
        predicted = trainer.predict(trainer.supervised(progress), x_test)
    elif method == "consistency":
        model = trainer.consistency(rounds, found_rounds, progress)
        predicted = trainer.predict(model, x_test)
    elif method == "mean-teacher":
        predicted = trainer.predict(trainer.mean_teacher(progress), x_test)
    else:
        if runner is None:
            outputs = [_member(trainer, name, rounds, found_rounds, scaled_progress(progress, *share), test)
                       for name, share in ENSEMBLE_MEMBERS.items()]
        else:
            shared = {"inputs": inputs, "positions": positions[:, :2], "labelled": labelled, "unlabelled": unlabelled,
                      "test": test, "seed": seed, "settings": settings, "rounds": rounds, "sectors": sectors,
                      "sector_rotation": sector_rotation}
            outputs = runner.map(_ensemble_member, list(ENSEMBLE_MEMBERS), shared=shared, seed=seed,
                                 progress=progress, cancel=cancel)
            for _, _, member_rounds, similarity in outputs:
                for found in member_rounds:
                    found_rounds.append(found)
                trainer.similarity = similarity or trainer.similarity
        stacked = np.stack([output[0] for output in outputs])
        unlabelled_votes = np.stack([output[1] for output in outputs])
        members = {name: evaluate(y_test, guess) for name, guess in zip(ENSEMBLE_MEMBERS, stacked)}
        predicted = weighted_average(stacked, agreement_weights(unlabelled_votes))
        members["weighted-average"] = evaluate(y_test, predicted)
        members["consensus"] = evaluate(y_test, consensus(stacked, settings.agreement_m))
    progress(1.0, "Done")
    return SslResult(
        method=method,
        metrics=evaluate(y_test, predicted),
        rounds=tuple(found_rounds),
        train_seconds=time.perf_counter() - started,
        labelled=len(labelled),
        unlabelled=len(unlabelled),
        test=test,
        predictions=predicted,
        members=members,
        rotated_labels=len(trainer.labelled) - len(labelled),
        similarity=trainer.similarity,
    )


def _member(trainer: _Trainer, name: str, rounds: int, found: list[PseudoLabelRound], progress: ProgressFn,
            test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Train the ensemble member ``name`` (of :data:`ENSEMBLE_MEMBERS`) and return its positions
    of the ``test`` rows (T, 2) and of the unlabelled rows (U, 2), metres; the consistency
    member appends its rounds to ``found``.

    Everything runs on ``settings.threads`` torch threads, the normalisation's statistics and
    the predictions too: a sum split over another number of threads may differ in its last
    bits, and the members must come out the same in this process and on a study's worker.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(trainer.settings.threads)
    try:
        if name == "supervised":
            model = trainer.supervised(progress)
        elif name == "mean-teacher":
            model = trainer.mean_teacher(progress)
        else:
            model = trainer.consistency(rounds, found, progress)
        return trainer.predict(model, trainer.x[test]), trainer.predict(model, trainer.x[trainer.unlabelled])
    finally:
        torch.set_num_threads(previous)


def _ensemble_member(name: str, shared: dict, rng_seed) -> tuple[np.ndarray, np.ndarray, tuple, str | None]:
    """One ensemble member as a study's task: :func:`_member` on a trainer rebuilt from ``shared``
    (:func:`run_ssl`'s arrays and settings), and the consistency member's rounds and similarity.

    ``rng_seed`` is not used: every member keeps the run's own seed, so the study's does not
    change the result.
    """
    trainer = _Trainer(shared["inputs"], shared["positions"], shared["labelled"], shared["unlabelled"], shared["seed"],
                       shared["settings"], None, None, shared["sectors"], shared["sector_rotation"])
    found: list[PseudoLabelRound] = []
    test_guess, unlabelled_guess = _member(trainer, name, shared["rounds"], found, report_nothing, shared["test"])
    return test_guess, unlabelled_guess, tuple(found), trainer.similarity


def _check_sectors(sectors, sector_rotation: bool, count: int) -> None:
    """Raise ValueError when the sectors do not fit the samples or rotation does not apply."""
    if sectors is not None and np.shape(sectors.sector) != (count,):
        raise ValueError(f"{count} samples need {count} sectors, got {np.shape(sectors.sector)}")
    if sector_rotation and sectors is None:
        raise ValueError("sector rotation needs the sector of every sample: a dataset of a base station of "
                         "several sectors (twinloc csi-dataset --sectors N)")
    if sector_rotation and not sectors.rotation.applies:
        raise ValueError(f"sector rotation does not apply: {sectors.rotation.reason}")


class _Trainer:
    """The models of one run, on flat float32 rows ``x`` (N, I) and true (x, y) ``y`` (N, 2)."""

    def __init__(self, inputs, positions, labelled, unlabelled, seed, settings, cancel, on_epoch,
                 sectors=None, sector_rotation=False) -> None:
        self.x = inputs.reshape(len(inputs), -1)
        self.y = positions
        self.image = inputs.shape[1:] if inputs.ndim == 3 else None
        self.labelled, self.unlabelled = labelled, unlabelled
        self.seed, self.settings, self.cancel, self.on_epoch = seed, settings, cancel, on_epoch
        self.sectors, self.sector = 1, None
        self.similarity: str | None = None  # set by the consistency method's interpolations
        if sectors is not None:
            self._add_sectors(sectors, sector_rotation)

    def _add_sectors(self, sectors, sector_rotation: bool) -> None:
        """Append each row's sector to it (the heads' input) and, with ``sector_rotation``, the
        labelled rows turned into every other sector as more labelled rows. Rows are copied once."""
        from twinloc.fingerprint.sectors import rotated_copies

        source = np.zeros(0, dtype=np.int64)
        sector = np.asarray(sectors.sector, dtype=np.int8)
        if sector_rotation:
            copied, turned, turned_sector = rotated_copies(self.y[self.labelled], sector[self.labelled],
                                                           sectors.centre, sectors.count)
            source = self.labelled[copied]
            self.labelled = np.concatenate([self.labelled, len(self.x) + np.arange(len(source))])
            self.y = np.concatenate([self.y, turned])
            sector = np.concatenate([sector, turned_sector])
        rows = np.empty((len(self.x) + len(source), self.x.shape[1] + 1), dtype=np.float32)
        rows[:len(self.x), :-1] = self.x
        rows[len(self.x):, :-1] = self.x[source]
        rows[:, -1] = sector
        self.x, self.sectors, self.sector = rows, sectors.count, sector

    def fresh_model(self):
        """An untrained model whose normalisation is fitted: inputs on every training sample
        (unlabelled ones included: their inputs are known), targets on the labelled ones."""
        import torch

        from twinloc.learn.models import create_model

        s = self.settings
        if self.image is not None:
            model = create_model("angle_delay_resnet", seed=self.seed, antennas=self.image[0],
                                 delay_bins=self.image[1], channels=s.channels, blocks=s.blocks, sectors=self.sectors)
        else:
            model = create_model("position_mlp", seed=self.seed, inputs=self.x.shape[1] - (self.sectors > 1),
                                 hidden=s.hidden, layers=s.layers, sectors=self.sectors)
        known = np.concatenate([self.labelled, self.unlabelled])
        model.normalisation.fit(torch.as_tensor(self.x[known]), torch.as_tensor(self.y[self.labelled]))
        return model

    def fit(self, model, rows: np.ndarray, targets: np.ndarray, epochs: int, progress: ProgressFn):
        """Train ``model`` in place on ``self.x[rows]`` and ``targets`` (len(rows), 2)."""
        from twinloc.cancellation import JobCancelled
        from twinloc.learn.runs import TrainingSettings
        from twinloc.learn.trainer import train

        s = self.settings
        result = train(
            model, self.x[rows], targets,
            TrainingSettings(epochs=epochs, batch_size=s.batch_size, learning_rate=s.learning_rate,
                             validation_fraction=0.15, patience=max(10, epochs // 5), lr_patience=5,
                             seed=self.seed, threads=s.threads),
            progress=progress, cancel=self.cancel, epoch_listener=self.on_epoch,
        )
        if result.stopped == "cancelled":
            raise JobCancelled("cancelled")
        return model

    def predict(self, model, rows_x: np.ndarray) -> np.ndarray:
        from twinloc.learn.trainer import predict

        return predict(model, rows_x)

    def supervised(self, progress: ProgressFn):
        progress(0.0, "Training on the labelled samples")
        return self.fit(self.fresh_model(), self.labelled, self.y[self.labelled], self.settings.pretrain_epochs,
                        progress)

    def mean_teacher(self, progress: ProgressFn):
        from twinloc.cancellation import JobCancelled
        from twinloc.learn.mean_teacher import train_mean_teacher
        from twinloc.learn.runs import TrainingSettings

        s = self.settings
        progress(0.0, "Training a mean teacher")
        teacher = train_mean_teacher(
            self.fresh_model(), self.x[self.labelled], self.y[self.labelled], self.x[self.unlabelled],
            TrainingSettings(epochs=s.pretrain_epochs, batch_size=s.batch_size, learning_rate=s.learning_rate,
                             seed=self.seed, threads=s.threads),
            noise=s.noise, ema_decay=s.ema_decay, consistency_weight=s.consistency_weight,
            cancel=self.cancel, epoch_listener=self.on_epoch,
        )
        if self.cancel is not None and self.cancel.cancelled:
            raise JobCancelled("cancelled")
        return teacher

    def consistency(self, rounds: int, found: list[PseudoLabelRound], progress: ProgressFn):
        """Seed 003's stages 1-3, stages 2 and 3 ``rounds`` times; appends each round to ``found``."""
        s = self.settings
        steps = 1 + 3 * rounds
        model = self.supervised(scaled_progress(progress, 0.0, 1 / steps))
        nearest, weighted, self.similarity = _interpolations(self.x, self.y, self.labelled, self.unlabelled,
                                                             s.neighbours, self.sector)
        both = np.concatenate([self.labelled, self.unlabelled])
        for number in range(rounds):
            step = 1 + 3 * number
            guesses = []
            for offset, pseudo in enumerate((nearest, weighted)):
                progress((step + offset) / steps, f"Round {number + 1}: fine-tuning on pseudo-dataset {'AB'[offset]}")
                copied = self.fit(copy.deepcopy(model), both, np.concatenate([self.y[self.labelled], pseudo]),
                                  s.finetune_epochs, scaled_progress(progress, (step + offset) / steps,
                                                                     (step + offset + 1) / steps))
                guesses.append(self.predict(copied, self.x[self.unlabelled]))
            keep, labels = agreeing_pairs(guesses[0], guesses[1], s.agreement_m)
            errors = position_errors(self.y[self.unlabelled], (guesses[0] + guesses[1]) / 2.0)
            found.append(PseudoLabelRound(
                accepted=int(keep.sum()), rejected=int((~keep).sum()),
                accepted_error_m=float(errors[keep].mean()) if keep.any() else math.nan,
                rejected_error_m=float(errors[~keep].mean()) if (~keep).any() else math.nan,
            ))
            progress((step + 2) / steps, f"Round {number + 1}: {int(keep.sum())} pseudo-labels kept; fine-tuning")
            model = self.fit(model, np.concatenate([self.labelled, self.unlabelled[keep]]),
                             np.concatenate([self.y[self.labelled], labels]), s.finetune_epochs,
                             scaled_progress(progress, (step + 2) / steps, (step + 3) / steps))
        return model


class _Rounds(list):
    """The rounds found so far, each also told to ``listener(number, round)`` when given."""

    def __init__(self, listener) -> None:
        super().__init__()
        self.listener = listener

    def append(self, found: PseudoLabelRound) -> None:
        super().append(found)
        if self.listener is not None:
            self.listener(len(self), found)


def _interpolations(x, y, labelled, unlabelled, neighbours, sector=None):
    """Two pseudo-positions (U, 2) of the unlabelled samples from their labelled neighbours in
    input space: the nearest one's position, and the inverse-distance weighted mean of the
    ``neighbours`` nearest; and the name of the :data:`SIMILARITIES` entry that found them, the
    one whose interpolations place the labelled samples best when each is left out in turn.
    With ``sector`` (one per row), neighbours come from the sample's own sector (an unlabelled
    sample of a sector without labels keeps the global ones): a sector's local-frame channel
    alone does not say which sector it lies in."""
    from sklearn.neighbors import NearestNeighbors

    name = _best_similarity(x, y[labelled], labelled, neighbours)
    space, metric = _similarity_space(x, name)
    nearest, weighted = np.empty((len(unlabelled), 2)), np.empty((len(unlabelled), 2))
    groups = [(labelled, np.ones(len(unlabelled), dtype=bool))]
    if sector is not None:
        groups += [(labelled[sector[labelled] == k], sector[unlabelled] == k) for k in np.unique(sector[unlabelled])]
    for known_rows, asked in groups:
        if len(known_rows) == 0 or not asked.any():
            continue
        search = NearestNeighbors(n_neighbors=min(neighbours, len(known_rows)), metric=metric).fit(space[known_rows])
        distances, which = search.kneighbors(space[unlabelled[asked]])
        nearest[asked], weighted[asked] = _interpolated(y[known_rows], distances, which)
    return nearest, weighted, name


def _best_similarity(x: np.ndarray, known: np.ndarray, labelled: np.ndarray, neighbours: int) -> str:
    """The :data:`SIMILARITIES` entry whose interpolations place the labelled samples (positions
    ``known``) best when each is left out in turn."""
    from sklearn.neighbors import NearestNeighbors

    k = min(neighbours, len(labelled) - 1)
    best = None
    for name in SIMILARITIES:
        space, metric = _similarity_space(x, name)
        distances, which = NearestNeighbors(n_neighbors=k + 1, metric=metric).fit(space[labelled]).kneighbors(space[labelled])
        # Drop each sample's own row (at distance 0, though a twin may hold a duplicate first).
        own = which == np.arange(len(labelled))[:, None]
        own[own.sum(axis=1) == 0, -1] = True
        distances = distances[~own].reshape(len(labelled), k)
        which = which[~own].reshape(len(labelled), k)
        left_out = sum(position_errors(known, guess).mean() for guess in _interpolated(known, distances, which))
        if best is None or left_out < best[0]:
            best = (left_out, name)
    return best[1]


def _similarity_space(x: np.ndarray, name: str) -> tuple[np.ndarray, str]:
    """``x`` (N, I) as the neighbour search of similarity ``name`` sees it, and its metric."""
    if name == "cosine":
        return x, "cosine"
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 1e-12, std, 1.0), "euclidean"


def _interpolated(known: np.ndarray, distances: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest neighbour's position and the inverse-distance weighted mean of ``known[which]``."""
    weights = 1.0 / np.maximum(distances, 1e-9)
    weighted = (known[which] * weights[:, :, None]).sum(axis=1) / weights.sum(axis=1, keepdims=True)
    return known[which[:, 0]], weighted


def _plain(value: Any) -> Any:
    """None for NaN (JSON has no NaN), else the value."""
    return None if isinstance(value, float) and math.isnan(value) else value
