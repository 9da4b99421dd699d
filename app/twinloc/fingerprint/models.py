"""Fingerprint positioning models: weighted kNN, MLP, LSTM Model 1 and LSTM Model 2 (seed 002).

Every model maps a survey's samples to 2D positions (metres). kNN is scikit-learn's
``KNeighborsRegressor`` with inverse-distance weights; the others are torch models of
:mod:`twinloc.learn.models` trained by :func:`twinloc.learn.trainer.train`, so training has
live losses, cancellation and checkpoints.

- MLP reads one sample's fingerprint.
- LSTM Model 1 reads the last ``lag`` fingerprints along the route (:func:`~twinloc.fingerprint.features.lag_windows`).
- LSTM Model 2 also reads the previous position. Trained with the true previous position
  plus Gaussian noise of ``previous_noise_m`` (the samples of one reference point share a
  position, so without noise the network would learn to repeat its input); at prediction
  time its own previous prediction is fed back, starting from the training positions' centroid.

Neither torch nor scikit-learn loads with this module: each loads when a model is first fitted.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.fingerprint.features import FEATURE_KINDS, FeatureSpec, lag_windows, time_order
from twinloc.learn.runs import EpochListener, TrainingResult, TrainingSettings

__all__ = [
    "MODEL_KINDS",
    "FingerprintSettings",
    "FittedFingerprintModel",
    "default_settings",
    "fine_tune",
    "fit_fingerprint_model",
    "fit_model",
    "with_reference_data",
]

#: Model kinds, as the CLI and the GUI name them.
MODEL_KINDS = ("knn", "mlp", "lstm1", "lstm2")
#: Most neighbours of kNN.
MAX_NEIGHBOURS = 100


@dataclass(frozen=True)
class FingerprintSettings:
    """How a fingerprint model is built and trained.

    features : one of :data:`~twinloc.fingerprint.features.FEATURE_KINDS`.
    neighbours : k of kNN.
    hidden : neurons per hidden layer (MLP), memory units (LSTM).
    layers : hidden layers (MLP) or stacked LSTM layers.
    lag : time steps of an LSTM's window.
    previous_noise_m : standard deviation of the noise on LSTM Model 2's previous position in
        training, metres (about the error the fed-back predictions will have).
    training : the trainer's settings (torch models).
    """

    features: str = "rss"
    neighbours: int = 5
    hidden: int = 32
    layers: int = 3
    lag: int = 4
    previous_noise_m: float = 1.0
    training: TrainingSettings = field(default_factory=TrainingSettings)

    def __post_init__(self) -> None:
        if self.features not in FEATURE_KINDS:
            raise ValueError(f"features must be one of {', '.join(FEATURE_KINDS)}, got {self.features!r}")
        if not 1 <= self.neighbours <= MAX_NEIGHBOURS:
            raise ValueError(f"neighbours must be 1 to {MAX_NEIGHBOURS}, got {self.neighbours}")
        if not (math.isfinite(self.previous_noise_m) and self.previous_noise_m >= 0):
            raise ValueError(f"previous-position noise must be >= 0 m, got {self.previous_noise_m!r}")

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for a saved model's metadata and the grid search table."""
        return dataclasses.asdict(self)


def default_settings(kind: str, features: str = "rss", seed: int = 0) -> FingerprintSettings:
    """The settings seed 002's grid search chose (its Table 5), early stopping off as there.

    MLP: 3 hidden layers of 32, Adam, learning rate 0.01, batches of 16, 30 epochs.
    LSTM Model 1: lag 4, one layer of 128 units, RMSprop, 0.01, batches of 8, 20 epochs.
    LSTM Model 2: lag 4, one layer of 128 units, RMSprop, 0.001, batches of 128, 20 epochs.
    kNN: k = 5 (the seed has no kNN).
    """
    _check_kind(kind)
    table = {
        "knn": dict(hidden=32, layers=3, training=TrainingSettings(seed=seed)),
        "mlp": dict(hidden=32, layers=3, training=TrainingSettings(
            epochs=30, batch_size=16, learning_rate=0.01, optimizer="adam", patience=30, seed=seed)),
        "lstm1": dict(hidden=128, layers=1, training=TrainingSettings(
            epochs=20, batch_size=8, learning_rate=0.01, optimizer="rmsprop", patience=20, seed=seed)),
        "lstm2": dict(hidden=128, layers=1, training=TrainingSettings(
            epochs=20, batch_size=128, learning_rate=0.001, optimizer="rmsprop", patience=20, seed=seed)),
    }
    return FingerprintSettings(features=features, lag=4, **table[kind])


@dataclass(eq=False)
class FittedFingerprintModel:
    """A trained fingerprint model and what it needs to be applied.

    kind : one of :data:`MODEL_KINDS`.
    settings : how it was built and trained.
    spec : its features, transmitter order and floor values.
    estimator : the fitted ``KNeighborsRegressor`` (kNN) or torch module.
    column_scale : (F,) kNN only: each feature column is divided by the spread of its kind
        (one value for all RSS columns, one for all range columns), so RSS and range weigh alike
        and, with RSS alone, neighbours are the nearest in plain dB.
    start_position : (2,) metres, LSTM Model 2's previous position before the first sample.
    training : TrainingResult of each stage ("fit", then "fine_tune"); empty for kNN.
    train_points, train_samples : reference points and samples it was trained on (last stage).
    scene_digest : ``Scene.content_hash()`` of the twin it was trained on, or None (unknown):
        a different digest makes it stale (:func:`twinloc.fingerprint.site_change.stale`).
    """

    kind: str
    settings: FingerprintSettings
    spec: FeatureSpec
    estimator: Any
    column_scale: np.ndarray | None = None
    start_position: np.ndarray = field(default_factory=lambda: np.zeros(2))
    training: dict[str, TrainingResult] = field(default_factory=dict)
    train_points: int = 0
    train_samples: int = 0
    knn_data: tuple[np.ndarray, np.ndarray] | None = None
    scene_digest: str | None = None

    def predict(self, survey) -> np.ndarray:
        """(S, 2) float64 positions, metres, of ``survey``'s samples in its row order.

        Raises
        ------
        ValueError
            When the survey shares no transmitter with the model or lacks ranges it needs.
        """
        features = self.spec.features(survey)
        if self.kind == "knn":
            return self.estimator.predict(features / self.column_scale)
        from twinloc.learn.trainer import predict

        if self.kind == "mlp":
            return predict(self.estimator, features)
        order = time_order(survey)
        positions = np.empty((len(features), 2))
        windows = lag_windows(features[order], self.settings.lag)
        if self.kind == "lstm1":
            positions[order] = predict(self.estimator, windows)
        else:
            positions[order] = _fed_back(self.estimator, windows, self.start_position)
        return positions


def fit_fingerprint_model(
    kind: str,
    train_survey,
    settings: FingerprintSettings | None = None,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressFn = report_nothing,
    on_epoch: EpochListener | None = None,
) -> FittedFingerprintModel:
    """Fit a model of ``kind`` to ``train_survey`` (its positions' x, y are the targets).

    settings : default :func:`default_settings` of the kind.
    cancel : a cancelled torch training stops between batches and keeps its best weights.
    on_epoch : called after each epoch of a torch model (live loss curves).

    Raises
    ------
    ValueError
        An unknown kind, a survey without samples, or features the survey cannot give.
    """
    _check_kind(kind)
    settings = settings or default_settings(kind)
    if len(train_survey.positions) == 0:
        raise ValueError("the training survey has no samples")
    spec = FeatureSpec(settings.features, tuple(train_survey.transmitters))
    features = spec.features(train_survey)
    targets = np.asarray(train_survey.positions, dtype=np.float64)[:, :2]
    points = len(np.unique(train_survey.point_ids))
    if kind == "knn":
        fitted = FittedFingerprintModel(kind, settings, spec, None, train_points=points, train_samples=len(targets))
        return with_reference_data(fitted, features, targets)
    import torch  # loaded by the first fit, not at start-up

    from twinloc.learn.models import create_model

    start = targets.mean(axis=0)
    inputs, ordered_targets = _torch_rows(kind, settings, features, targets, time_order(train_survey), start)
    if kind == "mlp":
        model = create_model("position_mlp", seed=settings.training.seed, inputs=spec.columns,
                             hidden=settings.hidden, layers=settings.layers)
    else:
        model = create_model("position_lstm", seed=settings.training.seed, features=spec.columns, lag=settings.lag,
                             extra=2 if kind == "lstm2" else 0, hidden=settings.hidden, layers=settings.layers)
    model.normalisation.fit(torch.as_tensor(inputs, dtype=torch.float32),
                            torch.as_tensor(ordered_targets, dtype=torch.float32))
    fitted = FittedFingerprintModel(kind, settings, spec, model, start_position=start, train_points=points,
                                    train_samples=len(targets))
    return _trained(fitted, "fit", inputs, ordered_targets, settings.training, cancel, progress, on_epoch)


fit_model = fit_fingerprint_model  # the name the API contract of issue 12 uses


def fine_tune(
    fitted: FittedFingerprintModel,
    measured_survey,
    training: TrainingSettings | None = None,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressFn = report_nothing,
    on_epoch: EpochListener | None = None,
) -> FittedFingerprintModel:
    """A copy of ``fitted`` (pre-trained on the twin's data) trained further on measured data.

    Torch models keep their weights and normalisation and train ``training`` (default: the
    model's own training settings) on the measured samples. kNN has no weights to tune: its
    reference fingerprints become the measured ones plus the twin's, the measured ones first.
    The measured survey's transmitters are read in the model's order (missing ones: not heard).
    """
    spec = fitted.spec
    features = spec.features(measured_survey)
    targets = np.asarray(measured_survey.positions, dtype=np.float64)[:, :2]
    points = len(np.unique(measured_survey.point_ids))
    if fitted.kind == "knn":
        twin_features, twin_targets = fitted.knn_data
        tuned = replace(fitted, train_points=fitted.train_points + points, train_samples=len(targets) + len(twin_targets))
        return with_reference_data(tuned, np.vstack([features, twin_features]), np.vstack([targets, twin_targets]))
    import copy

    training = training or fitted.settings.training
    inputs, ordered_targets = _torch_rows(fitted.kind, replace(fitted.settings, training=training), features, targets,
                                          time_order(measured_survey), fitted.start_position)
    tuned = replace(fitted, estimator=copy.deepcopy(fitted.estimator), training=dict(fitted.training),
                    train_points=points, train_samples=len(targets))
    return _trained(tuned, "fine_tune", inputs, ordered_targets, training, cancel, progress, on_epoch)


def _check_kind(kind: str) -> None:
    if kind not in MODEL_KINDS:
        raise ValueError(f"model must be one of {', '.join(MODEL_KINDS)}, got {kind!r}")


def with_reference_data(fitted: FittedFingerprintModel, features: np.ndarray, targets: np.ndarray) -> FittedFingerprintModel:
    """A copy of the kNN model ``fitted`` whose reference fingerprints are ``features`` (N, F)
    at ``targets`` (N, 2) metres."""
    from sklearn.neighbors import KNeighborsRegressor

    kinds = fitted.spec.kinds_of_columns()
    scale = np.ones(features.shape[1])
    for kind in np.unique(kinds):
        spread = features[:, kinds == kind].std()
        scale[kinds == kind] = spread if spread > 1e-12 else 1.0
    neighbours = min(fitted.settings.neighbours, len(features))
    estimator = KNeighborsRegressor(n_neighbors=neighbours, weights="distance").fit(features / scale, targets)
    return replace(fitted, estimator=estimator, column_scale=scale, knn_data=(features, targets))


def _torch_rows(kind, settings, features, targets, order, start) -> tuple[np.ndarray, np.ndarray]:
    """The trainer's (N, I) inputs and (N, 2) targets: samples as they are (MLP) or in route
    order as windows (LSTMs), LSTM Model 2's with the noisy true previous position appended."""
    if kind == "mlp":
        return features, targets
    windows, ordered = lag_windows(features[order], settings.lag), targets[order]
    if kind == "lstm1":
        return windows, ordered
    previous = np.vstack([start[None, :], ordered[:-1]])
    noise = np.random.default_rng(settings.training.seed).normal(0.0, settings.previous_noise_m, previous.shape)
    return np.hstack([windows, previous + noise]), ordered


def _trained(fitted, stage, inputs, targets, training, cancel, progress, on_epoch) -> FittedFingerprintModel:
    from twinloc.learn.trainer import train

    result = train(fitted.estimator, inputs, targets, training, progress=progress, cancel=cancel,
                   epoch_listener=on_epoch)
    fitted.training[stage] = result
    return fitted


def _fed_back(model, windows: np.ndarray, start: np.ndarray) -> np.ndarray:
    """(S, 2) positions of LSTM Model 2, each sample's input holding the previous prediction."""
    import torch

    rows = torch.as_tensor(np.hstack([windows, np.zeros((len(windows), 2))]), dtype=torch.float32)
    previous = torch.as_tensor(start, dtype=torch.float32)
    outputs = torch.empty((len(rows), 2))
    model.eval()
    with torch.no_grad():
        for index in range(len(rows)):
            rows[index, -2:] = previous
            previous = model(rows[index : index + 1])[0]
            outputs[index] = previous
    return outputs.numpy().astype(np.float64)
