"""The radio map on the floor, computed from the dock, against free-space values worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures_window import autosave_store, make_window, window, window_settings  # noqa: F401
from hand_radio import clear_of_columns, free_space_rss_dbm
from PySide6.QtTest import QTest

pytestmark = pytest.mark.gui

UWB_HZ = 6.5e9


def compute_map(window, qtbot, previous=None):
    radio = window.feature("fingerprint").controller.radio
    qtbot.waitUntil(lambda: window.runner.is_idle and radio.radio_map is not None and radio.radio_map is not previous,
                    timeout=30000)
    return radio


def shown_cells(window, radio) -> np.ndarray:
    """The floor map's values in the order of the radio map's grid points."""
    return window.viewport.floor_map_values()[radio.grid.mask]


def test_direct_path_map_is_free_space_where_the_line_is_clear(window, qtbot):
    document = window.document
    for name, position in (("A1", (3.8, 0.5, 2.0)), ("A3", (14.4, 0.5, 2.0))):
        document.move_anchor(name, position)  # off the south wall: the direct path ends in the room
    section = window.feature("fingerprint").dock.radio_section
    section.depth.setValue(0)
    section.resolution.setValue(0.5)
    section.compute_button.click()
    radio = compute_map(window, qtbot)
    assert window.floor.active == "radio_map"
    assert radio.radio_map.transmitter_names == ("A1", "A2", "A3") and radio.transmitter == "A1"
    points = radio.grid.points
    assert np.allclose(points[:, 2], 1.0)  # the receiver height
    source = document.anchor("A1").position
    clear = clear_of_columns(points, source)
    assert 0.5 * len(points) < clear.sum() < len(points)
    expected = free_space_rss_dbm(points, source, UWB_HZ, 0.0)
    np.testing.assert_allclose(shown_cells(window, radio)[clear], expected[clear], atol=1e-6)
    assert "A1: RSS (dBm)" in window.viewport.floor_markers_caption()

    # The value under the mouse: a clear cell in the open middle of the hall.
    window.viewport.view_top()
    cell = int(np.argmin(np.where(clear, np.linalg.norm(points[:, :2] - (9.2, 4.2), axis=1), np.inf)))
    QTest.mouseMove(window.viewport.plotter, window.viewport.world_to_widget((*points[cell, :2], 0.0)))
    qtbot.waitUntil(lambda: f"A1 RSS (dBm): {expected[cell]:.1f}" in window.cursor_label.text(), timeout=5000)

    section.quantity.setCurrentIndex(section.quantity.findData("range_m"))
    distance = np.linalg.norm(points - np.asarray(source), axis=1)
    np.testing.assert_allclose(shown_cells(window, radio)[clear], distance[clear], atol=1e-6)
    section.quantity.setCurrentIndex(section.quantity.findData("los"))
    assert np.all(shown_cells(window, radio)[clear] == 1.0)

    # Every transmitter at 20 dBm: 20 dB more everywhere the line is clear.
    section.quantity.setCurrentIndex(section.quantity.findData("rss_dbm"))
    before = radio.radio_map
    section.own_power.setChecked(False)
    section.power.setValue(20.0)
    compute_map(window, qtbot, previous=before)
    qtbot.waitUntil(lambda: window.runner.is_idle and radio.view.power_dbm == 20.0, timeout=30000)
    np.testing.assert_allclose(shown_cells(window, radio)[clear], expected[clear] + 20.0, atol=1e-6)


def test_a_frequency_outside_a_materials_range_gets_a_dialog_and_keeps_the_map(window, qtbot, errors):
    section = window.feature("fingerprint").dock.radio_section
    section.resolution.setValue(1.0)
    section.compute_button.click()
    radio = compute_map(window, qtbot)
    shown = radio.radio_map
    section.frequency.setValue(0.5)  # not used yet: each transmitter keeps its own frequency
    section.own_frequency.setChecked(False)
    qtbot.waitUntil(lambda: window.runner.is_idle and any("concrete" in text for _title, text in errors), timeout=30000)
    assert radio.view.frequency_ghz == 0.5
    np.testing.assert_array_equal(radio.radio_map.rss_dbm, shown.rss_dbm)  # the 6.5 GHz map stays on the floor
    assert window.floor.active == "radio_map" and window.floor.layer("radio_map") is not None
    assert not window.document.is_modified


def test_disabling_every_transmitter_takes_the_map_off_and_compute_says_why(window, qtbot, errors):
    section = window.feature("fingerprint").dock.radio_section
    section.resolution.setValue(1.0)
    section.compute_button.click()
    radio = compute_map(window, qtbot)
    for anchor in window.document.project.anchors:
        window.document.set_anchor_enabled(anchor.name, False)
    qtbot.waitUntil(lambda: window.runner.is_idle and radio.radio_map is None, timeout=30000)
    assert window.floor.layer("radio_map") is None
    section.compute_button.click()
    assert errors == [("Cannot compute the radio map", "The twin has no transmitter: add an access point or enable an anchor.")]
