"""Files of error mitigation: training data (``.npz``) and model checkpoints with their metadata.

Both are read from files a user names, so every header and value is checked before it is
used: a hostile or damaged file is one :class:`DatasetError` or
:class:`~twinloc.learn.trainer.CheckpointError` naming the file.
"""

from __future__ import annotations

import dataclasses
import json
import math
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from twinloc.geometry.grid import MAX_CELLS
from twinloc.mitigation.datasets import FIXES_PER_SAMPLE, MAX_SAMPLES, MitigationDataset
from twinloc.mitigation.training import PROTOCOL_LABELS, MitigationResult
from twinloc.model.analysis import MAX_GROUPS, MAX_SEED, RangingModel
from twinloc.model.atomic import write_atomic
from twinloc.model.devices import MAX_COORDINATE_M
from twinloc.model.input_files import MIB, checked_input_file
from twinloc.model.project_file import MAX_DEVICES

if TYPE_CHECKING:
    from twinloc.learn.trainer import Checkpoint

#: Largest training data file read (a compressed ``.npz``; MAX_SAMPLES samples take less).
DATASET_LIMIT_BYTES = 1024 * MIB
#: Longest provenance text of a data file, characters.
_MAX_PROVENANCE_CHARACTERS = 1_000_000
#: Per array of a data file: the kinds of dtype accepted, and the shape after the sample count.
_DATASET_ARRAYS = {"inputs": ("f", (2 * FIXES_PER_SAMPLE,)), "true": ("f", (2,)), "nlos": ("b", ()),
                   "point": ("iu", ())}


#: Most anchor ranges a data file may hold (the per-link model's input): MAX_SAMPLES samples of
#: eight fixes from eight anchors, 307 MB as float64.
MAX_RANGES = MAX_SAMPLES * FIXES_PER_SAMPLE * 8


class DatasetError(ValueError):
    """A file that is not usable training data; the message names the file and says why."""


def save_dataset(dataset: MitigationDataset, path: str | Path) -> None:
    """Write ``dataset`` as a compressed ``.npz`` (atomically); the provenance is stored as JSON
    text, the ranges (when the data hold them) as one more array."""
    ranges = {} if dataset.ranges is None else {"ranges": dataset.ranges}
    write_atomic(path, lambda stream: np.savez_compressed(
        stream, inputs=dataset.inputs, true=dataset.true, nlos=dataset.nlos, point=dataset.point,
        provenance=np.array(json.dumps(dataset.provenance)), **ranges))


def load_dataset(path: str | Path) -> MitigationDataset:
    """Read a dataset written by :func:`save_dataset`.

    Every array's header (dtype and shape) is read and checked, against the others and against
    :data:`MAX_SAMPLES`, before any array is: a small file of compressed zeros that claims
    billions of samples is refused without taking their memory. Virtual data must carry the
    provenance :func:`~twinloc.mitigation.datasets.virtual_dataset` records, with valid values.
    The ranges are optional (files written before they were saved have none): (N, 8, A) with A
    the anchors of the provenance, at most :data:`MAX_RANGES` values.

    Raises
    ------
    DatasetError
        The file cannot be read or is not a training data file; the message names the file.
    """
    path = Path(path)
    try:
        checked_input_file(path, DATASET_LIMIT_BYTES)
        with zipfile.ZipFile(path) as archive:
            headers = {name: _array_header(archive, name) for name in (*_DATASET_ARRAYS, "provenance")}
            count = _checked_shapes(headers)
            arrays = {name: _array_data(archive, name, header) for name, header in headers.items()}
            if "ranges.npy" in archive.namelist():
                header = _array_header(archive, "ranges")
                _check_ranges_shape(header, count)
                arrays["ranges"] = _array_data(archive, "ranges", header)
    except DatasetError as error:
        raise DatasetError(f"{path}: {error}") from None
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the training data: {error.strerror or error}") from None
    except Exception as error:  # zipfile and numpy's header reader fail on damaged files with errors of many types
        raise DatasetError(f"{path}: not a TwinLoc training data file (damaged: {type(error).__name__})") from None
    try:
        provenance = json.loads(str(arrays["provenance"]))
    except (ValueError, RecursionError):
        raise DatasetError(f"{path}: the provenance of the training data is not valid JSON") from None
    problem = _provenance_problem(provenance)
    if problem is not None:
        raise DatasetError(f"{path}: the provenance of the training data is damaged: {problem}")
    ranges = arrays.get("ranges")
    if ranges is not None and not (np.isinf(ranges).sum() == 0 and (np.isnan(ranges) | (ranges >= 0)).all()):
        raise DatasetError(f"{path}: the ranges hold negative or infinite values")
    anchors = provenance.get("anchors")
    if ranges is not None and isinstance(anchors, list) and ranges.shape[2] != len(anchors):
        raise DatasetError(f"{path}: the ranges are of {ranges.shape[2]} anchors, the provenance names {len(anchors)}")
    dataset = MitigationDataset(arrays["inputs"].astype(np.float64, copy=False), arrays["true"].astype(np.float64, copy=False),
                                arrays["nlos"], arrays["point"].astype(np.int64, copy=False), provenance,
                                None if ranges is None else ranges.astype(np.float64, copy=False))
    if not (np.isfinite(dataset.inputs).all() and np.isfinite(dataset.true).all()):
        raise DatasetError(f"{path}: the training data hold NaN or infinite values")
    if count and not (dataset.point.min() >= 0 and dataset.point.max() < MAX_CELLS):
        raise DatasetError(f"{path}: the training data name grid cells below 0 or above {MAX_CELLS:,}")
    return dataset


def mitigation_checkpoint(result: MitigationResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provenance and extra metadata a checkpoint of ``result``'s model records:
    the data and settings; the errors, each protocol's errors, sample counts, loss curves and training time."""
    history = {stage: dataclasses.asdict(training.history) | {"stopped": training.stopped}
               for stage, training in result.training.items()}
    return result.provenance, {"errors": result.errors, "protocols": result.protocols, "samples": result.samples,
                               "history": history,
                               "train_seconds": result.train_seconds}


def save_mitigation_model(path: str | Path, result: MitigationResult) -> None:
    """Write ``result``'s model as a checkpoint with :func:`mitigation_checkpoint`'s metadata."""
    from twinloc.learn.trainer import save_checkpoint  # torch: loaded by the first model file, not at start-up

    provenance, extra = mitigation_checkpoint(result)
    save_checkpoint(path, result.model, provenance=provenance, extra=extra)


def load_mitigation_model(path: str | Path) -> Checkpoint:
    """A checkpoint of an error mitigation model (:func:`~twinloc.learn.trainer.load_checkpoint`), its metadata checked
    to be what :func:`mitigation_checkpoint` records, so that showing them cannot fail.

    Raises
    ------
    CheckpointError
        Not a readable checkpoint, a model for other data (not 16 inputs and 2 outputs), or
        damaged metadata; the message names the file.
    """
    from twinloc.learn.trainer import CheckpointError, load_checkpoint  # torch: loaded by the first model file

    checkpoint = load_checkpoint(path)
    kwargs = checkpoint.kwargs
    if kwargs.get("inputs") != 2 * FIXES_PER_SAMPLE or kwargs.get("outputs") != 2:
        raise CheckpointError(f"{path}: a {checkpoint.architecture} model for other data "
                              f"(error mitigation needs {2 * FIXES_PER_SAMPLE} inputs and 2 outputs)")
    problem = _mitigation_metadata_problem(checkpoint.provenance, checkpoint.extra)
    if problem is not None:
        raise CheckpointError(f"{path}: the model's metadata are damaged: {problem}")
    return checkpoint


def _array_header(archive: zipfile.ZipFile, name: str) -> tuple[zipfile.ZipInfo, np.dtype, tuple[int, ...], bool, int]:
    """(member, dtype, shape, Fortran order, offset of the data) of array ``name``, reading its header only."""
    try:
        member = archive.getinfo(f"{name}.npy")
    except KeyError:
        raise DatasetError(f"not a TwinLoc training data file (it has no {name!r} array)") from None
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise DatasetError(f"array {name!r} has .npy format version {version}, which TwinLoc does not write")
        offset = stream.tell()
    return member, dtype, shape, fortran, offset


def _checked_shapes(headers: dict) -> int:
    """The sample count, after checking every array's dtype and shape and each member's size."""
    counts = set()
    for name, (member, dtype, shape, _fortran, offset) in headers.items():
        if name == "provenance":
            if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * _MAX_PROVENANCE_CHARACTERS:
                raise DatasetError(f"the provenance is not a text of at most {_MAX_PROVENANCE_CHARACTERS:,} characters")
        else:
            kinds, rest = _DATASET_ARRAYS[name]
            if (dtype.kind not in kinds or dtype.hasobject or len(shape) != 1 + len(rest) or tuple(shape[1:]) != rest
                    or shape[0] < 0):
                raise DatasetError(f"array {name!r} is {dtype} of shape {shape}, expected (N, {', '.join(map(str, rest))})"
                                   if rest else f"array {name!r} is {dtype} of shape {shape}, expected (N,)")
            counts.add(shape[0])
        if member.file_size != offset + math.prod(shape) * dtype.itemsize:
            raise DatasetError(f"array {name!r} is damaged (its size does not match its header)")
    if len(counts) != 1:
        raise DatasetError("the arrays of the training data do not match in shape")
    count = counts.pop()
    if count > MAX_SAMPLES:
        raise DatasetError(f"{count:,} samples, more than the {MAX_SAMPLES:,} a data file may hold")
    return count


def _check_ranges_shape(header, count: int) -> None:
    """Refuse a ranges array that is not (count, 8, A) floats within :data:`MAX_RANGES` values."""
    member, dtype, shape, _fortran, offset = header
    if (dtype.kind != "f" or len(shape) != 3 or shape[0] != count or shape[1] != FIXES_PER_SAMPLE or shape[2] < 1
            or math.prod(shape) > MAX_RANGES):
        raise DatasetError(f"array 'ranges' is {dtype} of shape {shape}, expected ({count}, {FIXES_PER_SAMPLE}, anchors) "
                           f"of at most {MAX_RANGES:,} values")
    if member.file_size != offset + math.prod(shape) * dtype.itemsize:
        raise DatasetError("array 'ranges' is damaged (its size does not match its header)")


def _array_data(archive: zipfile.ZipFile, name: str, header) -> np.ndarray:
    """Array ``name``, read into memory of exactly the size its checked header gives."""
    member, dtype, shape, fortran, offset = header
    data = bytearray(member.file_size - offset)
    with archive.open(member) as stream:
        stream.seek(offset)
        if stream.readinto(data) != len(data):
            raise DatasetError(f"array {name!r} is damaged (it ends early)")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def _provenance_problem(provenance: Any) -> str | None:
    """What is wrong with a data file's provenance, or None; virtual data must carry what
    :func:`virtual_dataset` records, since the mitigated map regenerates the data from it."""
    if not isinstance(provenance, dict):
        return "it is not a JSON object"
    if provenance.get("kind") != "virtual":
        return None if isinstance(provenance.get("kind", ""), str) else "its kind is not a text"
    anchors = provenance.get("anchors")
    if not (isinstance(anchors, list) and 1 <= len(anchors) <= MAX_DEVICES
            and all(isinstance(anchor, list) and len(anchor) == 3 and all(map(_is_coordinate, anchor)) for anchor in anchors)):
        return f"anchors must be 1 to {MAX_DEVICES} positions [x, y, z] within ±{MAX_COORDINATE_M:,.0f} m"
    if not (isinstance(provenance.get("scene"), str) and isinstance(provenance.get("scene_hash"), str)):
        return "the scene's name and hash must be texts"
    resolution, height = provenance.get("resolution_m"), provenance.get("tag_height_m")
    if not (_is_coordinate(resolution) and 0.01 <= resolution <= 5.0 and _is_coordinate(height) and height >= 0):
        return "the grid resolution must be 0.01 m to 5 m and the tag height a height >= 0 m"
    if not (_is_whole(provenance.get("groups"), 1, MAX_GROUPS) and _is_whole(provenance.get("seed"), 0, MAX_SEED)):
        return f"groups must be 1 to {MAX_GROUPS} and the seed a whole number >= 0"
    ranging = provenance.get("ranging")
    try:
        if not (isinstance(ranging, dict)
                and all(isinstance(value, bool) or _is_coordinate(value) for value in ranging.values())):
            raise ValueError
        RangingModel(**ranging)
    except (TypeError, ValueError):
        return "the ranging model must hold the numbers of twinloc.model.analysis.RangingModel"
    return None


def _mitigation_metadata_problem(provenance: dict, extra: dict) -> str | None:
    """What of a mitigation model's metadata (see :func:`mitigation_checkpoint`) cannot be shown, or None."""
    errors, samples, history = extra.get("errors", {}), extra.get("samples", {}), extra.get("history", {})
    if not (isinstance(errors, dict) and all(
            isinstance(area, dict) and all(value is None or _is_real(value) for value in area.values())
            for area in errors.values())):
        return "the mean errors are not numbers"
    protocols = extra.get("protocols", {})
    if not (isinstance(protocols, dict) and all(
            key in PROTOCOL_LABELS and isinstance(areas, dict) and all(
                isinstance(row, dict) and all(value is None or _is_real(value) for value in row.values())
                for row in areas.values())
            for key, areas in protocols.items())):
        return "the errors per evaluation protocol are not what TwinLoc records"
    if not (isinstance(samples, dict) and all(_is_whole(value, 0, MAX_SAMPLES) for value in samples.values())):
        return "the sample counts are not whole numbers"
    if not (isinstance(history, dict) and all(
            isinstance(stage, dict) and all(isinstance(stage.get(curve, []), list) and all(map(_is_real, stage.get(curve, [])))
                                            for curve in ("train_loss", "validation_loss"))
            for stage in history.values())):
        return "the loss curves are not lists of numbers"
    measured, virtual = provenance.get("measured", {}), provenance.get("virtual", {})
    if not (isinstance(measured, dict) and isinstance(measured.get("kind", ""), str)
            and isinstance(virtual, dict) and isinstance(virtual.get("anchors", []), list)):
        return "the description of the training data is not what TwinLoc records"
    return None


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_coordinate(value: Any) -> bool:
    # Compared, not converted: a JSON integer of 4,000 digits has no float.
    return _is_real(value) and abs(value) <= MAX_COORDINATE_M


def _is_whole(value: Any, least: int, most: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= most
