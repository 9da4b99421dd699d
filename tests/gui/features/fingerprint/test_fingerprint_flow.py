"""The whole fingerprinting flow in a real window: draw markers, plan, virtual survey, import a
survey, see its residuals, calibrate, train a kNN and an MLP (pre-trained on the twin's survey of
the floor), see the RMSE heat map on the floor.

The measured survey is made by hand: free-space RSS of uwb_hall's anchors (moved off the wall)
plus known transmitter offsets, heard only where the line to the anchor passes no column; the
twin is computed with the direct path only, so its residuals and the calibration's offsets are
known exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from fixtures_window import autosave_store, click_world, make_window, window, window_settings  # noqa: F401
from hand_radio import clear_of_columns, free_space_rss_dbm
from PySide6.QtWidgets import QFileDialog

pytestmark = pytest.mark.gui

UWB_HZ = 6.5e9
ANCHORS = {"A1": (3.8, 0.5, 2.0), "A2": (9.4, 7.2, 2.0), "A3": (14.4, 0.5, 2.0)}
OFFSETS_DB = {"A1": 5.0, "A2": -3.0, "A3": 0.0}
#: Per-sample noise of the three samples of every reference point: their mean is the exact value.
NOISE_DB = (0.3, 0.0, -0.3)
#: 9 x 3 reference points on lines of the hall clear of the columns.
RPS = np.array([(x, y, 1.0) for y in (1.0, 4.2, 7.4) for x in np.arange(1.0, 18.0, 2.0)])
RECTANGLE = np.array([[4.6, 3.7], [6.6, 3.7], [6.6, 4.9], [4.6, 4.9]])
TIMEOUT_MS = 120_000


def write_measured_survey(path) -> dict[str, np.ndarray]:
    """The hand-made survey CSV; returns each anchor's (P,) RP values (NaN: not heard)."""
    names = list(ANCHORS)
    expected = {}
    for name in names:
        rss = free_space_rss_dbm(RPS, ANCHORS[name], UWB_HZ, 0.0) + OFFSETS_DB[name]
        expected[name] = np.where(clear_of_columns(RPS, ANCHORS[name]), rss, np.nan)
    lines = ["x_m,y_m,z_m,point,t_s," + ",".join(f"rss_dbm:{name}" for name in names)]
    for point, (x, y, z) in enumerate(RPS):
        for sample, noise in enumerate(NOISE_DB):
            cells = ["" if np.isnan(expected[name][point]) else f"{expected[name][point] + noise:.6f}" for name in names]
            lines.append(f"{x},{y},{z},{point},{3 * point + sample}," + ",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return expected


def wait(qtbot, window, condition) -> None:
    qtbot.waitUntil(lambda: window.runner.is_idle and condition(), timeout=TIMEOUT_MS)


def shown_points(window):
    """The survey layer's points and their values as drawn."""
    (points,) = [item for item in window.viewport.floor_markers() if getattr(item, "values", None) is not None]
    return points


def test_markers_plan_virtual_survey_import_calibrate_train_and_heat_map(window, qtbot, tmp_path, errors, monkeypatch):
    document = window.document
    for name, position in ANCHORS.items():
        document.move_anchor(name, position)
    controller = window.feature("fingerprint").controller
    dock = window.feature("fingerprint").dock
    dock.radio_section.depth.setValue(0)

    # -- draw markers, plan: 4 vertices x (1 between + 1) gaps on the boundary only.
    section = dock.plan_section
    section.loops.setValue(0)
    section.mode.setCurrentIndex(section.mode.findData("between"))
    section.between.setValue(1)
    window.viewport.view_top()
    section.draw_button.click()
    for x, y in RECTANGLE:
        click_world(window, (x, y, 0.0))
    wait(qtbot, window, lambda: controller.plan.plan is not None)
    plan = controller.plan.plan
    assert len(plan.points) == 8 and window.floor.active == "rp_plan"

    # -- virtual survey without shadowing or noise: the twin's free-space RSS at every RP.
    box = dock.virtual_survey
    box.samples.setValue(4)
    box.shadowing.setValue(0.0)
    box.noise.setValue(0.0)
    box.run_button.click()
    wait(qtbot, window, lambda: controller.surveys.virtual is not None)
    virtual = controller.surveys.virtual
    assert virtual.samples == 8 * 4 and virtual.reference_points == 8
    assert virtual.transmitters == ("A1", "A2", "A3")
    for column, name in enumerate(virtual.transmitters):
        clear = clear_of_columns(virtual.positions, ANCHORS[name])
        expected = free_space_rss_dbm(virtual.positions, ANCHORS[name], UWB_HZ, 0.0)
        np.testing.assert_allclose(virtual.rss_dbm[clear, column], expected[clear], atol=1e-6)
    np.testing.assert_allclose(virtual.positions[:, 2], 1.0)
    assert "32 samples at 8 reference points" in box.summary.text()

    # -- a broken survey: a dialog, nothing imported.
    broken = tmp_path / "broken.csv"
    broken.write_text("x_m,y_m,rss_dbm:A1\n1.0,abc,-50\n")
    dock.survey_section.import_csv(str(broken))
    wait(qtbot, window, lambda: bool(errors))
    assert "broken.csv" in errors[0][1] and controller.surveys.measured is None

    # -- import the measured survey through the dock's file dialog.
    expected = write_measured_survey(tmp_path / "measured.csv")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "measured.csv"), ""))
    dock.survey_section.import_button.click()
    wait(qtbot, window, lambda: controller.surveys.measured is not None)
    measured = controller.surveys.measured
    assert measured.raw.samples == 3 * len(RPS) and measured.raw.reference_points == len(RPS)
    never_heard = sum(int(np.isnan(values).sum()) for values in expected.values()) * 3
    assert measured.report.filled_from_point_mean + measured.report.filled_with_floor == never_heard
    assert "measured.csv" in dock.survey_section.report.text() and "27 reference points" in dock.survey_section.report.text()
    assert window.floor.active == "survey_points"
    points = shown_points(window)
    np.testing.assert_allclose(points.points, RPS[:, :2], atol=1e-9)
    np.testing.assert_allclose(points.values, expected["A1"], atol=1e-9, equal_nan=True)

    # -- residuals: measured minus the twin is each anchor's offset wherever it was heard.
    dock.survey_section.transmitter.setCurrentText("A2")
    dock.survey_section.shown.setCurrentIndex(dock.survey_section.shown.findData("residual"))
    wait(qtbot, window, lambda: controller.surveys.twin is not None)
    heard = ~np.isnan(expected["A2"])
    values = shown_points(window).values
    np.testing.assert_allclose(values[heard], OFFSETS_DB["A2"], atol=1e-6)
    assert np.isnan(values[~heard]).all()

    # -- calibrate: the offsets come back, the residual vanishes.
    dock.survey_section.calibrate_button.click()
    wait(qtbot, window, lambda: controller.surveys.calibration is not None)
    calibration = controller.surveys.calibration
    np.testing.assert_allclose(calibration.offsets_db, [OFFSETS_DB[n] for n in calibration.transmitter_names], atol=0.05)
    heard_all = np.concatenate([values[~np.isnan(values)] for values in expected.values()])
    links_offsets = np.concatenate([np.full(int((~np.isnan(expected[n])).sum()), OFFSETS_DB[n]) for n in expected])
    assert calibration.links == heard_all.size
    assert calibration.rms_before_db == pytest.approx(np.sqrt(np.mean(links_offsets**2)), abs=1e-6)
    assert calibration.rms_after_db < 0.05
    assert "after" in dock.survey_section.calibration.text()
    np.testing.assert_allclose(shown_points(window).values[heard], 0.0, atol=0.05)  # measured - calibrated twin

    # -- train a kNN on the measured survey: the table shows the errors of the held-out points.
    model = dock.model_section
    model.kind.setCurrentIndex(model.kind.findData("knn"))
    model.data.setCurrentIndex(model.data.findData("none"))
    model.train_button.click()
    positioning = controller.positioning
    wait(qtbot, window, lambda: positioning.run is not None and positioning.heat_map is not None)
    run = positioning.run
    tested = np.unique(positioning.test_positions, axis=0)
    assert len(tested) == round(0.3 * len(RPS)) and run.labelled_points == len(RPS) - len(tested)
    errors_m = np.linalg.norm(run.predicted - positioning.test_positions, axis=1)
    assert [model.metrics.item(0, column).text() for column in (0, 1)] == ["Weighted kNN", "survey"]
    assert model.metrics.item(0, 2).text() == f"{errors_m.mean():.2f} m"
    assert model.metrics.item(0, 3).text() == f"{np.sqrt(np.mean(errors_m**2)):.2f} m"
    assert model.metrics.item(0, 8).text() == f"{100 * np.mean(errors_m <= 2.0):.0f} %"
    (label, curve), = model.cdf.curves
    assert label == "Weighted kNN, survey"
    np.testing.assert_allclose(curve, np.sort(errors_m))

    # -- the heat map is on the floor: one value per cell of the grid.
    assert window.floor.active == "rmse_heat_map"
    grid, rmse = positioning.heat_map
    shown = window.viewport.floor_map_values()[grid.mask]
    np.testing.assert_allclose(shown, rmse, equal_nan=True)
    # Mapped within 3 m of a tested reference point only.
    nearest = np.linalg.norm(grid.points[:, None, :2] - tested[None, :, :], axis=2).min(axis=1)
    np.testing.assert_array_equal(np.isfinite(shown), nearest <= 3.0)
    assert grid.cell_count > 100 and (nearest > 3.0).any()
    assert f"RMSE {run.metrics.rmse_m:.2f} m" in window.viewport.floor_markers_caption()

    # -- a tiny MLP pre-trained on the twin and fine-tuned on the survey: two stages of losses.
    model.kind.setCurrentIndex(model.kind.findData("mlp"))
    model.data.setCurrentIndex(model.data.findData("prior"))
    model.epochs.setValue(2)
    model.train_button.click()
    wait(qtbot, window, lambda: positioning.run is not run and positioning.heat_map is not None)
    assert positioning.run.model.kind == "mlp" and positioning.run.twin == "prior"
    # The twin's survey covers the floor, not the plan: 0.9 m cells of the 18.3 m x 8.4 m hall
    # (20 x 9) less the three whose centres (y = 5.85 m; x = 7.65, 11.25, 14.85 m) are in columns.
    assert positioning.run.twin_points == 20 * 9 - 3 and positioning.twin.twin.calibration is None
    assert {stage: len(losses[0]) for stage, losses in model.loss_plot.losses.items()} == {"fit": 2, "fine_tune": 2}
    assert model.train_button.isEnabled() and not model.cancel_button.isEnabled()
    # Both runs compared, newest first; the kNN's row is unchanged.
    assert model.metrics.rowCount() == 2
    assert [model.metrics.item(row, 1).text() for row in (0, 1)] == ["twin + survey", "survey"]
    assert model.metrics.item(1, 2).text() == f"{errors_m.mean():.2f} m"
    assert [label for label, _curve in model.cdf.curves] == ["MLP, twin + survey", "Weighted kNN, survey"]

    # -- Cancel during a long run: it ends with the best weights so far, evaluated.
    previous = positioning.run
    model.data.setCurrentIndex(model.data.findData("none"))
    model.epochs.setValue(10_000)
    model.train_button.click()
    assert model.cancel_button.isEnabled() and not model.train_button.isEnabled()
    qtbot.waitUntil(lambda: bool(positioning.losses.get("fit", ([], []))[0]), timeout=TIMEOUT_MS)
    model.cancel_button.click()
    wait(qtbot, window, lambda: positioning.run is not previous)
    assert 1 <= len(positioning.losses["fit"][0]) < 10_000
    assert model.train_button.isEnabled() and not model.cancel_button.isEnabled()
    assert len(errors) == 1  # only the broken survey was refused
