"""Training any regression model of :mod:`twinloc.learn.models`, and its checkpoints.

Adam (or RMSprop) on shuffled mini-batches, a held-out validation split, a learning rate halved when the
validation loss stops improving (ReduceLROnPlateau), early stopping, and the weights of the
best validation epoch restored at the end. The loss is the mean squared error in normalised
target units, so targets of any scale train alike.

Reproducibility: the validation split and the batch order come from a generator seeded with
``settings.seed``; deterministic algorithms are enforced while training; and the number of
intra-op threads is fixed by ``settings.threads`` for the duration, because a different thread
count splits the GEMM reductions differently and changes the last bits of the result. The
default is 1 thread: the models here are small, so a second thread gains little while the
GUI's own compute pool shares the same cores.
"""

from __future__ import annotations

import contextlib
import io
import math
import pickle
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.learn.models import create_model
from twinloc.learn.runs import EpochListener, TrainingHistory, TrainingResult, TrainingSettings
from twinloc.model.atomic import write_atomic
from twinloc.model.input_files import MIB, read_input_bytes

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_LIMIT_BYTES",
    "Checkpoint",
    "CheckpointError",
    "load_checkpoint",
    "predict",
    "save_checkpoint",
    "train",
    "training_mode",
]

CHECKPOINT_FORMAT = "twinloc-model"
_CHECKPOINT_VERSION = 1

#: Largest checkpoint file read: the weights of the largest model allowed
#: (:data:`~twinloc.learn.models.MAX_PARAMETERS`, 16 MB) with room for their metadata.
CHECKPOINT_LIMIT_BYTES = 32 * MIB
#: Largest metadata record of a checkpoint (everything but the weights: settings, loss curves).
METADATA_LIMIT_BYTES = 4 * MIB
#: Most values the metadata may hold, each list entry and dictionary value counted.
MAX_METADATA_VALUES = 1_000_000


class CheckpointError(ValueError):
    """A file that is not a usable TwinLoc model; the message names the file and says why."""


def train(
    model: nn.Module,
    inputs: np.ndarray,
    targets: np.ndarray,
    settings: TrainingSettings = TrainingSettings(),
    *,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
    epoch_listener: EpochListener | None = None,
) -> TrainingResult:
    """Train ``model`` in place and leave it holding its best weights.

    Parameters
    ----------
    model : a model with a ``normalisation`` (see :mod:`twinloc.learn.models`); fit its
        normalisation first (pre-training), or keep it (fine-tuning).
    inputs : (N, I) float, the model's raw input units.
    targets : (N, O) float, the model's raw output units (metres for positions).
    settings : TrainingSettings
    progress : called every ``settings.progress_every`` batches and at each epoch's end.
    cancel : checked between batches; a cancelled run stops at once and keeps the best weights
        seen (it does not raise).
    epoch_listener : called after each completed epoch (live loss curves).

    Returns
    -------
    TrainingResult
    """
    x = torch.as_tensor(np.asarray(inputs), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(targets), dtype=torch.float32)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"inputs (N, I) and targets (N, O) with N >= 1 expected, got {tuple(x.shape)} and {tuple(y.shape)}")
    generator = torch.Generator().manual_seed(settings.seed)
    order = torch.randperm(len(x), generator=generator)
    held_out = int(len(x) * settings.validation_fraction)
    train_index, validation_index = order[held_out:], order[:held_out]
    if held_out == 0:
        validation_index = train_index
    scale = model.normalisation.target_std

    def loss_of(batch_x: torch.Tensor, batch_y: torch.Tensor) -> torch.Tensor:
        return (((model(batch_x) - batch_y) / scale) ** 2).mean()

    def validation_loss() -> float:
        model.eval()
        with torch.no_grad():
            total = sum(
                loss_of(x[chunk], y[chunk]).item() * len(chunk) for chunk in validation_index.split(4096)
            )
        model.train()
        return total / len(validation_index)

    optimizer_class = torch.optim.RMSprop if settings.optimizer == "rmsprop" else torch.optim.Adam
    optimizer = optimizer_class(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=settings.lr_factor, patience=settings.lr_patience
    )
    history = TrainingHistory()
    batches_per_epoch = math.ceil(len(train_index) / settings.batch_size)
    total_batches = batches_per_epoch * settings.epochs
    best_state, best_loss, best_epoch, stale = _state_copy(model), math.inf, -1, 0
    stopped = "completed"
    started = time.perf_counter()
    deadline = math.inf if settings.time_limit_s is None else started + settings.time_limit_s
    with training_mode(model, settings.threads):
        for epoch in range(settings.epochs):
            permutation = train_index[torch.randperm(len(train_index), generator=generator)]
            summed, seen = 0.0, 0
            for batch_number, batch in enumerate(permutation.split(settings.batch_size)):
                if cancel is not None and cancel.cancelled:
                    stopped = "cancelled"
                    break
                if time.perf_counter() > deadline:
                    stopped = "time limit"
                    break
                optimizer.zero_grad(set_to_none=True)
                loss = loss_of(x[batch], y[batch])
                loss.backward()
                optimizer.step()
                summed += loss.item() * len(batch)
                seen += len(batch)
                if (batch_number + 1) % settings.progress_every == 0:
                    done = epoch * batches_per_epoch + batch_number + 1
                    progress(done / total_batches, f"Epoch {epoch + 1}/{settings.epochs}, loss {summed / seen:.4g}")
            if stopped in ("cancelled", "time limit"):
                if best_epoch < 0 and validation_loss() < _loss_of_state(model, best_state, validation_loss):
                    best_state = _state_copy(model)
                break
            current = validation_loss()
            history.train_loss.append(summed / seen)
            history.validation_loss.append(current)
            history.learning_rate.append(optimizer.param_groups[0]["lr"])
            schedule.step(current)
            if current < best_loss:
                best_state, best_loss, best_epoch, stale = _state_copy(model), current, epoch, 0
            else:
                stale += 1
            progress((epoch + 1) / settings.epochs, f"Epoch {epoch + 1}/{settings.epochs}: validation loss {current:.4g}")
            if epoch_listener is not None:
                epoch_listener(epoch, history)
            if stale >= settings.patience:
                stopped = "early stopping"
                break
    model.load_state_dict(best_state)
    model.eval()
    if best_epoch < 0:
        best_loss = validation_loss()
        model.eval()
    return TrainingResult(history, best_epoch, best_loss, stopped, time.perf_counter() - started)


def predict(model: nn.Module, inputs: np.ndarray, *, batch_size: int = 8192) -> np.ndarray:
    """(N, O) float64: the model's outputs for (N, I) raw inputs, computed in float32 batches."""
    x = torch.as_tensor(np.asarray(inputs), dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        if len(x) == 0:
            return np.zeros((0, len(model.normalisation.target_mean)))
        outputs = [model(chunk) for chunk in x.split(batch_size)]
    return torch.cat(outputs).numpy().astype(np.float64)


@dataclass(frozen=True)
class Checkpoint:
    """A model loaded from disk with what was saved beside it.

    provenance : where the training data came from (scene hash, anchors, seeds, ...).
    extra : anything else the saver recorded (history, settings).
    """

    model: nn.Module
    architecture: str
    kwargs: dict[str, Any]
    normalisation: dict[str, list[float]]
    provenance: dict[str, Any]
    extra: dict[str, Any]


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    provenance: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write ``model`` as a ``.pt`` file that :func:`load_checkpoint` rebuilds exactly.

    The metadata holds only plain values (str, numbers, lists, dicts, None), so the file loads
    with ``torch.load(weights_only=True)``, which runs no pickled code. The file is replaced
    atomically: a failed save leaves an existing file as it was.
    """
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": _CHECKPOINT_VERSION,
        "architecture": model.architecture,
        "kwargs": model.kwargs,
        "normalisation": model.normalisation.as_dict(),
        "provenance": provenance or {},
        "extra": extra or {},
        "state_dict": model.state_dict(),
    }
    write_atomic(path, lambda stream: torch.save(payload, stream))


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`.

    The file is read only if it is a PyTorch archive within :data:`CHECKPOINT_LIMIT_BYTES`
    whose records are stored uncompressed (as PyTorch writes them, so no record expands
    in memory) and whose metadata are at most :data:`METADATA_LIMIT_BYTES`. It is unpickled
    with ``weights_only=True``, which builds tensors and plain values only. The model's
    settings are checked against their limits before it is built, and its weights must have
    the names and shapes the settings give.

    Raises
    ------
    CheckpointError
        When the file is not a readable TwinLoc model checkpoint; the message names the file.
    """
    path = Path(path)
    try:
        content = read_input_bytes(path, CHECKPOINT_LIMIT_BYTES)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read the model: {error.strerror or error}") from None
    payload = _unpickled_payload(path, content)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a TwinLoc model (a PyTorch file of something else)")
    if payload.get("version") != _CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: TwinLoc model version {_shown(payload.get('version'))} is not supported")
    architecture, kwargs, state = payload.get("architecture"), payload.get("kwargs"), payload.get("state_dict")
    if not (isinstance(architecture, str) and isinstance(kwargs, dict) and isinstance(state, dict)
            and all(isinstance(key, str) for key in kwargs)):
        raise CheckpointError(f"{path}: a damaged TwinLoc model (its architecture, settings or weights are missing)")
    metadata = {key: payload.get(key) for key in ("normalisation", "provenance", "extra")}
    for key, value in metadata.items():
        if not isinstance(value, dict) or not _plain_values(value):
            raise CheckpointError(f"{path}: a damaged TwinLoc model ({key} must be a dictionary of plain values, "
                                  f"at most {MAX_METADATA_VALUES:,} of them)")
    try:
        model = create_model(architecture, **kwargs)
    except (KeyError, ValueError) as error:
        raise CheckpointError(f"{path}: {error.args[0]}") from None
    if not all(isinstance(value, torch.Tensor) and value.is_floating_point() for value in state.values()):
        raise CheckpointError(f"{path}: a damaged TwinLoc model (its weights are not all floating-point tensors)")
    try:
        model.load_state_dict(state)  # strict: the same names and shapes as the settings give
    except RuntimeError as error:
        reason = " ".join(line.strip() for line in str(error).splitlines()[1:]) or type(error).__name__
        raise CheckpointError(f"{path}: the weights do not fit the model's settings ({reason[:200]})") from None
    if not all(torch.isfinite(value).all() for value in model.state_dict().values()):
        raise CheckpointError(f"{path}: the model's weights hold NaN or infinite values")
    model.eval()
    return Checkpoint(
        model=model,
        architecture=architecture,
        kwargs=kwargs,
        normalisation=metadata["normalisation"],
        provenance=metadata["provenance"],
        extra=metadata["extra"],
    )


def _unpickled_payload(path: Path, content: bytes) -> Any:
    """What a checkpoint file holds, after checking its archive (see :func:`load_checkpoint`)."""
    problem = _archive_problem(content)
    if problem is not None:
        raise CheckpointError(f"{path}: not a TwinLoc model ({problem})")
    try:
        return torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CheckpointError(
            f"{path}: not a TwinLoc model (it holds Python objects other than tensors and plain values; "
            "TwinLoc does not run code from model files)"
        ) from None
    except Exception as error:  # PyTorch's reader of a damaged archive fails with errors of any type
        raise CheckpointError(f"{path}: not a TwinLoc model (the file is damaged: {type(error).__name__})") from None


def _archive_problem(content: bytes) -> str | None:
    """Why ``content`` is not an archive as :func:`torch.save` writes it, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            records = archive.infolist()
    except Exception:  # zipfile fails on a damaged directory with errors of several types
        return "not a PyTorch model file"
    if not any(record.filename.endswith("data.pkl") for record in records):
        return "not a PyTorch model file"
    for record in records:
        if record.compress_type != zipfile.ZIP_STORED or record.file_size != record.compress_size:
            return f"its record {record.filename[:80]!r} is compressed, which PyTorch never does"
        if record.header_offset + record.compress_size > len(content):
            return f"its record {record.filename[:80]!r} reaches past the end of the file"
        if record.filename.endswith("data.pkl") and record.file_size > METADATA_LIMIT_BYTES:
            return f"its metadata are larger than {METADATA_LIMIT_BYTES // MIB} MiB"
    return None


def _plain_values(metadata: dict) -> bool:
    """Whether ``metadata`` holds only str, numbers, bool, None, lists and str-keyed dicts, at
    most MAX_METADATA_VALUES of them counted as a tree (shared lists count each time they appear)."""
    pending: list[Any] = [metadata]
    counted = 0
    while pending:
        value = pending.pop()
        counted += 1
        if counted > MAX_METADATA_VALUES:
            return False
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                return False
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)
        elif not (value is None or isinstance(value, (str, bool, int, float))):
            return False
    return True


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:40]}..."


def _state_copy(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def _loss_of_state(model: nn.Module, state: dict[str, torch.Tensor], measure) -> float:
    """The validation loss of ``state``, leaving ``model`` holding its current weights."""
    current = _state_copy(model)
    model.load_state_dict(state)
    loss = measure()
    model.load_state_dict(current)
    return loss


@contextlib.contextmanager
def training_mode(model: nn.Module, threads: int) -> Iterator[None]:
    """``model`` in training mode on ``threads`` intra-op threads with deterministic algorithms,
    for the duration (every trainer of TwinLoc: :func:`train`, the mean teacher)."""
    # Both settings are process-wide; restore them so that training does not change how the
    # rest of the application computes.
    previous_threads = torch.get_num_threads()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    model.train()
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous_deterministic)
        torch.set_num_threads(previous_threads)
