"""``twinloc fingerprint-ssl``: the metrics of a run on a small dataset file, and its refusals."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest


def _dataset(path, count=120):
    """A dataset file as ``twinloc csi-dataset`` writes it (an uncompressed npz): each sample's
    angle-delay image is a 2 x 3 image whose pixels are smooth functions of its (x, y)."""
    rng = np.random.default_rng(0)
    positions = np.column_stack([rng.uniform(0.0, 4.0, (count, 2)), np.full(count, 1.2)])
    rows, columns = np.meshgrid(np.arange(2.0), np.arange(3.0), indexing="ij")
    images = np.exp(-((positions[:, 0, None, None] / 2 - rows) ** 2 + (positions[:, 1, None, None] / 1.5 - columns) ** 2))
    multipath = np.full((count, 2, 7), np.nan, dtype=np.float32)
    multipath[:, 0, :2] = positions[:, :2]
    np.savez(path, positions=positions, angle_delay=images.astype(np.float32), multipath=multipath,
             provenance=np.array(json.dumps({"scene": "synthetic"})))
    return str(path)


@pytest.mark.parametrize("method", ["supervised", "consistency"])
def test_reports_the_metrics_of_a_run(cli, tmp_path, method):
    dataset = _dataset(tmp_path / "tiny.npz")
    status, out, err = cli(["fingerprint-ssl", dataset, "--labelled-fraction", "0.5", "--method", method,
                            "--epochs", "5", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert (report["labelled"], report["unlabelled"], report["test"]) == (48, 48, 24)
    assert report["p50_m"] <= report["p67_m"] <= report["p80_m"] <= report["p90_m"]
    assert len(report["pseudo_labels"]) == (1 if method == "consistency" else 0)
    assert report["train_seconds"] > 0


def test_multipath_input_trains_the_mlp(cli, tmp_path):
    dataset = _dataset(tmp_path / "tiny.npz")
    status, out, err = cli(["fingerprint-ssl", dataset, "--input", "multipath", "--method", "supervised",
                            "--epochs", "3", "--json"])
    assert status == 0, err
    assert json.loads(out)["input"] == "multipath"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["--labelled-fraction", "0"], "--labelled-fraction"), (["--rounds", "0"], "--rounds"),
     (["--method", "magic"], "--method"), (["--labelled-fraction", "1", "--method", "consistency"], "unlabelled")],
)
def test_bad_options_are_refused_in_one_line(cli, tmp_path, arguments, message):
    status, out, err = cli(["fingerprint-ssl", _dataset(tmp_path / "tiny.npz"), *arguments])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("twinloc: error: ") and message in err


def test_a_file_that_is_not_a_dataset_is_named(cli, tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("not a zip")
    status, _, err = cli(["fingerprint-ssl", str(path)])
    assert status == 2 and str(path) in err and err.count("\n") == 1


def test_a_fifo_is_refused_without_hanging(cli, tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    status, _, err = cli(["fingerprint-ssl", str(fifo)])
    assert status == 2 and str(fifo) in err


def _sector_dataset(path, applies: bool):
    """The tiny dataset of :func:`_dataset` as if made with ``csi-dataset --sectors 3``."""
    _dataset(path)
    with np.load(path) as stored:
        members = dict(stored)
    provenance = {"scene": "synthetic", "sectors": 3, "base_station_position_m": [2.0, 2.0, 3.0],
                  "sector_rotation": {"applies": applies, "reason": "the hall is not round" if not applies else "round"}}
    np.savez(path, **{**members, "sector": (np.arange(len(members["positions"])) % 3).astype(np.int8),
                      "provenance": np.array(json.dumps(provenance))})
    return str(path)


@pytest.mark.parametrize(("make", "message"), [
    (lambda path: _dataset(path), "--sector-rotation: {path}: sector rotation needs the sector of every sample"),
    (lambda path: _sector_dataset(path, applies=False),
     "--sector-rotation: {path}: sector rotation does not apply: the hall is not round"),
])
def test_sector_rotation_is_refused_without_sectors_or_symmetry(cli, tmp_path, make, message):
    path = make(tmp_path / "tiny.npz")
    status, out, err = cli(["fingerprint-ssl", path, "--method", "supervised", "--epochs", "1", "--sector-rotation"])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("twinloc: error: " + message.format(path=path))


def test_sector_rotation_reports_the_rotated_labels(cli, tmp_path):
    path = _sector_dataset(tmp_path / "tiny.npz", applies=True)
    status, out, err = cli(["fingerprint-ssl", path, "--method", "supervised", "--labelled-fraction", "0.5",
                            "--epochs", "2", "--sector-rotation", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["labelled"] == 48 and report["rotated_labels"] == 96  # each label into the 2 other sectors


@pytest.mark.parametrize(("arguments", "message"), [
    (["--method", "consistency", "--scheduler", "local"], "--scheduler local: only --method ensemble runs as a study"),
    (["--method", "ensemble", "--scheduler", "nowhere"], "--scheduler nowhere: 'nowhere' is not local, none or"),
])
def test_a_scheduler_is_refused_for_a_single_method_or_when_it_is_not_one(cli, tmp_path, arguments, message):
    status, out, err = cli(["fingerprint-ssl", _dataset(tmp_path / "tiny.npz"), *arguments])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("twinloc: error: " + message)


def test_the_ensemble_runs_in_process_by_default_and_with_scheduler_none(cli, tmp_path):
    dataset = _dataset(tmp_path / "tiny.npz")
    reports = []
    for extra in ([], ["--scheduler", "none"]):
        status, out, err = cli(["fingerprint-ssl", dataset, "--input", "multipath", "--method", "ensemble",
                                "--labelled-fraction", "0.5", "--epochs", "3", "--json", *extra])
        assert status == 0, err
        reports.append(json.loads(out))
    assert list(reports[0]["members"]) == ["supervised", "mean-teacher", "consistency", "weighted-average", "consensus"]
    for report in reports:
        del report["train_seconds"]
    assert reports[0] == reports[1]
