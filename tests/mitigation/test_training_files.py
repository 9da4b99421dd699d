"""Training data and mitigation model files from elsewhere: each broken one is refused with one
error naming the file, before anything it claims is allocated."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from twinloc.geometry.grid import MAX_CELLS
from twinloc.geometry.loaders import load_scene
from twinloc.learn.models import create_model
from twinloc.learn.trainer import CheckpointError, save_checkpoint
from twinloc.mitigation.datasets import MAX_SAMPLES, virtual_dataset
from twinloc.mitigation.files import MAX_RANGES, DatasetError, load_dataset, load_mitigation_model, save_dataset
from twinloc.mitigation.maps import mitigated_map
from twinloc.model.analysis import MAX_GROUPS

PROVENANCE = {"kind": "virtual", "scene": "hall", "scene_hash": "abc", "anchors": [[0.0, 0.0, 2.0], [5.0, 0.0, 2.0]],
              "tag_height_m": 1.0, "resolution_m": 0.5, "groups": 2, "seed": 3,
              "ranging": {"los_mean_m": 0.02, "los_std_m": 0.03, "nlos_mean_m": 0.1, "nlos_std_m": 0.15,
                          "incidence_correction": False}}


def _arrays(count: int = 4) -> dict:
    """The arrays of a data file of ``count`` samples, as save_dataset writes them."""
    rng = np.random.default_rng(0)
    return {"inputs": rng.normal(size=(count, 16)), "true": rng.normal(size=(count, 2)), "nlos": np.arange(count) % 2 == 0,
            "point": np.arange(count, dtype=np.int64) // 2, "provenance": np.array(json.dumps(PROVENANCE))}


def _write(path: Path, **changes) -> Path:
    arrays = {name: value for name, value in {**_arrays(), **changes}.items() if value is not None}
    np.savez_compressed(path, **arrays)
    return path


def test_a_hand_made_file_loads_with_its_values(tmp_path: Path):
    data = load_dataset(_write(tmp_path / "good.npz"))
    expected = _arrays()
    assert np.array_equal(data.inputs, expected["inputs"]) and np.array_equal(data.point, [0, 0, 1, 1])
    assert data.nlos.tolist() == [True, False, True, False] and data.provenance == PROVENANCE
    assert data.ranges is None  # written before ranges were saved: positions only


def test_ranges_beyond_the_limit_are_refused_from_their_header(tmp_path: Path):
    path = _write(tmp_path / "huge.npz")
    header = io.BytesIO()  # the format's magic string and a header claiming 9.8 GB of ranges, and no data
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (4, 8, MAX_RANGES)})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("ranges.npy", header.getvalue())
    with pytest.raises(DatasetError, match=f"at most {MAX_RANGES:,} values"):
        load_dataset(path)


def test_ranges_are_saved_and_loaded_back(tmp_path: Path):
    ranges = np.arange(4 * 8 * 2, dtype=np.float64).reshape(4, 8, 2)
    ranges[1, 3, 0] = np.nan  # a link blocked in one draw
    data = load_dataset(_write(tmp_path / "ranges.npz", ranges=ranges))
    np.testing.assert_array_equal(data.ranges, ranges)
    save_dataset(data, tmp_path / "again.npz")
    np.testing.assert_array_equal(load_dataset(tmp_path / "again.npz").ranges, ranges)


def _provenance(**changes) -> np.ndarray:
    return np.array(json.dumps({**PROVENANCE, **changes}))


BROKEN = {
    "no inputs": ({"inputs": None}, "it has no 'inputs' array"),
    "15 numbers per sample": ({"inputs": np.zeros((4, 15))}, "array 'inputs' is float64 of shape \\(4, 15\\), expected \\(N, 16\\)"),
    "counts differ": ({"true": np.zeros((3, 2))}, "do not match in shape"),
    "float points": ({"point": np.zeros(4)}, "array 'point' is float64"),
    "objects": ({"nlos": np.array([None] * 4)}, "array 'nlos' is object"),
    "NaN inputs": ({"inputs": np.full((4, 16), np.nan)}, "NaN or infinite"),
    "negative point": ({"point": np.array([0, -1, 1, 1])}, "grid cells below 0"),
    "point past any grid": ({"point": np.array([0, MAX_CELLS, 1, 1])}, "grid cells below 0 or above"),
    "provenance not JSON": ({"provenance": np.array("{")}, "not valid JSON"),
    "provenance nested too deep": ({"provenance": np.array("[" * 100_000 + "]" * 100_000)}, "not valid JSON"),
    "provenance a list": ({"provenance": np.array("[1]")}, "it is not a JSON object"),
    "provenance bytes": ({"provenance": np.zeros(3)}, "the provenance is not a text"),
    "anchors missing": ({"provenance": _provenance(anchors=None)}, "anchors must be 1 to 1000 positions"),
    "anchor at 10**400": ({"provenance": np.array(json.dumps(PROVENANCE).replace("5.0", "1" + "0" * 400))}, "anchors must be"),
    "resolution 0": ({"provenance": _provenance(resolution_m=0)}, "grid resolution must be 0.01 m to 5 m"),
    "a million groups": ({"provenance": _provenance(groups=10**6)}, f"groups must be 1 to {MAX_GROUPS}"),
    "ranging text": ({"provenance": _provenance(ranging={"los_mean_m": "x"})}, "ranging model"),
    "ranging unknown field": ({"provenance": _provenance(ranging={"bias": 1.0})}, "ranging model"),
    "ranges of 3 anchors": ({"ranges": np.ones((4, 8, 3))}, "the ranges are of 3 anchors, the provenance names 2"),
    "ranges of 7 fixes": ({"ranges": np.ones((4, 7, 2))}, "array 'ranges' is float64 of shape \\(4, 7, 2\\)"),
    "ranges of other samples": ({"ranges": np.ones((5, 8, 2))}, "expected \\(4, 8, anchors\\)"),
    "negative ranges": ({"ranges": -np.ones((4, 8, 2))}, "negative or infinite"),
    "infinite ranges": ({"ranges": np.full((4, 8, 2), np.inf)}, "negative or infinite"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_data_file_is_one_dataset_error_naming_it(tmp_path: Path, case: str):
    changes, message = BROKEN[case]
    path = _write(tmp_path / "broken.npz", **changes)
    with pytest.raises(DatasetError, match=message) as caught:
        load_dataset(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_files_that_are_not_data_archives(tmp_path: Path):
    good = _write(tmp_path / "good.npz").read_bytes()
    (tmp_path / "half.npz").write_bytes(good[: len(good) // 2])
    (tmp_path / "empty.npz").write_bytes(b"")
    np.save(tmp_path / "array.npy", np.zeros(3))
    os.mkfifo(tmp_path / "pipe.npz")
    with zipfile.ZipFile(tmp_path / "other.npz", "w") as archive:
        archive.writestr("inputs.npy", b"\x93NUMPY\x03\x00garbage")
    for name, message in (("half.npz", "not a TwinLoc training data file"), ("empty.npz", "not a TwinLoc training data"),
                          ("array.npy", "not a TwinLoc training data"), ("pipe.npz", "is not a regular file"),
                          ("missing.npz", "no such file"), ("other.npz", "version \\(3, 0\\)")):
        with pytest.raises(DatasetError, match=message):
            load_dataset(tmp_path / name)


def test_more_samples_than_allowed_are_refused_before_generating(tmp_path: Path):
    hall = load_scene("uwb_hall")
    anchors = np.array(PROVENANCE["anchors"])
    with pytest.raises(ValueError, match=f"groups must be between 1 and {MAX_GROUPS}"):
        virtual_dataset(hall, anchors, 1.0, 1.0, groups=MAX_GROUPS + 1)
    # The hall's floor is 18.3 m x 8.4 m: over 10,000 cells of 0.1 m, so 1000 groups exceed MAX_SAMPLES.
    assert 10_000 * MAX_GROUPS > MAX_SAMPLES
    with pytest.raises(ValueError, match=f"more than {MAX_SAMPLES:,} samples"):
        virtual_dataset(hall, anchors, 1.0, 0.1, groups=MAX_GROUPS)


def test_virtual_data_naming_cells_the_grid_lacks_are_refused_by_the_map():
    hall = load_scene("uwb_hall")
    anchors = np.array([[3.8, 0.0, 2.0], [9.4, 7.2, 2.0], [14.4, 0.1, 2.0]])  # the hall's own
    data = virtual_dataset(hall, anchors, hall.tag_height_m, 2.0, groups=1)
    data.point[0] = 10**6  # the 2 m grid of the hall has fewer than 100 cells
    with pytest.raises(ValueError, match="floor cells this scene's grid does not have"):
        mitigated_map(hall, create_model("mitigation_net"), data)


def _mitigation_model(path: Path, model=None, **extra) -> Path:
    save_checkpoint(path, model or create_model("mitigation_net"), provenance={"measured": {"kind": "measured"}},
                    extra={"errors": {"los": {"raw": 0.1, "nn": None}}, "samples": {"virtual": 10},
                           "history": {"pretrain": {"train_loss": [1.0, 0.5], "validation_loss": [1.1, 0.6]}}, **extra})
    return path


def test_a_mitigation_model_and_its_metadata_load(tmp_path: Path):
    checkpoint = load_mitigation_model(_mitigation_model(tmp_path / "m.pt"))
    assert checkpoint.extra["history"]["pretrain"]["validation_loss"] == [1.1, 0.6]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"errors": {"los": {"raw": "10 cm"}}}, "the mean errors are not numbers"),
        ({"errors": {"los": 0.1}}, "the mean errors are not numbers"),
        ({"samples": {"virtual": "many"}}, "the sample counts are not whole numbers"),
        ({"history": {"pretrain": [1.0, 0.5]}}, "the loss curves are not lists of numbers"),
        ({"history": {"pretrain": {"train_loss": ["high"]}}}, "the loss curves are not lists of numbers"),
    ],
)
def test_mitigation_metadata_the_panel_could_not_show_are_refused(tmp_path: Path, extra: dict, message: str):
    with pytest.raises(CheckpointError, match=message):
        load_mitigation_model(_mitigation_model(tmp_path / "m.pt", **extra))


def test_a_model_for_other_data_is_not_a_mitigation_model(tmp_path: Path):
    path = _mitigation_model(tmp_path / "linear.pt", create_model("linear", inputs=4, outputs=2))
    with pytest.raises(CheckpointError, match="linear.pt: a linear model for other data"):
        load_mitigation_model(path)
    torch.save({"not": "a model"}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a TwinLoc model"):
        load_mitigation_model(tmp_path / "other.pt")
