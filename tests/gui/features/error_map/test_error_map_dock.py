"""The Error Map dock and controller driven like a user would, checked against the model called directly."""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest
from fixtures_window import autosave_store, drag_world, make_window, window, window_settings  # noqa: F401
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from twinloc.geometry.floor_layer import ArrowSet, PointSet
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.ray_engine import RayEngine
from twinloc.gui.document import ProjectDocument
from twinloc.model.analysis import ErrorMapSettings, RangingModel
from twinloc.model.devices import Anchor
from twinloc.model.project import Project, SceneRef
from twinloc.uwb.error_map import compute_error_map
from twinloc.uwb.survey_plan import SurveyPlanSettings, plan_survey

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def direct_map():
    """uwb_hall's error map for its three (paper) anchors, computed without the GUI or the job layer."""
    from twinloc.workspace import open_source

    workspace = open_source("uwb_hall")
    scene = workspace.scene
    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, 0.1, scene.tag_height_m, engine=engine)
    anchors = np.array([a.position for a in workspace.project.anchors if a.enabled])
    names = [a.name for a in workspace.project.anchors if a.enabled]
    return compute_error_map(engine, scene, grid, anchors, ErrorMapSettings()), names


def show_error_map(window, qtbot, previous=None, timeout: int = 20000):
    """Turn the error map on (if needed) and wait for a result other than ``previous``."""
    controller = window.feature("error_map").controller
    window.floor.action("error_map").setChecked(True)
    qtbot.waitUntil(
        lambda: controller.error_map is not None and controller.error_map is not previous and window.runner.is_idle,
        timeout=timeout,
    )
    return controller.error_map


def test_map_on_floor_equals_directly_computed_magnitudes(window, qtbot, direct_map):
    expected_map, _names = direct_map
    assert window.floor.action("los").isChecked() and not window.floor.action("error_map").isChecked()
    show_error_map(window, qtbot)
    assert not window.floor.action("los").isChecked()  # one floor map at a time
    assert window.feature("los").controller.los_map is None
    shown = window.viewport.floor_map_values()
    expected = expected_map.grid.to_image(np.where(expected_map.degenerate, np.nan, expected_map.magnitude))
    assert shown.shape == expected.shape
    np.testing.assert_allclose(shown, expected, rtol=0, atol=1e-9, equal_nan=True)
    assert np.isfinite(shown).sum() == expected_map.magnitude.size - expected_map.degenerate.sum() > 1000
    summary = window.feature("error_map").dock.summary_label.text()
    assert f"mean {100 * expected_map.summary()['mean_error_m']:.0f} cm" in summary
    assert "mean positioning error" in window.summary_label.text()
    assert not window.document.is_modified

    window.floor.action("los").trigger()  # L: back to the LOS map
    assert not window.floor.action("error_map").isChecked()
    assert window.feature("error_map").controller.error_map is None
    assert not window.feature("error_map").dock.show_on_floor.isChecked()


def test_map_follows_an_anchor_drag_and_supersedes_older_jobs(window, qtbot):
    window.viewport.view_top()
    before = show_error_map(window, qtbot)
    values = window.viewport.floor_map_values()
    tasks = []
    window.runner.taskStarted.connect(tasks.append)
    anchor = window.document.project.anchors[1]
    start = np.array(anchor.position)
    target = start + np.array([-3.0, -3.0, 0.0])
    drag_world(window, start, target, steps=12)
    qtbot.waitUntil(lambda: window.document.anchor(anchor.name).position != anchor.position, timeout=3000)
    after = show_error_map(window, qtbot, previous=before)
    np.testing.assert_allclose(after.anchor_positions[1], window.document.anchor(anchor.name).position)
    changed = window.viewport.floor_map_values()
    assert not np.array_equal(changed, values, equal_nan=True)
    assert window.document.undo_stack.count() == 1  # the drag is one undo step; recomputing adds none

    # Many previews in a burst: the older jobs are cancelled, only the newest is drawn.
    tasks.clear()
    for step in range(8):
        window.viewport.anchorDragPreview.emit(anchor.name, (4.0 + step, 5.0, 2.0))
        QTest.qWait(70)  # > the preview throttle: each preview submits a job
    final = show_error_map(window, qtbot, previous=after)
    ours = [task.handle for task in tasks if task.key == "error_map"]
    assert len(ours) >= 4
    assert all(handle.cancelled or handle.future.done() for handle in ours[:-1])
    np.testing.assert_allclose(final.anchor_positions[1], (11.0, 5.0, 2.0))
    assert window.document.anchor(anchor.name).position == tuple(after.anchor_positions[1])


def test_hover_readout_shows_the_cells_values(window, qtbot, direct_map):
    expected_map, names = direct_map
    window.viewport.view_top()
    show_error_map(window, qtbot)
    points = expected_map.grid.points
    # A cell in the open middle of the hall with some NLOS anchors and a clear value.
    middle = (np.abs(points[:, 0] - 9.15) < 3.0) & (np.abs(points[:, 1] - 4.2) < 1.6)
    candidates = np.flatnonzero(middle & ~expected_map.los.all(axis=1) & ~expected_map.degenerate & (expected_map.magnitude > 0.05))
    cell = int(candidates[len(candidates) // 2])
    x, y = points[cell, :2]
    QTest.mouseMove(window.viewport.plotter, window.viewport.world_to_widget((x, y, 0.0)))
    error = expected_map.magnitude[cell]
    qtbot.waitUntil(lambda: f"error {error:.2f} m" in window.cursor_label.text(), timeout=3000)
    text = window.cursor_label.text()
    assert f"GDOP {expected_map.gdop[cell]:.1f}" in text
    dx, dy = expected_map.error[cell]
    assert f"(dx {dx:+.2f}, dy {dy:+.2f})" in text
    nlos = [name for name, los in zip(names, expected_map.los[cell]) if not los]
    assert nlos and "NLOS: " + ", ".join(nlos) in text
    assert window.feature("error_map").dock.hover_label.text() == text


def test_export_csv_writes_every_cell(window, qtbot, tmp_path, monkeypatch, direct_map):
    expected_map, _names = direct_map
    show_error_map(window, qtbot)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "hall-map"), ""))
    window.feature("error_map").dock.export_csv_button.click()
    with open(tmp_path / "hall-map.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["x_m", "y_m", "err_x_m", "err_y_m", "err_m", "gdop", "los_count"]
    assert len(rows) - 1 == expected_map.magnitude.size
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_allclose(table[:, 4], expected_map.magnitude, atol=1e-5, rtol=1e-5)
    np.testing.assert_array_equal(table[:, 6], expected_map.los_count)

    window.feature("error_map").dock.export_npz_button.click()
    with np.load(tmp_path / "hall-map.npz") as archive:
        np.testing.assert_allclose(archive["magnitude"], expected_map.magnitude)
    window.feature("error_map").dock.export_png_button.click()
    assert (tmp_path / "hall-map.png").stat().st_size > 10_000


def test_display_modes_change_what_the_viewport_shows(window, qtbot, tmp_path, monkeypatch, direct_map):
    expected_map, _names = direct_map
    dock = window.feature("error_map").dock
    error_map = show_error_map(window, qtbot)

    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("vectors"))
    assert window.viewport.floor_map_values() is None
    (arrows,) = window.viewport.floor_markers()
    assert isinstance(arrows, ArrowSet) and 50 < len(arrows.origins) < error_map.magnitude.size
    assert "drawn ×" in window.viewport.floor_markers_caption()

    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("survey"))
    coarse, fine = window.viewport.floor_markers()
    assert isinstance(coarse, PointSet) and isinstance(fine, PointSet)
    plan = plan_survey(expected_map, SurveyPlanSettings(0.1, 0.05, 0.10, 0.5))
    assert len(coarse.points) + len(fine.points) == len(plan.points)
    assert f"{len(plan.points)} points" in dock.survey_label.text() and "saving" in dock.survey_label.text()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "plan.csv"), ""))
    dock.export_survey_button.click()
    lines = (tmp_path / "plan.csv").read_text().splitlines()
    assert lines[0] == "x_m,y_m,density" and len(lines) - 1 == len(plan.points)

    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("los_count"))
    assert window.viewport.floor_markers() == ()
    np.testing.assert_array_equal(window.viewport.floor_map_values(), expected_map.grid.to_image(expected_map.los_count.astype(float)))

    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("gdop"))
    gdop = expected_map.grid.to_image(np.where(expected_map.degenerate, np.nan, expected_map.gdop))
    np.testing.assert_allclose(window.viewport.floor_map_values(), gdop, equal_nan=True)


def test_measured_points_are_compared_with_the_prediction(window, qtbot, tmp_path, monkeypatch, errors):
    show_error_map(window, qtbot)
    measured = tmp_path / "measured.csv"
    measured.write_text("true_x,true_y,x1,y1,x2,y2\n9.0,4.2,9.1,4.3,9.3,4.1\n5.5,1.8,5.5,1.9,5.6,1.8\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(measured), ""))
    window.feature("error_map").dock.import_measured_button.click()
    assert window.feature("error_map").controller.display.mode == "measured"
    truth, predicted, observed = window.viewport.floor_markers()
    np.testing.assert_allclose(truth.points, [[9.0, 4.2], [5.5, 1.8]])
    np.testing.assert_allclose(observed.vectors, [[0.2, 0.0], [0.05, 0.05]], atol=1e-9)
    assert np.isfinite(predicted.vectors).all()
    assert "Measured points  2" in window.feature("error_map").dock.summary_label.text()

    broken = tmp_path / "broken.csv"
    broken.write_text("x,y\n1,2\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    window.feature("error_map").dock.import_measured_button.click()
    assert errors and errors[-1][0] == "Could not import measured points" and "true_x" in errors[-1][1]
    assert len(window.feature("error_map").controller.measured) == 2


def test_bad_ranging_input_shows_an_error_and_changes_nothing(window, errors):
    dock = window.feature("error_map").dock
    before = window.document.project.error_map
    field = dock.ranging_fields["nlos_std_m"]
    for text, needle in (("abc", "number of metres"), ("-0.1", ">= 0"), ("nan", "finite")):
        field.setText(text)
        field.editingFinished.emit()
        assert errors and needle in errors[-1][1]
        assert window.document.project.error_map == before
        assert field.text() == f"{before.ranging.nlos_std_m:g}"
    assert window.document.undo_stack.count() == 0

    dock.auto_range.setChecked(False)
    dock.range_low.setValue(2.0)
    dock.range_high.setValue(1.0)
    assert "minimum" in errors[-1][1]
    assert window.feature("error_map").controller.display.high > window.feature("error_map").controller.display.low


def test_error_map_settings_edits_are_undoable(window, qtbot):
    dock = window.feature("error_map").dock
    first = show_error_map(window, qtbot)
    field = dock.ranging_fields["nlos_mean_m"]
    field.setText("0.25")
    field.editingFinished.emit()
    assert window.document.project.error_map.ranging.nlos_mean_m == 0.25
    assert window.document.undo_stack.undoText() == "Change error map settings"
    changed = show_error_map(window, qtbot, previous=first)
    assert changed.settings.ranging.nlos_mean_m == 0.25
    assert window.isWindowModified()

    dock.noise.setChecked(True)
    assert window.document.project.error_map.monte_carlo_draws == dock.draws.value() > 0
    assert window.document.undo_stack.count() == 1  # consecutive settings edits merge

    window.action_undo.trigger()
    assert window.document.project.error_map == ErrorMapSettings()
    assert field.text() == "0.1" and not dock.noise.isChecked()
    show_error_map(window, qtbot, previous=changed)

    # The hall's 18.3 m x 8.4 m floor takes 0.1 m cells (183 x 84 cells) under the automatic setting.
    assert dock.auto_resolution.isChecked() and not dock.resolution.isEnabled()
    assert dock.resolution.value() == 0.1 and window.document.project.settings.grid_resolution_m is None
    dock.auto_resolution.setChecked(False)
    assert window.document.project.settings.grid_resolution_m == 0.1 and dock.resolution.isEnabled()
    dock.resolution.setValue(0.25)
    assert window.document.project.settings.grid_resolution_m == 0.25
    coarse = show_error_map(window, qtbot, previous=window.feature("error_map").controller.error_map)
    assert coarse.grid.resolution_m == 0.25


def test_set_error_map_signals_and_merges(qtbot):
    document = ProjectDocument(Project(scene=SceneRef("small"), anchors=(Anchor("A1", (1, 1, 2)),)), _empty_scene())
    fired = []
    document.errorMapSettingsChanged.connect(lambda: fired.append("error_map"))
    document.settingsChanged.connect(lambda: fired.append("settings"))
    document.set_error_map(ErrorMapSettings(monte_carlo_draws=10))
    document.set_error_map(ErrorMapSettings(monte_carlo_draws=10, ranging=RangingModel(nlos_mean_m=0.3)))
    assert fired == ["error_map", "error_map"]
    assert document.undo_stack.count() == 1
    document.set_error_map(replace(document.project.error_map))  # unchanged: no step, no signal
    assert fired == ["error_map", "error_map"] and document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.project.error_map == ErrorMapSettings() and fired[-1] == "error_map"


def _empty_scene():
    from twinloc.geometry.materials import material_presets
    from twinloc.geometry.scene import Scene

    return Scene(name="small", objects=(), materials=dict(material_presets()))
