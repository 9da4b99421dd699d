"""Scene edits, the change map and stale models (twinloc.fingerprint.site_change)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.radio.radio_scenes import scene_of, solid_box
from twinloc.fingerprint.site_change import (SceneEdit, SceneEditError, apply_edits, change_map, edited_bounds,
                                             parse_scene_edits, stale)
from twinloc.geometry.ray_engine import RayEngine
from twinloc.radio.radiomap import RadioSettings
from twinloc.radio.transmitters import Transmitter

AP = Transmitter("ap", (0.0, 0.0, 1.5), 2.4e9, 20.0)


def _edits(*items) -> str:
    return json.dumps({"format": "twinloc-scene-edit", "version": 1, "edits": list(items)})


def _hall():
    """A 1 x 1 x 2 m concrete rack centred at (3, 0, 1) and a wooden crate far off at (-5, 5, 0.5)."""
    return scene_of(solid_box("rack", (1.0, 1.0, 2.0), (3.0, 0.0, 1.0)),
                    solid_box("crate", (1.0, 1.0, 1.0), (-5.0, 5.0, 0.5), material="wood"))


def test_a_move_shifts_the_object_by_its_vector_and_leaves_the_rest():
    scene = _hall()
    edits = parse_scene_edits(_edits({"action": "move", "object": "rack", "vector_m": [0, 2, 0]}))
    moved = apply_edits(scene, edits)
    np.testing.assert_allclose(moved.objects[0].bounds, [[2.5, 1.5, 0.0], [3.5, 2.5, 2.0]])
    assert moved.objects[1] is scene.objects[1]
    np.testing.assert_allclose(scene.objects[0].bounds, [[2.5, -0.5, 0.0], [3.5, 0.5, 2.0]])  # the old scene unchanged
    np.testing.assert_allclose(edited_bounds(scene, moved), [[[2.5, -0.5, 0.0], [3.5, 0.5, 2.0]],
                                                             [[2.5, 1.5, 0.0], [3.5, 2.5, 2.0]]])


def test_add_remove_and_material_edits():
    scene = _hall()
    edits = parse_scene_edits(_edits(
        {"action": "add", "object": "shelf", "size_m": [2, 0.5, 1], "centre_m": [0, -3, 0.5], "material": "concrete"},
        {"action": "remove", "object": "crate"},
        {"action": "material", "object": "rack", "material": "wood"}))
    changed = apply_edits(scene, edits)
    assert [(o.name, o.material) for o in changed.objects] == [("rack", "wood"), ("shelf", "concrete")]
    np.testing.assert_allclose(changed.objects[1].bounds, [[-1.0, -3.25, 0.0], [1.0, -2.75, 1.0]])
    assert stale(scene.content_hash(), changed) and not stale(scene.content_hash(), scene)
    assert stale(None, scene)


@pytest.mark.parametrize("item, message", [
    ({"action": "move", "object": "rack", "vector_m": [0, float("nan"), 0]}, "vector_m: must be three finite"),
    ({"action": "move", "object": "rack", "vector_m": [0, 1e9, 0]}, "at most 10000 m"),
    ({"action": "add", "object": "b", "size_m": [0, 1, 1], "centre_m": [0, 0, 0], "material": "wood"}, "positive"),
    ({"action": "spin", "object": "rack"}, '"action" must be one of'),
])
def test_bad_edits_are_refused_with_a_message(item, message):
    with pytest.raises(SceneEditError, match=message):
        parse_scene_edits(_edits(item), "edit.json")


@pytest.mark.parametrize("item, message", [
    ({"action": "remove", "object": "ghost"}, "has no object of that name"),
    ({"action": "material", "object": "rack", "material": "gold"}, "has no material 'gold'"),
    ({"action": "add", "object": "rack", "size_m": [1, 1, 1], "centre_m": [0, 0, 0], "material": "wood"}, "already has"),
])
def test_edits_the_scene_cannot_take_are_refused(item, message):
    with pytest.raises(SceneEditError, match=message):
        apply_edits(_hall(), parse_scene_edits(_edits(item)))


def test_not_an_edit_file():
    with pytest.raises(SceneEditError, match="x.json: not JSON"):
        parse_scene_edits("{", "x.json")
    with pytest.raises(SceneEditError, match='its "format" must be'):
        parse_scene_edits("{}", "x.json")


def test_the_change_map_of_a_moved_box_is_the_cells_whose_direct_links_crossed_it(tmp_path):
    old = _hall()
    new = apply_edits(old, parse_scene_edits(_edits({"action": "move", "object": "rack", "vector_m": [0, 2, 0]})))
    xs, ys = np.meshgrid(np.arange(-1.25, 7.0, 0.5), np.arange(-3.25, 4.0, 0.5))
    points = np.column_stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    result = change_map(old, new, (AP,), points, RadioSettings(max_depth=0))
    # Independently: the segment tests of each scene's ray engine, rack column 0.
    starts = np.repeat([AP.position], len(points), axis=0)
    crossed_old = RayEngine(old).segment_crossings(starts, points).inside_length_m[:, 0] > 0.0
    crossed_new = RayEngine(new).segment_crossings(starts, points).inside_length_m[:, 0] > 0.0
    expected = crossed_old | crossed_new
    assert crossed_old.sum() > 3 and crossed_new.sum() > 3
    np.testing.assert_array_equal(result.changed[:, 0], expected)
    # Hand-worked: (6.75, 0.25) lies behind the old place (slope 0.04), (3.75, 2.75) behind the new one.
    for x, y, was in ((6.75, 0.25, True), (3.75, 2.75, True), (-1.25, -3.25, False)):
        row = np.flatnonzero((points[:, 0] == x) & (points[:, 1] == y))[0]
        assert result.changed[row, 0] == was
    result.write_csv(tmp_path / "changes.csv")
    rows = (tmp_path / "changes.csv").read_text().splitlines()
    assert rows[0] == "x_m,y_m,z_m,changed,transmitters" and len(rows) == len(points) + 1
    assert rows[1] == "-1.2500,-3.2500,1.0000,0," and [row.endswith(",1,ap") for row in rows[1:]] == expected.tolist()
    # Only links near the rack were traced again; the crate's corner of the floor was not.
    assert result.traced[:, 0].sum() < len(points) / 2
    assert not result.traced[(points[:, 0] < 0) & (points[:, 1] > 2), 0].any()


def test_edits_built_in_code_are_checked_too():
    with pytest.raises(SceneEditError, match="vector_m: must be three finite"):
        SceneEdit("move", "rack", vector_m=(0.0, float("inf"), 0.0))
    with pytest.raises(SceneEditError, match='"material" must be'):
        SceneEdit("add", "box", size_m=(1, 1, 1), centre_m=(0, 0, 0))
