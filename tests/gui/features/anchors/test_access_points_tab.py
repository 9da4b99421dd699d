"""Access points in a real window on wifi_hall: drawn where the scene file puts them, dragged in the
viewport, edited in the Anchors dock's Access points tab (undoable, bad values refused), dimmed
when disabled, highlighted while their radio map is on the floor, saved and reopened."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixtures_window import autosave_store, drag_world, make_window, open_floor_point, window_settings  # noqa: F401
from PySide6.QtCore import Qt

from twinloc.geometry.loaders import shipped_scene_path
from twinloc.geometry.ray_engine import RayEngine
from twinloc.gui.viewport.access_points import ACCESS_POINT_COLOR
from twinloc.gui.viewport.anchors import ANCHOR_COLOR
from twinloc.gui.viewport.devices import DISABLED_COLOR, SELECTED_COLOR
from twinloc.model.project_file import load_project

pytestmark = pytest.mark.gui

SPEED_OF_LIGHT_M_S = 299_792_458.0
#: Columns of the access-point table.
NAME, X, Y, Z, GHZ, DBM, ON = range(7)


def scene_access_points() -> dict[str, tuple[float, float, float]]:
    """The access points of wifi_hall as its scene file gives them: name -> (x, y, z) metres."""
    data = json.loads(shipped_scene_path("wifi_hall").read_text())
    return {entry["name"]: tuple(entry["position"]) for entry in data["access_points"]}


def colour(actor) -> tuple[float, float, float]:
    """An actor's colour as (r, g, b) in 0..1."""
    return tuple(actor.GetProperty().GetColor())


def rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255.0 for i in (1, 3, 5))


@pytest.fixture
def hall(make_window):  # noqa: F811
    window = make_window("wifi_hall")
    window.viewport.view_top()
    return window


def panel_of(window):
    return window.feature("anchors").dock.access_points


def test_wifi_hall_draws_its_18_access_points_at_the_scene_positions(hall):
    expected = scene_access_points()
    actors = hall.viewport.access_point_actors()
    assert len(expected) == 18
    assert actors.names == tuple(expected)
    for name, position in expected.items():
        np.testing.assert_allclose(actors.actor(name).GetPosition(), position)
        assert colour(actors.actor(name)) == pytest.approx(rgb(ACCESS_POINT_COLOR), abs=1e-3)
    assert rgb(ACCESS_POINT_COLOR) != pytest.approx(rgb(ANCHOR_COLOR), abs=0.1)
    # A mast from each access point straight down to the floor (z = 0).
    masts = actors.mast_points().reshape(-1, 2, 3)
    np.testing.assert_allclose(masts[:, 0], list(expected.values()))
    np.testing.assert_allclose(masts[:, 1], [(x, y, 0.0) for x, y, _ in expected.values()])
    assert "18 of 18 access points on" in hall.summary_label.text()
    tabs = hall.feature("anchors").dock.widget()
    assert [tabs.tabText(i) for i in range(tabs.count())][:2] == ["Anchors", "Access points"]
    assert panel_of(hall).model.rowCount() == 18


def test_dragging_an_access_point_moves_it_on_its_plane_and_undo_restores(hall, qtbot):
    start = np.array(scene_access_points()["AP01"])
    x, y = open_floor_point(hall.document.scene)
    target = np.array([x, y, start[2]])
    drag_world(hall, start, target)
    qtbot.waitUntil(lambda: hall.document.access_point("AP01").position != tuple(start), timeout=3000)
    moved = np.array(hall.document.access_point("AP01").position)
    np.testing.assert_allclose(moved, target, atol=0.1)
    assert moved[2] == pytest.approx(start[2])
    np.testing.assert_allclose(hall.viewport.access_point_actors().position("AP01"), moved)
    assert hall.document.undo_stack.count() == 1
    assert hall.document.undo_stack.undoText() == "Move access point AP01"
    hall.action_undo.trigger()
    np.testing.assert_allclose(hall.document.access_point("AP01").position, start)
    np.testing.assert_allclose(hall.viewport.access_point_actors().position("AP01"), start)


def test_table_edits_frequency_and_power_and_refuses_values_outside_the_limits(hall, errors):
    model = panel_of(hall).model
    assert model.headers == ("Name", "x (m)", "y (m)", "z (m)", "GHz", "dBm", "On")
    assert model.data(model.index(0, GHZ)) == "2.400" and model.data(model.index(0, DBM)) == "20.0"

    assert model.setData(model.index(0, GHZ), "5,18")  # a comma as the decimal mark
    assert hall.document.access_point("AP01").frequency_hz == pytest.approx(5.18e9)
    assert model.setData(model.index(0, DBM), "14.5")
    assert hall.document.access_point("AP01").power_dbm == 14.5
    assert model.setData(model.index(0, Z), "3.25")
    assert hall.viewport.access_point_actors().position("AP01")[2] == 3.25
    edited = hall.document.project

    for column, value, message in ((GHZ, "150", "frequency must be 0.1 to 100 GHz"),
                                   (DBM, "61", "transmit power must be -50 to 60 dBm"),
                                   (GHZ, "fast", "Frequency (GHz) must be a number")):
        assert not model.setData(model.index(0, column), value)
        assert errors[-1][0] == "Cannot change access point AP01" and message in errors[-1][1]
    assert not model.setData(model.index(1, NAME), "AP01")
    assert errors[-1][1] == "A transmitter named 'AP01' already exists."
    assert hall.document.project == edited

    assert model.setData(model.index(1, NAME), "Gate")
    assert hall.viewport.access_point_actors().names[1] == "Gate"
    for _ in range(4):
        hall.action_undo.trigger()
    assert hall.document.project.access_points == hall.document.base_scene.access_points


def test_remove_undo_and_a_disabled_access_point_is_dimmed(hall):
    panel, model = panel_of(hall), panel_of(hall).model
    panel.table.selectRow(2)
    assert panel.selected() == ["AP03"]
    actors = hall.viewport.access_point_actors()
    assert colour(actors.actor("AP03")) == pytest.approx(rgb(SELECTED_COLOR), abs=1e-3)  # the selected row
    panel.remove_button.click()
    assert "AP03" not in actors.names and len(actors.names) == 17
    assert len(actors.mast_points()) == 2 * 17
    hall.action_undo.trigger()
    assert actors.names == tuple(scene_access_points())

    assert model.setData(model.index(4, ON), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert not hall.document.access_point("AP05").enabled
    assert colour(actors.actor("AP05")) == pytest.approx(rgb(DISABLED_COLOR), abs=1e-3)
    assert actors.actor("AP05").prop.opacity < 0.5 and actors.actor("AP04").prop.opacity == 1.0
    assert "17 of 18 access points on" in hall.summary_label.text()


def test_add_places_an_access_point_at_the_view_centre_at_the_mounting_height(hall):
    hall.feature("anchors").dock.mounting_height.setValue(2.5)
    panel_of(hall).add_button.click()
    added = hall.document.project.access_points[-1]
    # The top view looks at the middle of the 20 m x 40 m hall.
    assert added.name == "AP1" and added.position == pytest.approx((10.0, 20.0, 2.5))
    assert (added.frequency_hz, added.power_dbm, added.enabled) == (2.4e9, 20.0, True)
    assert panel_of(hall).selected() == ["AP1"]
    assert hall.viewport.access_point_actors().names[-1] == "AP1"


def test_the_radio_map_follows_access_point_edits_and_its_transmitter_is_highlighted(hall, qtbot):
    radio = hall.feature("fingerprint").controller.radio
    section = hall.feature("fingerprint").dock.radio_section
    actors = hall.viewport.access_point_actors()
    section.depth.setValue(0)
    section.resolution.setValue(1.0)
    section.compute_button.click()
    qtbot.waitUntil(lambda: hall.runner.is_idle and radio.radio_map is not None, timeout=60000)
    assert radio.radio_map.transmitter_names == tuple(scene_access_points()) and radio.transmitter == "AP01"
    assert colour(actors.actor("AP01")) == pytest.approx(rgb(SELECTED_COLOR), abs=1e-3)
    assert colour(actors.actor("AP02")) == pytest.approx(rgb(ACCESS_POINT_COLOR), abs=1e-3)

    # Disabling the shown transmitter recomputes without it; the next one is shown and highlighted.
    shown = radio.radio_map
    hall.document.set_access_point_enabled("AP01", False)
    qtbot.waitUntil(lambda: hall.runner.is_idle and radio.radio_map is not shown, timeout=60000)
    assert radio.radio_map.transmitter_names == tuple(scene_access_points())[1:]
    assert [section.transmitter.itemText(i) for i in range(section.transmitter.count())] == list(scene_access_points())[1:]
    assert radio.transmitter == "AP02"
    assert colour(actors.actor("AP02")) == pytest.approx(rgb(SELECTED_COLOR), abs=1e-3)

    # Moved 4.8 m straight above a cell with nothing in between, AP02's strongest cell is that one,
    # at the free-space RSS (direct paths only: 20 dBm + 20 log10(lambda / 4 pi d)).
    points = radio.grid.points
    up = RayEngine(hall.document.scene).first_hit(points, np.tile([0.0, 0.0, 1.0], (len(points), 1)))
    below = points[int(np.flatnonzero(~np.isfinite(up.distance) | (up.distance > 4.81))[0])]
    shown = radio.radio_map
    hall.document.move_access_point("AP02", (below[0], below[1], below[2] + 4.8))
    qtbot.waitUntil(lambda: hall.runner.is_idle and radio.radio_map is not shown, timeout=60000)
    column = radio.radio_map.transmitter_names.index("AP02")
    rss = np.where(radio.radio_map.reached[:, column], radio.radio_map.rss_dbm[:, column], -np.inf)
    np.testing.assert_allclose(radio.radio_map.points[int(np.argmax(rss))], below)
    wavelength = SPEED_OF_LIGHT_M_S / 2.4e9
    assert rss.max() == pytest.approx(20.0 + 20.0 * np.log10(wavelength / (4 * np.pi * 4.8)), abs=1e-6)

    hall.floor.set_active(None)  # the map off the floor: nothing highlighted
    assert colour(actors.actor("AP02")) == pytest.approx(rgb(ACCESS_POINT_COLOR), abs=1e-3)


def test_saved_and_reopened_project_keeps_its_access_points(hall, tmp_path):
    document = hall.document
    document.set_access_point_radio("AP07", frequency_hz=5.5e9, power_dbm=17.0)
    document.set_access_point_enabled("AP08", False)
    document.move_access_point("AP09", (4.0, 30.0, 3.0))
    document.rename_access_point("AP10", "Lobby")
    edited = document.project.access_points
    path = tmp_path / "hall.twinloc"
    assert hall._write(path)
    hall.open_source("uwb_hall")
    assert hall.viewport.access_point_actors().names == ()
    assert hall.open_source(str(path))
    assert document.project.access_points == edited
    actors = hall.viewport.access_point_actors()
    assert actors.names[9] == "Lobby" and actors.position("AP09") == pytest.approx((4.0, 30.0, 3.0))
    assert colour(actors.actor("AP08")) == pytest.approx(rgb(DISABLED_COLOR), abs=1e-3)


def test_autosave_keeps_access_point_edits(hall):
    hall.document.set_access_point_radio("AP03", power_dbm=-3.0)
    hall.autosave_now()
    snapshot = load_project(hall.autosave_store.directory / f"autosave-{hall.autosave_store.pid}.twinloc")
    assert snapshot.access_points == hall.document.project.access_points
    assert snapshot.access_points[2].power_dbm == -3.0
