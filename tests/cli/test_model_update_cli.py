"""``twinloc fingerprint --save-model`` and ``twinloc model-update``: a twin-trained model after a scene edit."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_fingerprint_cli import _refusal, ap_room, surveys  # noqa: F401 (fixtures)
from twinloc.fingerprint.csi_dataset import open_csi_dataset
from twinloc.fingerprint.files import load_fingerprint_model
from twinloc.fingerprint.site_change import apply_edits, read_scene_edits
from twinloc.geometry.loaders import load_scene

# A 0.4 m concrete wall across the room at x = 5, from y = 0 to 3 m, 2 m high.
WALL = {"format": "twinloc-scene-edit", "version": 1,
        "edits": [{"action": "add", "object": "new wall", "size_m": [0.4, 3.0, 2.0], "centre_m": [5.0, 1.5, 1.0],
                   "material": "concrete"}]}


def _trained(cli, ap_room, surveys, tmp_path: Path) -> str:  # noqa: F811
    train, test = surveys
    model = tmp_path / "model.npz"
    status, stdout, err = cli(["fingerprint", ap_room, "--train", train, "--test", test, "--twin", "only",
                               "--save-model", str(model), "--json"])
    assert status == 0, err
    assert json.loads(stdout)["saved_model"] == str(model)
    return str(model)


def test_a_saved_model_is_updated_after_a_wall_goes_up(cli, ap_room, surveys, tmp_path):  # noqa: F811
    model = _trained(cli, ap_room, surveys, tmp_path)
    scene = load_scene(ap_room)
    assert load_fingerprint_model(model).scene_digest == scene.content_hash()
    change = tmp_path / "wall.json"
    change.write_text(json.dumps(WALL))
    updated = tmp_path / "updated.npz"
    out = tmp_path / "changes.csv"
    status, stdout, err = cli(["model-update", ap_room, "--model", model, "--change", str(change),
                               "--save-model", str(updated), "--out", str(out), "--json"])
    assert status == 0, err
    report = json.loads(stdout)
    assert report["model_was_current"] is True and report["model"] == "knn"
    assert 0 < report["changed_cells"] <= report["cells"]
    rows = out.read_text().splitlines()[1:]
    assert len(rows) == report["cells"] and sum(row.split(",")[3] != "0" for row in rows) == report["changed_cells"]
    for stage in ("before", "stale", "updated", "retrained"):
        assert set(report[stage]) == {"mean_m", "p90_m"}
    assert report["update_seconds"] > 0 and report["retrain_seconds"] > 0
    changed = apply_edits(scene, read_scene_edits(change))
    assert load_fingerprint_model(updated).scene_digest == changed.content_hash()


def test_bad_model_update_input_is_one_line_and_status_2(cli, ap_room, surveys, tmp_path):  # noqa: F811
    model = _trained(cli, ap_room, surveys, tmp_path)
    ghost = tmp_path / "ghost.json"
    ghost.write_text(json.dumps({**WALL, "edits": [{"action": "remove", "object": "ghost"}]}))
    assert "ghost" in _refusal(cli, ["model-update", ap_room, "--model", model, "--change", str(ghost)])
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "--change" in _refusal(cli, ["model-update", ap_room, "--model", model, "--change", str(broken)])
    assert "--model" in _refusal(cli, ["model-update", ap_room, "--model", str(tmp_path / "none.npz"),
                                       "--change", str(ghost)])
    assert "--change" in _refusal(cli, ["model-update", ap_room, "--model", model, "--change", str(tmp_path)])


def test_a_csi_dataset_is_updated_after_a_wall_goes_up(cli, ap_room, tmp_path):  # noqa: F811
    old, new = tmp_path / "old.npz", tmp_path / "new.npz"
    status, _, err = cli(["csi-dataset", ap_room, "--bs", "ap1", "--array", "1x4", "--subcarriers", "16",
                          "--max-depth", "0", "--resolution", "1", "--out", str(old), "--json"])
    assert status == 0, err
    change = tmp_path / "wall.json"
    change.write_text(json.dumps(WALL))
    status, stdout, err = cli(["csi-dataset-update", ap_room, "--dataset", str(old), "--change", str(change),
                               "--out", str(new), "--json"])
    assert status == 0, err
    report = json.loads(stdout)
    dataset = open_csi_dataset(new)
    positions = dataset.positions
    # With the direct path alone, a sample changed when its link from ap1 (0, 0, 2.5) crosses the
    # wall x = 4.8..5.2 m, y = 0..3 m below 2 m: at x = 5 the link is at y = 5 y_s / x_s and
    # z = 2.5 - 1.5 * 5 / x_s (samples at 1 m), so x_s > 5.2, y_s < 3 x_s / 5 and x_s < 15.
    x, y = positions[:, 0], positions[:, 1]
    crossing = (x > 5.2) & (5.0 * y / x < 3.0) & (2.5 - 1.5 * 5.0 / x < 2.0)
    assert report["samples"] == len(positions) and report["changed_samples"] == int(crossing.sum()) > 0
    assert dataset.provenance["scene_digest"] == apply_edits(load_scene(ap_room), read_scene_edits(change)).content_hash()


def test_bad_csi_dataset_update_input_is_one_line_and_status_2(cli, ap_room, tmp_path):  # noqa: F811
    change = tmp_path / "wall.json"
    change.write_text(json.dumps(WALL))
    out = str(tmp_path / "new.npz")
    assert "--dataset" in _refusal(cli, ["csi-dataset-update", ap_room, "--dataset", str(tmp_path / "none.npz"),
                                         "--change", str(change), "--out", out])
    assert "--dataset" in _refusal(cli, ["csi-dataset-update", ap_room, "--dataset", str(tmp_path),
                                         "--change", str(change), "--out", out])
    assert "--dataset" in _refusal(cli, ["csi-dataset-update", ap_room, "--dataset", str(change),
                                         "--change", str(change), "--out", out])
    assert "--change" in _refusal(cli, ["csi-dataset-update", ap_room, "--dataset", str(change),
                                        "--change", str(tmp_path / "none.json"), "--out", out])
