"""Fingerprint model files: torch models as learn checkpoints, kNN as an uncompressed ``.npz``.

Both carry the same metadata (kind, settings, features, LSTM Model 2's start position, the
training counts, and the digest of the twin's scene when known; files without it load with
none) as plain values, so loading runs no pickled code. A file a user names is
checked before it is used: one :class:`FingerprintModelError` naming the file says why not.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from twinloc.fingerprint.features import FeatureSpec
from twinloc.fingerprint.models import MODEL_KINDS, FingerprintSettings, FittedFingerprintModel
from twinloc.learn.runs import TrainingSettings
from twinloc.model.atomic import write_atomic, write_text_atomic
from twinloc.model.input_files import MIB, read_input_bytes

__all__ = ["FingerprintModelError", "load_fingerprint_model", "save_fingerprint_model", "write_predictions_csv"]

#: Largest kNN model file read: its reference fingerprints, stored uncompressed.
KNN_LIMIT_BYTES = 256 * MIB
#: Most reference samples a kNN model file may hold.
MAX_KNN_SAMPLES = 2_000_000
_KNN_FORMAT = "twinloc-fingerprint-knn"


class FingerprintModelError(ValueError):
    """A file that is not a usable fingerprint model; the message names the file and says why."""


def save_fingerprint_model(fitted: FittedFingerprintModel, path: str | Path) -> None:
    """Write ``fitted`` so that :func:`load_fingerprint_model` rebuilds it (atomically)."""
    metadata = {
        "kind": fitted.kind,
        "settings": fitted.settings.as_dict(),
        "spec": fitted.spec.as_dict(),
        "start_position": [float(value) for value in fitted.start_position],
        "train_points": int(fitted.train_points),
        "train_samples": int(fitted.train_samples),
        "scene_digest": fitted.scene_digest,
    }
    if fitted.kind != "knn":
        from twinloc.learn.trainer import save_checkpoint

        save_checkpoint(path, fitted.estimator, provenance={"kind": "fingerprint"}, extra={"fingerprint": metadata})
        return
    features, targets = fitted.knn_data
    metadata["format"] = _KNN_FORMAT
    write_atomic(path, lambda stream: np.savez(stream, features=features, targets=targets,
                                               metadata=np.array(json.dumps(metadata))))


def load_fingerprint_model(path: str | Path) -> FittedFingerprintModel:
    """Read a model written by :func:`save_fingerprint_model`.

    Raises
    ------
    FingerprintModelError
        When the file is not a readable fingerprint model; the message names it.
    """
    path = Path(path)
    try:
        content = read_input_bytes(path, KNN_LIMIT_BYTES)
    except FileNotFoundError:
        raise FingerprintModelError(f"{path}: no such file") from None
    except OSError as error:
        raise FingerprintModelError(f"{path}: cannot read the model: {error.strerror or error}") from None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            records = archive.infolist()
    except zipfile.BadZipFile:
        raise FingerprintModelError(f"{path}: not a TwinLoc fingerprint model") from None
    if any(record.filename.endswith("data.pkl") for record in records):
        return _torch_model(path)
    if any(record.compress_type != zipfile.ZIP_STORED for record in records):
        raise FingerprintModelError(f"{path}: not a TwinLoc fingerprint model (its records are compressed)")
    return _knn_model(path, content)


def write_predictions_csv(path: str | Path, survey, predicted: np.ndarray) -> None:
    """One row per sample of ``survey``, in its order: ``point,x_m,y_m,predicted_x_m,predicted_y_m,error_m``
    (the true position, the model's, and the horizontal distance between them, metres)."""
    true = np.asarray(survey.positions, dtype=np.float64)[:, :2]
    errors = np.linalg.norm(true - predicted, axis=1)
    lines = ["point,x_m,y_m,predicted_x_m,predicted_y_m,error_m"]
    for point, (x, y), (px, py), error in zip(survey.point_ids, true, predicted, errors):
        lines.append(f"{point},{x:.6g},{y:.6g},{px:.6g},{py:.6g},{error:.6g}")
    write_text_atomic(path, "\n".join(lines) + "\n")


def _torch_model(path: Path) -> FittedFingerprintModel:
    from twinloc.learn.trainer import CheckpointError, load_checkpoint

    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as error:
        raise FingerprintModelError(str(error)) from None
    metadata = checkpoint.extra.get("fingerprint")
    fitted = _from_metadata(path, metadata, checkpoint.model)
    settings = fitted.settings
    expected = {
        "knn": ("", {}),
        "mlp": ("position_mlp", {"inputs": fitted.spec.columns, "hidden": settings.hidden, "layers": settings.layers}),
        "lstm1": ("position_lstm", {"features": fitted.spec.columns, "lag": settings.lag, "extra": 0}),
        "lstm2": ("position_lstm", {"features": fitted.spec.columns, "lag": settings.lag, "extra": 2}),
    }[fitted.kind]
    architecture, kwargs = expected
    if checkpoint.architecture != architecture or any(checkpoint.kwargs.get(key) != value for key, value in kwargs.items()):
        raise FingerprintModelError(f"{path}: its {checkpoint.architecture} network does not fit a {fitted.kind} "
                                    "fingerprint model of its settings")
    return fitted


def _knn_model(path: Path, content: bytes) -> FittedFingerprintModel:
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as arrays:
            metadata = json.loads(str(arrays["metadata"]))
            features, targets = arrays["features"], arrays["targets"]
    except (KeyError, ValueError, OSError, zipfile.BadZipFile):
        raise FingerprintModelError(f"{path}: not a TwinLoc fingerprint model") from None
    if not isinstance(metadata, dict) or metadata.get("format") != _KNN_FORMAT:
        raise FingerprintModelError(f"{path}: not a TwinLoc fingerprint model")
    fitted = _from_metadata(path, metadata, None)
    shape_ok = (features.ndim == 2 and features.shape[1] == fitted.spec.columns and targets.shape == (len(features), 2)
                and 1 <= len(features) <= MAX_KNN_SAMPLES)
    if not (shape_ok and features.dtype.kind == "f" and targets.dtype.kind == "f"
            and np.isfinite(features).all() and np.isfinite(targets).all()):
        raise FingerprintModelError(f"{path}: a damaged kNN model (its reference fingerprints do not fit its settings)")
    from twinloc.fingerprint.models import with_reference_data

    return with_reference_data(fitted, features.astype(np.float64), targets.astype(np.float64))


def _from_metadata(path: Path, metadata: Any, estimator: Any) -> FittedFingerprintModel:
    try:
        kind = metadata["kind"]
        if kind not in MODEL_KINDS:
            raise ValueError(f"unknown model kind {str(kind)[:20]!r}")
        settings = dict(metadata["settings"])
        training = TrainingSettings(**settings.pop("training"))
        spec_values = dict(metadata["spec"])
        spec = FeatureSpec(spec_values.pop("kind"), tuple(str(name) for name in spec_values.pop("transmitters")),
                           **spec_values)
        digest = metadata.get("scene_digest")
        if digest is not None and not (isinstance(digest, str) and len(digest) <= 128):
            raise ValueError("a bad scene digest")
        start = np.array(metadata["start_position"], dtype=np.float64)
        if start.shape != (2,) or not np.isfinite(start).all():
            raise ValueError("a bad start position")
        return FittedFingerprintModel(kind, FingerprintSettings(training=training, **settings), spec, estimator,
                                      start_position=start, train_points=int(metadata["train_points"]),
                                      train_samples=int(metadata["train_samples"]), scene_digest=digest)
    except (KeyError, TypeError, ValueError) as error:
        reason = error.args[0] if isinstance(error, ValueError) and error.args else "its settings are missing or damaged"
        raise FingerprintModelError(f"{path}: not a usable fingerprint model ({reason})") from None
