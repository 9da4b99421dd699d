"""Torch fingerprint models: an MLP learns a linear map, LSTMs run on a route, save and load, fine-tuning."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.fingerprint.conftest import make_survey
from twinloc.cancellation import CancelToken
from twinloc.fingerprint.evaluation import evaluate
from twinloc.fingerprint.files import FingerprintModelError, load_fingerprint_model, save_fingerprint_model
from twinloc.fingerprint.models import FingerprintSettings, default_settings, fine_tune, fit_fingerprint_model
from twinloc.learn.runs import TrainingSettings

TRANSMITTERS = ("a", "b", "c")
# RSS linear in position: each transmitter's RSS falls along its own direction, dB per metre.
GAINS = np.array([[-3.0, 0.5], [1.0, -2.5], [2.0, 2.0]])


def _linear_survey(count: int, seed: int):
    positions = np.random.default_rng(seed).uniform(0.0, 10.0, size=(count, 2))
    return make_survey(positions, -60.0 + positions @ GAINS.T, TRANSMITTERS, times_s=np.arange(count))


def _constant_rmse(survey) -> float:
    """RMSE of always answering the mean position: what a model that learned nothing scores."""
    xy = survey.positions[:, :2]
    return float(np.sqrt(np.mean(np.sum((xy - xy.mean(axis=0)) ** 2, axis=1))))


def test_mlp_learns_a_linear_map_from_rss_to_position():
    train, test = _linear_survey(400, 0), _linear_survey(100, 1)
    settings = FingerprintSettings(hidden=16, layers=2, training=TrainingSettings(
        epochs=40, batch_size=32, learning_rate=0.01, patience=40, seed=0))
    model = fit_fingerprint_model("mlp", train, settings)
    # Positions uniform on a 10 m square: the constant answer scores sqrt(2 * 100 / 12) = 4.08 m.
    bound = 0.1 * _constant_rmse(test)
    assert evaluate(test.positions, model.predict(test)).rmse_m < bound
    assert len(model.training["fit"].history.train_loss) == 40


def _route_survey(seed: int):
    """A walk along a 12 m line and back, 5 samples per reference point 1 m apart, noisy RSS."""
    stops = np.concatenate([np.arange(13.0), np.arange(12.0, -1.0, -1.0)])
    x = np.repeat(stops, 5)
    positions = np.column_stack([x, np.full_like(x, 2.0)])
    rss = -60.0 + positions @ GAINS.T + np.random.default_rng(seed).normal(0.0, 2.0, size=(len(x), 3))
    return make_survey(positions, rss, TRANSMITTERS, point_ids=np.repeat(np.arange(len(stops)), 5),
                       times_s=np.arange(len(x), dtype=float))


@pytest.mark.parametrize("kind", ["lstm1", "lstm2"])
def test_lstm_models_position_a_route_better_than_the_constant_answer(kind):
    train, test = _route_survey(0), _route_survey(1)
    base = default_settings(kind)
    settings = replace(base, hidden=16, training=replace(base.training, epochs=15, batch_size=16, learning_rate=0.01))
    model = fit_fingerprint_model(kind, train, settings)
    predicted = model.predict(test)
    assert predicted.shape == (len(test.positions), 2)
    assert evaluate(test.positions, predicted).rmse_m < 0.5 * _constant_rmse(test)


def test_fine_tuning_continues_from_the_pretrained_weights_and_keeps_the_original():
    twin, measured = _linear_survey(300, 2), _linear_survey(60, 3)
    settings = FingerprintSettings(hidden=8, layers=1, training=TrainingSettings(epochs=3, batch_size=32, patience=3))
    pretrained = fit_fingerprint_model("mlp", twin, settings)
    before = pretrained.predict(measured)
    tuned = fine_tune(pretrained, measured, replace(settings.training, epochs=2))
    assert set(tuned.training) == {"fit", "fine_tune"} and tuned.train_samples == 60
    assert np.array_equal(pretrained.predict(measured), before)  # the pre-trained model is untouched
    assert not np.array_equal(tuned.predict(measured), before)


def test_a_cancelled_fit_stops_and_keeps_a_usable_model():
    token = CancelToken()
    token.cancel()
    model = fit_fingerprint_model("mlp", _linear_survey(50, 4), FingerprintSettings(hidden=8, layers=1), cancel=token)
    assert model.training["fit"].stopped == "cancelled"
    assert np.isfinite(model.predict(_linear_survey(5, 5))).all()


@pytest.mark.parametrize("kind", ["knn", "mlp", "lstm2"])
def test_saved_models_load_and_predict_the_same(tmp_path, kind):
    survey = _route_survey(0)
    base = default_settings(kind)
    settings = replace(base, hidden=8, training=replace(base.training, epochs=2))
    fitted = fit_fingerprint_model(kind, survey, settings)
    path = tmp_path / "model.bin"
    save_fingerprint_model(fitted, path)
    loaded = load_fingerprint_model(path)
    assert (loaded.kind, loaded.settings, loaded.spec) == (kind, settings, fitted.spec)
    assert np.array_equal(loaded.predict(survey), fitted.predict(survey))


def test_a_file_that_is_no_fingerprint_model_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, features=np.zeros((2, 2)))
    with pytest.raises(FingerprintModelError, match="other.npz: not a TwinLoc fingerprint model"):
        load_fingerprint_model(path)
    path.write_text("hello")
    with pytest.raises(FingerprintModelError, match="other.npz: not a TwinLoc fingerprint model"):
        load_fingerprint_model(path)
