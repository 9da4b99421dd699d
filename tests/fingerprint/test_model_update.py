"""The model update after a site change (twinloc.fingerprint.model_update) and the twin's digest in model files."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import numpy as np
import pytest

from tests.fingerprint.conftest import write_floor_scene
from twinloc.fingerprint.files import load_fingerprint_model, save_fingerprint_model
from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.fingerprint.model_update import floor_data, update_model, update_model_for_scene
from twinloc.fingerprint.models import default_settings, fit_fingerprint_model
from twinloc.fingerprint.site_change import SceneEdit, apply_edits, stale
from twinloc.geometry.loaders import load_scene
from twinloc.radio.radiomap import compute_radio_map

WALL = SceneEdit("add", "block", size_m=(0.4, 3.0, 2.0), centre_m=(3.0, 1.5, 1.0), material="concrete")


def _room(tmp_path):
    return load_scene(write_floor_scene(tmp_path / "room.json", (6.0, 4.0), {"a": (0.5, 1.0, 2.0), "b": (5.5, 3.0, 2.0)}))


def test_the_update_regenerates_the_changed_cells_as_a_whole_new_twin_would(tmp_path):
    scene = _room(tmp_path)
    floor = floor_data(scene, ["a", "b"], max_depth=0)
    fitted = replace(fit_fingerprint_model("knn", floor.survey(0), default_settings("knn")), scene_digest=scene.content_hash())
    update = update_model(fitted, scene, (WALL,), floor=floor)
    changed = apply_edits(scene, (WALL,))
    # Independently: the changed scene's whole radio map, sampled with the training seed.
    whole = compute_radio_map(changed, floor.transmitters, floor.points, floor.settings)
    expected = floor.survey(0, radio=whole)
    np.testing.assert_allclose(update.model.knn_data[0], fitted.spec.features(expected))
    # A 0.4 m block across x = 3 from y = 0 to 3 m stands between a (x 0.5) and b (x 5.5) and every cell on the far side.
    far_side = (floor.points[:, 0] > 3.2) & (floor.points[:, 1] < 2.5)
    assert update.changes.changed[far_side, 0].all()
    assert not update.changes.changed[floor.points[:, 0] < 2.8, 0].any()
    assert stale(fitted.scene_digest, changed) and not stale(update.model.scene_digest, changed)
    assert update.stale.mean_m > update.updated.mean_m


def test_a_cancelled_update_stops_at_the_next_stage_and_returns_nothing(tmp_path):
    scene = _room(tmp_path)
    floor = floor_data(scene, ["a", "b"], max_depth=0)
    fitted = replace(fit_fingerprint_model("knn", floor.survey(0), default_settings("knn")), scene_digest=scene.content_hash())
    token, stages = CancelToken(), []

    def progress(fraction, text):
        stages.append(fraction)
        if fraction >= 0.25:  # cancelled while the change map is being found
            token.cancel()

    with pytest.raises(JobCancelled):
        update_model_for_scene(fitted, scene, apply_edits(scene, (WALL,)), floor=floor, progress=progress, cancel=token)
    assert stages == [0.0, 0.25]


def test_model_files_keep_the_twins_digest_and_older_files_load_without_one(tmp_path):
    scene = _room(tmp_path)
    floor = floor_data(scene, ["a", "b"], max_depth=0)
    fitted = replace(fit_fingerprint_model("knn", floor.survey(0), default_settings("knn")), scene_digest=scene.content_hash())
    path = tmp_path / "model.npz"
    save_fingerprint_model(fitted, path)
    assert load_fingerprint_model(path).scene_digest == scene.content_hash()
    with np.load(path) as arrays:
        metadata = json.loads(str(arrays["metadata"]))
        features, targets = arrays["features"], arrays["targets"]
    del metadata["scene_digest"]
    old = io.BytesIO()
    np.savez(old, features=features, targets=targets, metadata=np.array(json.dumps(metadata)))
    (tmp_path / "old.npz").write_bytes(old.getvalue())
    assert zipfile.is_zipfile(tmp_path / "old.npz")
    loaded = load_fingerprint_model(tmp_path / "old.npz")
    assert loaded.scene_digest is None and stale(loaded.scene_digest, scene)
