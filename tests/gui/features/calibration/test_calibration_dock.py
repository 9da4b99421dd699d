"""The Calibration dock driven through its widgets: simulate the site, calibrate, accept, undo."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from fixtures_window import autosave_store, make_window, window, window_settings  # noqa: F401
from PySide6.QtCore import Qt

from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.ray_engine import RayEngine
from twinloc.model.analysis import ErrorMapSettings, RangingModel
from twinloc.uwb.error_map import compute_error_map
from twinloc.workspace import open_source

pytestmark = pytest.mark.gui

TIMEOUT_MS = 60_000
PRESET = 5.24  # concrete, resources/materials.json
SITE = PRESET * 1.3  # the simulated site scales every permittivity by 1.3


def show_dock(window):
    parts = window.feature("calibration")
    parts.dock.show()
    parts.dock.raise_()
    return parts.dock, parts.controller


def direct_error_map(concrete: float, nlos_bias_m: float):
    """uwb_hall's error map for its anchors with concrete's permittivity and the NLOS bias given,
    computed from the scene file without the GUI."""
    workspace = open_source("uwb_hall")
    scene = workspace.scene
    scene = scene.with_materials({"concrete": replace(scene.materials["concrete"], relative_permittivity=concrete)})
    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, 0.1, scene.tag_height_m, engine=engine)
    anchors = np.array([a.position for a in workspace.project.anchors if a.enabled])
    return compute_error_map(engine, scene, grid, anchors, ErrorMapSettings(ranging=RangingModel(nlos_mean_m=nlos_bias_m)))


def show_error_map(window, qtbot, previous=None):
    """Turn the error map on and wait for a result other than ``previous``."""
    maps = window.feature("error_map").controller
    window.floor.action("error_map").setChecked(True)
    qtbot.waitUntil(lambda: maps.error_map is not None and maps.error_map is not previous and window.runner.is_idle,
                    timeout=TIMEOUT_MS)
    return maps.error_map


def click(qtbot, button):
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_calibrate_the_simulated_site_accept_and_undo(window, qtbot, errors):
    dock, controller = show_dock(window)
    document = window.document
    assert not dock.accept_button.isEnabled()
    with qtbot.waitSignal(controller.measurementsChanged, timeout=TIMEOUT_MS):
        click(qtbot, dock.simulate_button)
    assert "SIMULATED site: ranges at 50 points" in dock.measurements_label.text()
    assert [dock.materials_list.item(row).text() for row in range(dock.materials_list.count())] == ["concrete"]

    dock.nlos_bias_check.setChecked(True)
    with qtbot.waitSignal(controller.calibrationEnded, timeout=TIMEOUT_MS) as ended:
        click(qtbot, dock.calibrate_button)
    assert ended.args == ["finished"] and not errors
    fitted = controller.result.materials["concrete"].fitted
    assert abs(fitted / SITE - 1.0) < 0.05
    assert dock.results_table.rowCount() == 1 and dock.results_table.item(0, 0).text() == "5.240"
    assert dock.results_table.item(0, 1).text() == f"{fitted:.3f}" and dock.results_table.item(0, 3).text() == "yes"
    assert dock.residual_plot.columns == 3  # one column of residuals per anchor

    changes = []
    document.materialsChanged.connect(lambda: changes.append("materials"))
    steps = document.undo_stack.count()
    click(qtbot, dock.accept_button)
    assert document.undo_stack.count() == steps + 1 and document.undo_stack.undoText() == "Calibrate materials"
    assert changes == ["materials"]
    assert document.scene.materials["concrete"].relative_permittivity == fitted
    assert document.project.error_map.ranging.nlos_mean_m == controller.result.nlos_bias_m
    assert not dock.accept_button.isEnabled() and "Accepted" in dock.biases_label.text()

    # The error map follows: it is the map of the hall with the fitted concrete and NLOS bias.
    calibrated = direct_error_map(fitted, controller.result.nlos_bias_m)
    shown = show_error_map(window, qtbot)
    np.testing.assert_allclose(shown.error, calibrated.error, atol=1e-9)

    document.undo_stack.undo()
    assert document.scene.materials["concrete"].relative_permittivity == PRESET
    assert document.project.error_map.ranging.nlos_mean_m == 0.10
    assert dock.accept_button.isEnabled()
    np.testing.assert_allclose(show_error_map(window, qtbot, shown).error, direct_error_map(PRESET, 0.10).error, atol=1e-9)
    document.undo_stack.redo()
    assert document.scene.materials["concrete"].relative_permittivity == fitted


def test_a_broken_measurement_file_is_refused_by_name_and_nothing_is_lost(window, qtbot, errors, tmp_path):
    dock, controller = show_dock(window)
    path = tmp_path / "broken.csv"
    path.write_text("true_x,true_y,range_1,range_3\n1,2,3,4\n")
    dock.import_measured(str(path))
    assert len(errors) == 1 and str(path) in errors[0][1] and "range_1,range_2" in errors[0][1]
    assert controller.measurements is None and "No measurements yet" in dock.measurements_label.text()
    click(qtbot, dock.calibrate_button)
    assert "simulate the site, first" in errors[-1][1]


def test_measured_positions_are_imported_and_calibrated(window, qtbot, errors, tmp_path):
    dock, controller = show_dock(window)
    path = tmp_path / "positions.csv"
    rows = ["true_x,true_y,measured_x,measured_y"]
    rows += [f"{x},{y},{x + 0.02},{y - 0.01}" for x in (2.0, 6.0, 10.0, 15.0) for y in (2.0, 4.5, 7.0)]
    path.write_text("\n".join(rows) + "\n")
    dock.import_measured(str(path))
    assert "positions.csv: positions at 12 points" in dock.measurements_label.text() and not errors
    with qtbot.waitSignal(controller.calibrationEnded, timeout=TIMEOUT_MS) as ended:
        click(qtbot, dock.calibrate_button)
    assert ended.args == ["finished"]
    assert controller.result.measured == "positions" and controller.result.residuals_after.shape == (12, 2)
