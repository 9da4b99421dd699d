"""Reference-point plans drawn in the viewport: outer markers clicked on the floor and dragged, the
plan and its route on the floor, refusals in a dialog with the project unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixtures_window import autosave_store, click_world, drag_world, make_window, window, window_settings  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from twinloc.geometry.floor_layer import PointSet, PolylineSet

pytestmark = pytest.mark.gui

#: An open rectangle of uwb_hall between its columns (x 4.01-6.97 m, y 3.15-5.25 m are free).
RECTANGLE = np.array([[4.6, 3.7], [6.6, 3.7], [6.6, 4.9], [4.6, 4.9]])


def wait_for_plan(window, qtbot):
    plan = window.feature("fingerprint").controller.plan
    qtbot.waitUntil(lambda: window.runner.is_idle and plan.plan is not None, timeout=20000)
    return plan.plan


def draw(window, qtbot, corners) -> None:
    """Enter the marker mode from the dock and click ``corners`` on the floor."""
    dock = window.feature("fingerprint").dock
    window.viewport.view_top()
    dock.plan_section.draw_button.click()
    for x, y in corners:
        click_world(window, (x, y, 0.0))


def use_between(dock, between: int, loops: int) -> None:
    section = dock.plan_section
    section.mode.setCurrentIndex(section.mode.findData("between"))
    section.between.setValue(between)
    section.loops.setValue(loops)


def test_clicked_markers_make_a_plan_drawn_with_its_route(window, qtbot):
    dock = window.feature("fingerprint").dock
    controller = window.feature("fingerprint").controller
    use_between(dock, between=2, loops=1)
    draw(window, qtbot, RECTANGLE)
    np.testing.assert_allclose(controller.plan.markers, RECTANGLE, atol=0.05)
    (draw_action,) = window.feature("fingerprint").tool_actions
    assert draw_action.isChecked() and draw_action in window.tool_bar.actions()
    plan = wait_for_plan(window, qtbot)
    # 4 vertices x (2 between + 1) gaps on the boundary and on the one inner loop; nothing near a column.
    assert len(plan.points) == 2 * 4 * 3
    assert np.count_nonzero(plan.loop == 0) == 12
    assert window.floor.active == "rp_plan" and window.floor.action("rp_plan").isChecked()
    shown = {type(item): item for item in window.viewport.floor_markers() if item.label in ("route", "boundary RPs")}
    route = shown[PolylineSet].points
    assert len(route) == 24
    # The route walks the boundary first: its first 12 points lie on the clicked outline's edges.
    boundary = shown[PointSet].points
    assert len(boundary) == 12
    np.testing.assert_allclose(route[0], controller.plan.markers[0], atol=1e-9)
    assert "24 reference points" in window.viewport.floor_markers_caption()
    assert "24 reference points" in dock.plan_section.summary.text()
    QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Escape)
    assert not dock.plan_section.draw_button.isChecked() and not controller.editor.active
    assert not draw_action.isChecked()
    draw_action.trigger()  # the tool bar enters the mode as the dock's button does
    assert controller.editor.active and dock.plan_section.draw_button.isChecked()
    assert not window.document.is_modified and window.document.undo_stack.count() == 0


def test_a_dragged_marker_replans_and_the_plan_exports(window, qtbot, tmp_path, monkeypatch):
    dock = window.feature("fingerprint").dock
    controller = window.feature("fingerprint").controller
    use_between(dock, between=1, loops=0)
    draw(window, qtbot, RECTANGLE)
    wait_for_plan(window, qtbot)
    moved = (6.0, 4.4)  # the third corner pulled inwards: still a simple quadrilateral
    drag_world(window, (*controller.plan.markers[2], 0.08), (*moved, 0.0), steps=6)
    qtbot.waitUntil(lambda: window.runner.is_idle and np.allclose(controller.plan.markers[2], moved, atol=0.05), timeout=20000)
    plan = wait_for_plan(window, qtbot)
    np.testing.assert_allclose(plan.points[4], controller.plan.markers[2], atol=1e-9)  # vertex, midpoint, vertex, ...
    assert len(controller.plan.markers) == 4 and len(plan.points) == 8

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "rps.csv"), ""))
    dock.plan_section.export_csv_button.click()
    rows = (tmp_path / "rps.csv").read_text().splitlines()
    assert rows[0] == "point,x_m,y_m,z_m,loop" and len(rows) == 9
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "route.json"), ""))
    dock.plan_section.export_waypoints_button.click()
    waypoints = json.loads((tmp_path / "route.json").read_text())["waypoints"]
    assert [w["point"] for w in waypoints] == list(range(8))


def test_crossing_markers_and_a_zero_spacing_get_a_dialog_and_change_nothing(window, qtbot, errors):
    dock = window.feature("fingerprint").dock
    controller = window.feature("fingerprint").controller
    bow_tie = RECTANGLE[[0, 2, 1, 3]]
    dock.plan_section.loops.setValue(0)
    draw(window, qtbot, bow_tie)
    qtbot.waitUntil(lambda: window.runner.is_idle and bool(errors), timeout=20000)
    assert errors[0][0] == "Cannot plan reference points" and "cross" in errors[0][1]
    assert controller.plan.plan is None and window.floor.layer("rp_plan") is None

    for _ in range(3):
        QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Backspace)
    assert len(controller.plan.markers) == 1
    for corner in RECTANGLE[1:]:
        click_world(window, (*corner, 0.0))
    wait_for_plan(window, qtbot)
    errors.clear()
    dock.plan_section.spacing.setValue(0.0)
    qtbot.waitUntil(lambda: window.runner.is_idle and bool(errors), timeout=20000)
    assert "spacing" in errors[0][1] and controller.plan.plan is None
    assert not window.document.is_modified and window.document.undo_stack.count() == 0
