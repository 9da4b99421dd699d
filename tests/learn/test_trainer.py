"""The trainer: convergence, determinism, checkpoints and cancellation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from twinloc.cancellation import CancelToken
from twinloc.learn.models import create_model
from twinloc.learn.trainer import CheckpointError, TrainingSettings, load_checkpoint, predict, save_checkpoint, train


def _linear_data(count: int = 512) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(count, 4))
    weights = np.array([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0], [-1.5, 0.25]])
    return inputs, inputs @ weights + np.array([0.3, -0.7])


def test_trainer_drives_the_loss_of_a_linear_map_to_near_zero():
    inputs, targets = _linear_data()
    model = create_model("linear", inputs=4, outputs=2)
    model.normalisation.fit(torch.as_tensor(inputs), torch.as_tensor(targets))
    result = train(model, inputs, targets, TrainingSettings(epochs=60, batch_size=32, learning_rate=0.02, patience=60))
    assert result.history.validation_loss[0] > 1e-2
    assert result.best_loss < 1e-6
    assert len(result.history.train_loss) == len(result.history.validation_loss) >= 1


def test_mitigation_net_learns_to_remove_a_constant_bias():
    rng = np.random.default_rng(1)
    true = rng.uniform(0.0, 5.0, size=(2000, 2))
    bias = np.array([0.4, -0.25])
    inputs = np.tile(true + bias, 8)
    model = create_model("mitigation_net", seed=0)
    model.normalisation.fit(torch.as_tensor(inputs), torch.as_tensor(true))
    train(model, inputs, true, TrainingSettings(epochs=40, batch_size=64, learning_rate=3e-3, patience=10))
    errors = np.linalg.norm(predict(model, inputs) - true, axis=1)
    assert errors.mean() < 0.01


def test_training_is_reproducible_and_checkpoints_reproduce_predictions_bit_for_bit(tmp_path):
    inputs, targets = _linear_data(256)
    inputs = np.tile(inputs, 4)
    outputs = []
    for _ in range(2):
        model = create_model("mitigation_net", seed=3)
        model.normalisation.fit(torch.as_tensor(inputs), torch.as_tensor(targets))
        train(model, inputs, targets, TrainingSettings(epochs=2, seed=5))
        outputs.append(predict(model, inputs))
    assert np.array_equal(outputs[0], outputs[1])
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, provenance={"kind": "test", "seed": 5})
    loaded = load_checkpoint(path)
    assert loaded.architecture == "mitigation_net"
    assert loaded.provenance == {"kind": "test", "seed": 5}
    assert loaded.normalisation["target_mean"] == pytest.approx(targets.mean(axis=0).tolist(), abs=1e-5)
    assert np.array_equal(predict(loaded.model, inputs), outputs[1])


def test_a_file_that_is_no_checkpoint_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="other.pt: not a TwinLoc model"):
        load_checkpoint(path)
    path.write_bytes(b"garbage, not even a zip file")
    with pytest.raises(CheckpointError, match="other.pt: not a TwinLoc model"):
        load_checkpoint(path)


def test_cancellation_stops_between_batches_and_keeps_the_best_weights():
    inputs, targets = _linear_data()
    model = create_model("linear", inputs=4, outputs=2)
    model.normalisation.fit(torch.as_tensor(inputs), torch.as_tensor(targets))
    token = CancelToken()
    reports = []

    def progress(fraction: float, text: str) -> None:
        reports.append(fraction)
        if len(reports) == 5:
            token.cancel()

    settings = TrainingSettings(epochs=50, batch_size=32, learning_rate=0.02, progress_every=4)
    result = train(model, inputs, targets, settings, progress=progress, cancel=token)
    assert result.stopped == "cancelled"
    assert len(result.history.validation_loss) < settings.epochs
    assert reports == sorted(reports)
    prediction = predict(model, inputs)
    assert np.isfinite(prediction).all()
    assert result.best_loss == min(result.history.validation_loss)
    assert np.mean((prediction - targets) ** 2) < np.mean((targets - targets.mean(axis=0)) ** 2)


def test_early_stopping_ends_a_run_that_stopped_improving():
    rng = np.random.default_rng(2)
    inputs, targets = rng.normal(size=(200, 3)), rng.normal(size=(200, 1))
    model = create_model("linear", inputs=3, outputs=1)
    result = train(model, inputs, targets, TrainingSettings(epochs=200, patience=3, learning_rate=0.05))
    assert result.stopped == "early stopping"
    assert len(result.history.validation_loss) < 200


def test_a_time_limit_stops_training_and_keeps_the_best_weights(monkeypatch):
    inputs, targets = _linear_data()
    model = create_model("linear", inputs=4, outputs=2)
    model.normalisation.fit(torch.as_tensor(inputs), torch.as_tensor(targets))
    # A clock that advances 1 s per reading: the 40 s budget runs out after a known number of reads.
    ticks = iter(range(10_000))
    monkeypatch.setattr("twinloc.learn.trainer.time.perf_counter", lambda: float(next(ticks)))
    settings = TrainingSettings(epochs=500, batch_size=64, learning_rate=0.02, patience=500, time_limit_s=40.0)
    result = train(model, inputs, targets, settings)
    assert result.stopped == "time limit"
    # The clock reads 0 at the start and k at the k-th batch; 410 training samples make 7
    # batches of 64 per epoch, so batch 41 (past 40 s) falls in epoch 6 and 5 epochs complete.
    assert len(result.history.validation_loss) == 5
    assert result.best_loss == min(result.history.validation_loss)


def test_the_epoch_listener_sees_the_history_grow_one_epoch_at_a_time():
    inputs, targets = _linear_data(128)
    model = create_model("linear", inputs=4, outputs=2)
    seen = []
    train(model, inputs, targets, TrainingSettings(epochs=4, patience=10),
          epoch_listener=lambda epoch, history: seen.append((epoch, len(history.train_loss), len(history.validation_loss))))
    assert seen == [(0, 1, 1), (1, 2, 2), (2, 3, 3), (3, 4, 4)]


def test_predicting_no_samples_gives_an_empty_array_of_the_output_width():
    model = create_model("linear", inputs=4, outputs=3)
    assert predict(model, np.zeros((0, 4))).shape == (0, 3)


def test_an_impossible_time_limit_is_refused():
    with pytest.raises(ValueError, match="time limit"):
        TrainingSettings(time_limit_s=0.0)
