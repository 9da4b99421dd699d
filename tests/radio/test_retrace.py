"""Updating a traced radio map after a scene edit (radiomap.retraced_radio_map): the same as
tracing the edited scene afresh, with only the paths the edit reaches traced again.

(A reflection point exactly on the edge where two faces meet may be decided either way by two
scenes' ray engines, whose hierarchies differ; these scenes have none.)"""

from __future__ import annotations

import numpy as np
import pytest

from tests.radio.radio_scenes import scene_of, solid_box, surface_plane, surface_wall
from twinloc.fingerprint.site_change import SceneEdit, apply_edits, edited_bounds, edited_objects
from twinloc.radio.radiomap import RadioSettings, retraced_radio_map, traced_radio_map
from twinloc.radio.specular import segments_meet_boxes
from twinloc.radio.transmitters import Transmitter

APS = (Transmitter("a", (1.0, 1.0, 2.5), 2.4e9, 20.0), Transmitter("b", (9.0, 5.0, 2.5), 2.4e9, 20.0))


def _room():
    """A 10 x 6 m room: concrete floor and walls, a metal cabinet and a wooden crate."""
    return scene_of(surface_plane("floor", (10.0, 6.0), (5.0, 3.0, 0.0)),
                    surface_wall("south", (0.0, 0.0), (10.0, 0.0), 3.0), surface_wall("west", (0.0, 0.0), (0.0, 6.0), 3.0),
                    solid_box("cabinet", (1.0, 0.6, 2.0), (4.0, 2.0, 1.0), material="metal"),
                    solid_box("crate", (0.8, 0.8, 0.8), (7.0, 4.0, 0.4), material="wood"))


def _points() -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(0.5, 10.0, 0.75), np.arange(0.5, 6.0, 0.75))
    return np.column_stack([xs.ravel(), ys.ravel(), np.full(xs.size, 1.2)])


@pytest.mark.parametrize("edit", [
    SceneEdit("move", "cabinet", vector_m=(2.0, 1.5, 0.0)),
    SceneEdit("remove", "crate"),
    SceneEdit("add", "shelf", size_m=(0.5, 2.0, 1.8), centre_m=(2.0, 4.0, 0.9), material="metal"),
    SceneEdit("material", "crate", material="concrete"),
])
def test_a_retraced_map_equals_a_fresh_trace_of_the_edited_scene(edit):
    old = _room()
    if edit.action == "add":
        old = scene_of(*old.objects, solid_box("spare", (0.1, 0.1, 0.1), (9.5, 0.5, 0.05), material="metal"))
    new = apply_edits(old, (edit,))
    settings = RadioSettings(max_depth=2, strongest_paths=4)
    traced = traced_radio_map(old, APS, _points(), settings)
    boxes = edited_bounds(old, new) + np.array([-0.05, 0.05])[None, :, None]
    updated = retraced_radio_map(traced, new, edited_objects(old, new), boxes).radio
    fresh = traced_radio_map(new, APS, _points(), settings).radio
    np.testing.assert_allclose(updated.path_gain_db, fresh.path_gain_db, rtol=0, atol=1e-9)
    np.testing.assert_allclose(updated.range_m, fresh.range_m, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(updated.los, fresh.los)
    np.testing.assert_array_equal(updated.crossings, fresh.crossings)
    for name in ("delay_s", "power_db", "aoa_azimuth_rad", "aod_elevation_rad"):
        np.testing.assert_allclose(getattr(updated.paths, name), getattr(fresh.paths, name), rtol=1e-9, atol=1e-12)
    assert not np.allclose(traced.radio.path_gain_db, fresh.path_gain_db)  # the edit does change the map


def test_only_points_the_edit_reaches_are_traced_again():
    old = _room()
    new = apply_edits(old, (SceneEdit("move", "cabinet", vector_m=(0.0, 1.0, 0.0)),))
    traced = traced_radio_map(old, APS, _points(), RadioSettings(max_depth=1))
    boxes = edited_bounds(old, new)
    retraced = retraced_radio_map(traced, new, {"cabinet"}, boxes)
    touched = retraced.traces[0].touched
    # Every point whose direct link meets the cabinet's old or new place is traced again...
    direct = segments_meet_boxes(np.broadcast_to(APS[0].position, _points().shape), _points(), boxes)
    assert direct.sum() > 0 and touched[direct].all()
    # ...and some points are not: their paths neither pass the cabinet nor reflect off it.
    assert 0 < touched.sum() < len(touched)


def test_segments_meet_boxes_by_hand():
    box = np.array([[[1.0, 1.0, 0.0], [2.0, 2.0, 1.0]]])
    starts = np.array([[0.0, 1.5, 0.5], [0.0, 1.5, 0.5], [0.0, 0.0, 0.5], [1.5, 1.5, 0.5], [0.0, 2.0, 0.5]])
    ends = np.array([[3.0, 1.5, 0.5], [0.9, 1.5, 0.5], [3.0, 0.5, 0.5], [1.5, 1.5, 0.7], [3.0, 2.0, 0.5]])
    # Through; stops short; passes below (y <= 0.5); inside; grazes the y = 2 face (touching counts).
    np.testing.assert_array_equal(segments_meet_boxes(starts, ends, box), [True, False, False, True, True])


def test_a_traced_map_too_large_to_keep_drops_its_traces_and_the_change_map_traces_everything(monkeypatch):
    from twinloc.fingerprint.site_change import change_map
    from twinloc.radio import radiomap

    old = _room()
    new = apply_edits(old, (SceneEdit("move", "cabinet", vector_m=(2.0, 1.5, 0.0)),))
    settings = RadioSettings(max_depth=1)
    kept = traced_radio_map(old, APS, _points(), settings)
    monkeypatch.setattr(radiomap, "MAX_KEPT_CHAINS", 10)
    dropped = traced_radio_map(old, APS, _points(), settings)
    assert kept.traces is not None and dropped.traces is None
    np.testing.assert_array_equal(dropped.radio.path_gain_db, kept.radio.path_gain_db)
    whole = change_map(old, new, APS, _points(), settings, traced=dropped)
    assert whole.traced.all() and whole.new_traced is None
    part = change_map(old, new, APS, _points(), settings, traced=kept)
    np.testing.assert_array_equal(part.changed, whole.changed)
    assert not part.traced.all()
