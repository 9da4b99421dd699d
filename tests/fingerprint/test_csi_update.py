"""Regenerating a CSI dataset's changed samples after a site change (twinloc.fingerprint.csi_update)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.radio.radio_scenes import scene_of, solid_box, surface_plane
from twinloc.cancellation import CancelToken, report_nothing
from twinloc.compute.csi_jobs import csi_dataset_job
from twinloc.fingerprint import csi_dataset
from twinloc.fingerprint.csi_dataset import CsiSettings, open_csi_dataset
from twinloc.fingerprint.csi_update import regenerate_csi_dataset
from twinloc.fingerprint.site_change import SceneEdit, apply_edits
from twinloc.geometry.ray_engine import RayEngine
from twinloc.radio.channel import AntennaArray, OfdmBand
from twinloc.radio.radiomap import RadioSettings
from twinloc.radio.transmitters import Transmitter

BAND = OfdmBand(3.5e9, 100e6, 16)
STATION = Transmitter("bs", (0.0, 0.0, 1.5), BAND.centre_hz, 0.0)
# Noise and timing offsets drawn per chunk: a regenerated row must get the draws a fresh write gives it.
SETTINGS = CsiSettings(AntennaArray(1, 4), BAND, delay_bins=8, snr_db=20.0, timing_offset_s=30e-9, seed=5,
                       keep_csi=True)
MOVE = SceneEdit("move", "rack", vector_m=(0.0, 2.0, 0.0))


def _scene():
    """A concrete floor, a 1 x 1 x 2 m concrete rack centred at (3, 0, 1)."""
    return scene_of(surface_plane("floor", (20.0, 20.0), (2.0, 0.0, 0.0)),
                    solid_box("rack", (1.0, 1.0, 2.0), (3.0, 0.0, 1.0)))


def _points() -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(-1.25, 7.0, 0.5), np.arange(-3.25, 4.0, 0.5))
    return np.column_stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])


def _generate(scene, path, depth: int) -> None:
    radio = RadioSettings(max_depth=depth, strongest_paths=3)
    csi_dataset_job(scene, STATION, str(path), SETTINGS, radio, points=_points()).function(report_nothing, CancelToken())


def _members(path) -> dict[str, np.ndarray]:
    dataset = open_csi_dataset(path)
    return {name: np.array(array) for name, array in dataset.take(np.arange(len(dataset))).items()}


@pytest.mark.parametrize("depth", [0, 1])
def test_changed_rows_equal_a_fresh_generation_and_the_others_are_copied(tmp_path, monkeypatch, depth):
    monkeypatch.setattr(csi_dataset, "CHUNK_SAMPLES", 64)  # 240 samples: 4 chunks, each with its own noise
    scene = _scene()
    _generate(scene, tmp_path / "old.npz", depth)
    result = regenerate_csi_dataset(tmp_path / "old.npz", scene, (MOVE,), tmp_path / "new.npz")
    _generate(apply_edits(scene, (MOVE,)), tmp_path / "fresh.npz", depth)
    old, new, fresh = (_members(tmp_path / name) for name in ("old.npz", "new.npz", "fresh.npz"))
    changed = result.changed
    assert 10 < changed.sum() < len(changed) - 10
    for name in ("positions", "angle_delay", "multipath", "csi"):
        np.testing.assert_array_equal(new[name], fresh[name], err_msg=name)
        assert new[name][~changed].tobytes() == old[name][~changed].tobytes()
    assert not np.array_equal(new["csi"][changed], old["csi"][changed])
    provenance = open_csi_dataset(tmp_path / "new.npz").provenance
    assert provenance["scene_digest"] == apply_edits(scene, (MOVE,)).content_hash()
    assert provenance["scene_digest"] == open_csi_dataset(tmp_path / "fresh.npz").provenance["scene_digest"]
    assert provenance["regenerated_from"] == {
        "dataset": "old.npz", "scene_digest": scene.content_hash(), "changed_samples": int(changed.sum()),
        "edits": [{"action": "move", "name": "rack", "vector_m": [0.0, 2.0, 0.0]}]}
    assert provenance["snr_db"] == 20.0 and provenance["base_station"] == "bs"


def test_with_the_direct_path_alone_the_changed_rows_are_those_whose_link_crossed_the_rack(tmp_path):
    scene = _scene()
    moved = apply_edits(scene, (MOVE,))
    _generate(scene, tmp_path / "old.npz", 0)
    result = regenerate_csi_dataset(tmp_path / "old.npz", scene, (MOVE,), tmp_path / "new.npz")
    points = _points()
    starts = np.repeat([STATION.position], len(points), axis=0)
    crossed = [RayEngine(s).segment_crossings(starts, points).inside_length_m[:, 1] > 0.0 for s in (scene, moved)]
    np.testing.assert_array_equal(result.changed, crossed[0] | crossed[1])


def test_a_dataset_of_another_scene_is_refused(tmp_path):
    scene = _scene()
    _generate(scene, tmp_path / "old.npz", 0)
    moved = apply_edits(scene, (MOVE,))
    with pytest.raises(ValueError, match="old.npz: made on another scene"):
        regenerate_csi_dataset(tmp_path / "old.npz", moved, (MOVE,), tmp_path / "new.npz")
    assert not (tmp_path / "new.npz").exists()


def test_a_sectored_dataset_keeps_its_sectors_and_learns_the_edit_broke_the_symmetry(tmp_path):
    """sector_hall is 3-fold symmetric about BS1; moving one shelf breaks that, so the regenerated
    dataset must record that sector rotation no longer applies, and its rows stay in sector frames."""
    from twinloc.geometry.loaders import load_scene

    scene = load_scene("sector_hall")
    station = Transmitter("BS1", (12.0, 12.0, 3.5), BAND.centre_hz, 0.0)
    settings = CsiSettings(AntennaArray(1, 4), BAND, delay_bins=8, seed=5, sectors=3, keep_csi=True)
    xs, ys = np.meshgrid(np.arange(4.0, 21.0, 2.0), np.arange(4.0, 21.0, 2.0))
    points = np.column_stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    shelf = SceneEdit("move", "shelf 1", vector_m=(1.0, 0.0, 0.0))

    def generate(on, path):
        job = csi_dataset_job(on, station, str(path), settings, RadioSettings(max_depth=1, strongest_paths=3), points=points)
        return job.function(report_nothing, CancelToken())

    assert generate(scene, tmp_path / "old.npz").sector_rotation["applies"]
    result = regenerate_csi_dataset(tmp_path / "old.npz", scene, (shelf,), tmp_path / "new.npz")
    fresh = generate(apply_edits(scene, (shelf,)), tmp_path / "fresh.npz")
    assert not fresh.sector_rotation["applies"] and result.changed.any()
    new, expected = _members(tmp_path / "new.npz"), _members(tmp_path / "fresh.npz")
    for name in ("sector", "angle_delay", "multipath", "csi"):
        np.testing.assert_array_equal(new[name], expected[name], err_msg=name)
    assert open_csi_dataset(tmp_path / "new.npz").provenance["sector_rotation"] == fresh.sector_rotation
