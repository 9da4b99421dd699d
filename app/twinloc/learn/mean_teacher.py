"""Mean-teacher training of a regression model (Tarvainen and Valpola, 2017), seed 003's baseline.

A student learns the labelled samples and, on unlabelled ones, to agree with a teacher whose
weights are the exponential moving average (EMA) of the student's; both see the unlabelled
inputs with independent Gaussian noise, since CSI has no image augmentations (seed 003, §IV.B).
Losses are mean squared errors in normalised target units, as in :mod:`twinloc.learn.trainer`.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from twinloc.cancellation import CancelToken
from twinloc.learn.runs import EpochListener, TrainingHistory, TrainingSettings
from twinloc.learn.trainer import training_mode

__all__ = ["train_mean_teacher"]


def train_mean_teacher(
    student: nn.Module,
    labelled_inputs: np.ndarray,
    labelled_positions: np.ndarray,
    unlabelled_inputs: np.ndarray,
    settings: TrainingSettings,
    *,
    noise: float = 0.1,
    ema_decay: float = 0.99,
    consistency_weight: float = 1.0,
    cancel: CancelToken | None = None,
    epoch_listener: EpochListener | None = None,
) -> nn.Module:
    """Train ``student`` in place and return its teacher, the model to use.

    Parameters
    ----------
    student : a model of :mod:`twinloc.learn.models` whose normalisation is already fitted.
    labelled_inputs : (L, I) raw inputs; labelled_positions : (L, O) metres.
    unlabelled_inputs : (U, I) raw inputs, U >= 1.
    settings : epochs, batch size, learning rate, seed and threads are used (no validation split:
        the teacher of the last step is returned).
    noise : standard deviation of the input noise, in units of each input's std.
    ema_decay : weight of the teacher's previous weights in each update.
    consistency_weight : weight of the student-teacher disagreement in the loss.
    cancel : checked between batches; a cancelled run returns the teacher as it is.
    epoch_listener : called after each epoch with the mean total loss as its training loss.
    """
    xl = torch.as_tensor(np.asarray(labelled_inputs), dtype=torch.float32)
    yl = torch.as_tensor(np.asarray(labelled_positions), dtype=torch.float32)
    xu = torch.as_tensor(np.asarray(unlabelled_inputs), dtype=torch.float32)
    teacher = copy.deepcopy(student)
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    generator = torch.Generator().manual_seed(settings.seed)
    scale = student.normalisation.target_std
    spread = noise * student.normalisation.input_std
    optimizer = torch.optim.Adam(student.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    history = TrainingHistory()
    with training_mode(student, settings.threads):
        for epoch in range(settings.epochs):
            summed, seen = 0.0, 0
            for batch in torch.randperm(len(xl), generator=generator).split(settings.batch_size):
                if cancel is not None and cancel.cancelled:
                    teacher.eval()
                    return teacher
                pick = torch.randint(len(xu), (len(batch),), generator=generator)
                student_view = xu[pick] + spread * torch.randn(len(batch), xu.shape[1], generator=generator)
                teacher_view = xu[pick] + spread * torch.randn(len(batch), xu.shape[1], generator=generator)
                with torch.no_grad():
                    target = teacher(teacher_view)
                supervised = (((student(xl[batch]) - yl[batch]) / scale) ** 2).mean()
                agreement = (((student(student_view) - target) / scale) ** 2).mean()
                loss = supervised + consistency_weight * agreement
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    for mean, current in zip(teacher.parameters(), student.parameters()):
                        mean.mul_(ema_decay).add_(current, alpha=1.0 - ema_decay)
                summed += loss.item() * len(batch)
                seen += len(batch)
            history.train_loss.append(summed / seen if seen else math.nan)
            history.validation_loss.append(math.nan)
            history.learning_rate.append(settings.learning_rate)
            if epoch_listener is not None:
                epoch_listener(epoch, history)
    teacher.eval()
    return teacher
