"""A training run in plain data: how it is set up, what each epoch gave and how it ended.

Kept apart from :mod:`twinloc.learn.trainer` so that describing a run (the GUI's settings,
a checkpoint's metadata) does not load torch; the trainer loads it when a run starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

#: Optimisers a run may use, by the name settings and checkpoints record.
OPTIMIZERS = ("adam", "rmsprop")


@dataclass(frozen=True)
class TrainingSettings:
    """How a model is trained.

    epochs : most passes over the training data.
    batch_size : samples per optimiser step.
    learning_rate : initial step size.
    weight_decay : L2 penalty.
    optimizer : "adam" or "rmsprop" (torch's defaults otherwise; seed 002 searches both).
    validation_fraction : share of the samples held out for validation, in [0, 0.9]; with none
        held out, early stopping and the schedule watch the training loss.
    patience : epochs without validation improvement before training stops.
    lr_patience, lr_factor : epochs without improvement before the learning rate is multiplied
        by lr_factor.
    seed : seed of the split and of the batch order.
    progress_every : report progress every this many batches.
    threads : torch intra-op threads while training (see the module docstring).
    time_limit_s : wall-clock budget in seconds, or None; training stops at the first batch
        boundary past it ("time limit") and keeps the best weights seen, like a cancellation.
    """

    epochs: int = 50
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    optimizer: str = "adam"
    validation_fraction: float = 0.2
    patience: int = 8
    lr_patience: int = 3
    lr_factor: float = 0.5
    seed: int = 0
    progress_every: int = 20
    threads: int = 1
    time_limit_s: float | None = None

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.progress_every < 1 or self.threads < 1:
            raise ValueError("epochs, batch size, progress interval and threads must be >= 1")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning rate must be > 0, got {self.learning_rate!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if not (0.0 <= self.validation_fraction <= 0.9):
            raise ValueError(f"validation fraction must be in [0, 0.9], got {self.validation_fraction!r}")
        if self.patience < 1 or self.lr_patience < 0 or not (0.0 < self.lr_factor < 1.0):
            raise ValueError("patience must be >= 1, lr patience >= 0 and lr factor in (0, 1)")
        if self.time_limit_s is not None and not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise ValueError(f"time limit must be > 0 seconds or None, got {self.time_limit_s!r}")


@dataclass
class TrainingHistory:
    """Per completed epoch: mean training loss, validation loss, learning rate (normalised MSE)."""

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class TrainingResult:
    """What :func:`train` did.

    best_epoch : 0-based epoch whose weights the model holds now (-1: stopped in the first
        epoch; the model holds the better of its initial and partly trained weights).
    stopped : "completed", "early stopping", "time limit" or "cancelled".
    seconds : wall-clock training time.
    """

    history: TrainingHistory
    best_epoch: int
    best_loss: float
    stopped: str
    seconds: float


EpochListener = Callable[[int, TrainingHistory], None]
"""``listener(epoch, history)`` after each completed epoch (0-based), on the training thread;
``history`` grows in place, so copy what must outlive the call."""


def settings_dict(settings: TrainingSettings) -> dict[str, Any]:
    """``settings`` as a plain dict, for checkpoint metadata."""
    return asdict(settings)
