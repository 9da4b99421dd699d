"""Model files from elsewhere: every broken or hostile checkpoint is one CheckpointError naming
the file, and nothing is built before the model's size is known to be within its limits."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from twinloc.learn.models import MAX_PARAMETERS, create_model
from twinloc.learn.trainer import CheckpointError, load_checkpoint, save_checkpoint


@pytest.fixture
def payload(tmp_path: Path) -> dict:
    """What a good checkpoint of the default mitigation network holds."""
    path = tmp_path / "good.pt"
    save_checkpoint(path, create_model("mitigation_net"), provenance={"kind": "test"})
    return torch.load(path, weights_only=True)


def _refused(path: Path, message: str) -> str:
    with pytest.raises(CheckpointError, match=message) as caught:
        load_checkpoint(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: "), text
    assert "weights_only" not in text  # torch's advice to unpickle anyway never reaches the user
    return text


def test_weights_are_counted_before_a_model_is_built():
    # Hand count for side 8, channels (8, 16, 16): expand 16*64+64; convolutions 1*8*9+8,
    # 8*16*9+16, 16*16*9+16; fully connected 256 -> h1 -> h2 -> h3 -> 2 (weights + biases).
    def count(h1: int, h2: int, h3: int) -> int:
        return 1088 + 80 + 1168 + 2320 + (256 * h1 + h1) + (h1 * h2 + h2) + (h2 * h3 + h3) + (h3 * 2 + 2)

    default = create_model("mitigation_net")
    assert sum(p.numel() for p in default.parameters()) == count(64, 32, 16) == 23_746
    assert count(3000, 3000, 16) > MAX_PARAMETERS
    with pytest.raises(ValueError, match=f"has {count(3000, 3000, 16):,} weights, more than {MAX_PARAMETERS:,}"):
        create_model("mitigation_net", hidden=[3000, 3000, 16])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": [30000, 30000, 16]}, "'hidden' must be between 1 and 4096"),
        ({"hidden": [64, 32]}, "'hidden' must be 3 whole numbers"),
        ({"side": 2.5}, "'side' must be whole numbers"),
        ({"inputs": True}, "'inputs' must be whole numbers"),
        ({"channels": "abc"}, "'channels' must be 3 whole numbers"),
        ({"depth": 3}, "unknown model setting"),
    ],
)
def test_model_settings_outside_their_limits_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        create_model("mitigation_net", **kwargs)


# Loads a checkpoint that claims hidden=[30000, 30000, 16] (3.6 GB of weights if built) and
# prints the peak memory growth in kB.
_LOAD_THE_BOMB = """
import resource, sys
from twinloc.learn.trainer import CheckpointError, load_checkpoint
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_checkpoint(sys.argv[1])
except CheckpointError as error:
    print("refused:", error)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_a_small_file_claiming_a_huge_model_is_refused_without_building_it(tmp_path: Path, payload: dict):
    path = tmp_path / "bomb.pt"
    torch.save({**payload, "kwargs": {**payload["kwargs"], "hidden": [30000, 30000, 16]}}, path)
    assert path.stat().st_size < 200_000
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run([sys.executable, "-c", _LOAD_THE_BOMB, str(path)], capture_output=True, text=True, env=env, check=True)
    refusal, growth_kb = child.stdout.strip().splitlines()
    assert refusal.startswith(f"refused: {path}: model setting 'hidden' must be between 1 and 4096")
    assert int(growth_kb) < 100_000  # the model would take 3,600,000 kB


def test_a_pickle_of_python_objects_is_not_a_twinloc_model(tmp_path: Path):
    path = tmp_path / "code.pt"
    torch.save({"format": "twinloc-model", "callback": zipfile.ZipInfo("x")}, path)  # any non-tensor class
    _refused(path, "code.pt: not a TwinLoc model \\(it holds Python objects other than tensors")


def test_an_archive_of_compressed_records_is_refused_before_unpickling(tmp_path: Path):
    good = tmp_path / "good.pt"
    save_checkpoint(good, create_model("linear", inputs=2, outputs=1))
    packed = tmp_path / "packed.pt"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for record in source.infolist():
            target.writestr(record.filename, source.read(record))
    _refused(packed, "is compressed, which PyTorch never does")


def test_metadata_that_unfold_into_billions_of_values_are_refused(tmp_path: Path, payload: dict):
    shared: list = [0]
    for _ in range(40):  # pickled once per level (memo), 2**40 values when walked as a tree
        shared = [shared, shared]
    path = tmp_path / "unfolding.pt"
    torch.save({**payload, "extra": {"history": shared}}, path)
    _refused(path, "extra must be a dictionary of plain values, at most 1,000,000")


def _without(payload: dict, key: str) -> dict:
    return {name: value for name, value in payload.items() if name != key}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: _without(p, "kwargs"), "its architecture, settings or weights are missing"),
        (lambda p: {**p, "kwargs": [1, 2]}, "its architecture, settings or weights are missing"),
        (lambda p: _without(p, "state_dict"), "its architecture, settings or weights are missing"),
        (lambda p: {**p, "architecture": "transformer"}, "unknown model 'transformer'"),
        (lambda p: {**p, "version": 2}, "TwinLoc model version 2 is not supported"),
        (lambda p: {**p, "kwargs": {**p["kwargs"], "side": 4}}, "the weights do not fit the model's settings \\(size mismatch"),
        (lambda p: {**p, "state_dict": {**p["state_dict"], "extra.weight": torch.zeros(2)}}, "Unexpected key"),
        (lambda p: {**p, "state_dict": {k: v.to(torch.int64) for k, v in p["state_dict"].items()}}, "floating-point"),
        (lambda p: {**p, "state_dict": {k: v * float("nan") for k, v in p["state_dict"].items()}}, "NaN or infinite"),
        (lambda p: {**p, "provenance": "text"}, "provenance must be a dictionary"),
        (lambda p: [p], "a PyTorch file of something else"),
    ],
)
def test_damaged_checkpoints_are_one_checkpoint_error(tmp_path: Path, payload: dict, change, message):
    path = tmp_path / "damaged.pt"
    torch.save(change(payload), path)
    _refused(path, message)


def test_truncated_empty_and_foreign_files(tmp_path: Path):
    good = tmp_path / "good.pt"
    save_checkpoint(good, create_model("mitigation_net"))
    content = good.read_bytes()
    for name, data in (("half.pt", content[: len(content) // 2]), ("empty.pt", b""), ("text.pt", b"hello"),
                       ("zip.pt", _zip_of_text())):
        (tmp_path / name).write_bytes(data)
        _refused(tmp_path / name, "not a TwinLoc model")
    os.mkfifo(tmp_path / "pipe.pt")
    _refused(tmp_path / "pipe.pt", "cannot read the model: is not a regular file")
    _refused(tmp_path / "missing.pt", "no such file")


def _zip_of_text() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a model")
    return buffer.getvalue()
