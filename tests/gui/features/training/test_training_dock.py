"""The Training dock driven through its widgets: data, training with live losses, cancel, model files, map."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from fixtures_window import autosave_store, make_window, window, window_settings  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QFileDialog

from twinloc.gui.widgets.loss_plot import LossPlot, losses_so_far
from twinloc.learn.trainer import load_checkpoint, predict
from twinloc.mitigation.per_link import PerLinkModel, model_positions
from twinloc.mitigation.training import PROTOCOL_LABELS

pytestmark = pytest.mark.gui

TIMEOUT_MS = 120_000


def show_dock(window):
    window.feature("training").dock.show()
    window.feature("training").dock.raise_()
    return window.feature("training").dock


def click(qtbot, button):
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def make_data(qtbot, window, resolution=1.0, groups=2, site_points=10, fixes=40):
    dock, trainer = show_dock(window), window.feature("training").controller
    dock.resolution_spin.setValue(resolution)
    dock.groups_spin.setValue(groups)
    dock.site_points_spin.setValue(site_points)
    dock.site_fixes_spin.setValue(fixes)
    with qtbot.waitSignal(trainer.dataChanged, timeout=TIMEOUT_MS):
        click(qtbot, dock.generate_button)
    with qtbot.waitSignal(trainer.dataChanged, timeout=TIMEOUT_MS):
        click(qtbot, dock.simulate_button)
    return dock, trainer


def set_epochs(dock, pretrain, fine_tune):
    dock.stage_spins["pretrain"]["epochs"].setValue(pretrain)
    dock.stage_spins["fine_tune"]["epochs"].setValue(fine_tune)


def train_to_end(qtbot, window, dock):
    with qtbot.waitSignal(window.feature("training").controller.trainingEnded, timeout=TIMEOUT_MS) as ended:
        click(qtbot, dock.train_button)
    return ended.args[0]


def test_generate_simulate_and_train_with_live_losses_and_a_results_table(window, qtbot, errors):
    dock, trainer = make_data(qtbot, window)
    virtual, measured = trainer.virtual, trainer.measured
    # uwb_hall's 1 m grid over the 18.3 m x 8.4 m hall: 2 samples of 8 fixes per grid point.
    points = len(np.unique(virtual.point))
    assert len(virtual) == 2 * points and 100 <= points <= 18 * 8
    assert f"{len(virtual):,} samples" in dock.virtual_label.text()
    # 10 simulated points x 40 fixes = 5 samples each, half of the points NLOS.
    assert len(measured) == 50 and measured.nlos.sum() == 25
    assert "SIMULATED" in dock.measured_label.text() and "b45309" in dock.measured_label.styleSheet()

    set_epochs(dock, 3, 2)
    events = []
    trainer.lossesChanged.connect(lambda: events.append(("losses", {k: len(v[0]) for k, v in trainer.losses.items()})))
    trainer.trainingEnded.connect(lambda stopped: events.append(("ended", stopped)))
    window.runner.taskStarted.connect(
        lambda task: task.progress.connect(lambda fraction, text: events.append(("progress", fraction))) if task.key == "training" else None
    )
    assert train_to_end(qtbot, window, dock) == "completed" and not errors

    # Progress and losses arrived while training ran, before it ended.
    end = events.index(("ended", "completed"))
    progress = [value for kind, value in events[:end] if kind == "progress"]
    # Only the newest progress is posted, so a busy GUI thread may see only the last report.
    assert progress and progress == sorted(progress) and all(0 < value <= 1 for value in progress)
    live = [value for kind, value in events[:end] if kind == "losses" and value]
    # Only the newest losses are posted, so a busy GUI thread may skip epochs (even all of the
    # pre-training stage's but its last), but the curves only ever grow, stage by stage.
    assert live and "pretrain" in live[0] and live[0]["pretrain"] >= 1
    stages = ["pretrain", "fine_tune"]
    for before, after in zip(live, live[1:]):
        assert list(after) == stages[: len(after)] and len(after) >= len(before)
        assert all(after[stage] >= before.get(stage, 0) for stage in after)
    assert {k: len(v[0]) for k, v in dock.loss_plot.losses.items()} == {"pretrain": 3, "fine_tune": 2}
    assert dock.progress_bar.value() == 1000 and "completed" in dock.status_label.text()

    result = trainer.result
    for column, area in enumerate(("los", "nlos")):
        for row, key in enumerate(("raw", "nn_pretrained", "nn", "poly")):
            value, shown = result.errors[area][key], dock.results_table.item(row, column).text()
            assert shown == "–" if value is None else float(shown) == pytest.approx(100 * value, abs=0.051)
    # The raw column is the mean distance of each held-out sample's mean fix from its true point.
    test = result.test
    raw = np.linalg.norm(test.inputs.reshape(-1, 8, 2).mean(axis=1) - test.true, axis=1)
    assert result.errors["nlos"]["raw"] == pytest.approx(raw[test.nlos].mean())
    assert len(test) == 10  # 20% of the 50 measured samples
    assert sum(dock.positions_plot.points_shown.values()) >= 2
    assert "SIMULATED" in dock.results_note.text()
    assert dock.train_button.isEnabled() and not dock.cancel_button.isEnabled()


def test_cancel_stops_training_and_keeps_a_usable_model(window, qtbot, errors):
    dock, trainer = make_data(qtbot, window)
    set_epochs(dock, 10_000, 10)
    dock.stage_spins["pretrain"]["patience"].setValue(1000)

    def cancel_after_two_epochs():
        if len(trainer.losses.get("pretrain", ([],))[0]) >= 2 and dock.cancel_button.isEnabled():
            click(qtbot, dock.cancel_button)

    trainer.lossesChanged.connect(cancel_after_two_epochs)
    assert train_to_end(qtbot, window, dock) == "cancelled" and not errors
    assert "cancelled" in dock.status_label.text()
    pretrain_epochs = len(trainer.result.training["pretrain"].history.train_loss)
    assert 2 <= pretrain_epochs < 10_000
    assert trainer.result.training["fine_tune"].history.train_loss == []
    prediction = model_positions(trainer.current.model, trainer.measured)
    assert np.isfinite(prediction).all()
    # The fine-tuned row shows an error wherever the test set has samples (the raw row does).
    assert all((dock.results_table.item(2, column).text() != "–") == (dock.results_table.item(0, column).text() != "–")
               for column in range(2))
    assert dock.results_table.item(0, 1).text() != "–"  # half of the points are NLOS


def test_save_load_and_apply_the_mitigated_map(window, qtbot, errors, tmp_path, monkeypatch):
    dock, trainer = make_data(qtbot, window)
    set_epochs(dock, 2, 2)
    dock.architecture_combo.setCurrentIndex(dock.architecture_combo.findData("mitigation_net"))
    dock.split_combo.setCurrentIndex(dock.split_combo.findData("points"))
    train_to_end(qtbot, window, dock)
    # 10 measuring points, 20% held out whole: the 5 samples of each of 2 points.
    assert len(set(trainer.result.test.point.tolist())) == 2 and len(trainer.result.test) == 10
    assert "held-out points" in dock.results_note.text()
    trained = trainer.current.model
    path = tmp_path / "mitigation.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    click(qtbot, dock.save_model_button)
    assert path.exists() and "mitigation.pt" in dock.model_label.text()
    assert load_checkpoint(path).extra["errors"] == trainer.result.errors

    # Load it back: the same predictions, the saved losses and errors shown again.
    dock.loss_plot.clear()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    click(qtbot, dock.load_model_button)
    assert not errors
    assert trainer.current.model is not trained
    inputs = trainer.virtual.inputs[:500]
    assert np.array_equal(predict(trainer.current.model, inputs), predict(trained, inputs))
    assert {k: len(v[0]) for k, v in dock.loss_plot.losses.items()} == {"pretrain": 2, "fine_tune": 2}
    assert dock.results_table.item(2, 1).text() == f"{100 * trainer.current.extra['errors']['nlos']['nn']:.1f}"

    # Apply on the twin's floor: the per-cell mitigated error of the virtual data is drawn.
    assert dock.map_floor_combo.currentData() == "site"  # the measured data are simulated
    dock.map_floor_combo.setCurrentIndex(0)
    with qtbot.waitSignal(trainer.mapChanged, timeout=TIMEOUT_MS, check_params_cb=lambda: trainer.map is not None):
        dock.show_map_check.setChecked(True)
    # The mitigated map is a floor layer: it takes the floor from the LOS map, and the View menu says so.
    assert window.floor.active == "mitigated_map" and window.floor.action("mitigated_map").isChecked()
    assert not window.floor.action("los").isChecked()
    shown = window.viewport.floor_map_values()
    expected = trainer.map.nn
    assert np.allclose(np.sort(shown[np.isfinite(shown)]), np.sort(expected[np.isfinite(expected)]))
    corrected = predict(trainer.current.model, trainer.virtual.inputs)
    cell = int(trainer.virtual.point[0])
    mine = trainer.virtual.point == cell
    assert trainer.map.nn[cell] == pytest.approx(np.linalg.norm(corrected[mine] - trainer.virtual.true[mine], axis=1).mean())
    assert "NLOS" in dock.map_label.text()

    dock.map_view_combo.setCurrentIndex(list(dock.map_view_combo.itemData(i) for i in range(3)).index("raw"))
    shown = window.viewport.floor_map_values()
    assert np.allclose(np.sort(shown[np.isfinite(shown)]), np.sort(trainer.map.raw[np.isfinite(trainer.map.raw)]))

    # On the simulated site's floor (labelled as such): another map of the same grid.
    twin_raw = trainer.map.raw
    with qtbot.waitSignal(trainer.mapChanged, timeout=TIMEOUT_MS, check_params_cb=lambda: trainer.map is not None):
        dock.map_floor_combo.setCurrentIndex(1)
    assert trainer.map.source == "simulated site" and "SIMULATED" in dock.map_label.text()
    assert not np.allclose(trainer.map.raw[:len(twin_raw)], twin_raw, equal_nan=True)
    with qtbot.waitSignal(trainer.mapEnded, timeout=5000):
        dock.show_map_check.setChecked(False)
    assert not trainer.map_shown
    assert window.floor.active == "los"  # the floor goes back to the layer the map replaced


def protocol_cells(dock) -> dict[str, list[str]]:
    """The protocols table as {protocol key: [LOS raw, LOS model, NLOS raw, NLOS model] texts}."""
    return {key: [dock.protocols_table.item(row, column).text() for column in range(4)]
            for row, key in enumerate(PROTOCOL_LABELS)}


def test_the_per_link_model_trains_by_default_and_makes_no_area_worse_than_raw(window, qtbot, errors):
    dock, trainer = make_data(qtbot, window, resolution=0.5, groups=2)
    assert dock.architecture_combo.currentData() == "per_link" and dock.split_combo.currentData() == "points"
    set_epochs(dock, 20, 5)
    assert train_to_end(qtbot, window, dock) == "completed" and not errors
    assert isinstance(trainer.current.model, PerLinkModel)
    # Every protocol is in the table, each cell the mean error the run measured, in cm.
    protocols = trainer.result.protocols
    assert set(protocols) == set(PROTOCOL_LABELS)
    for key, cells in protocol_cells(dock).items():
        values = [protocols[key][area][name] for area in ("los", "nlos") for name in ("raw", "nn")]
        assert cells == ["–" if value is None else f"{100 * value:.1f}" for value in values]
    # No area of any protocol is worse than raw, so no warning shows.
    for areas in protocols.values():
        for row in areas.values():
            assert row["raw"] is None or row["nn"] <= row["raw"] + 0.02
    assert dock.warning_label.isHidden()
    # The floor map: each cell's mean error after the model, none of its areas worse than raw.
    dock.map_floor_combo.setCurrentIndex(0)
    with qtbot.waitSignal(trainer.mapChanged, timeout=TIMEOUT_MS, check_params_cb=lambda: trainer.map is not None):
        dock.show_map_check.setChecked(True)
    means = trainer.map.area_means()
    assert means["nlos"]["nn"] < 0.6 * means["nlos"]["raw"]
    assert means["los"]["nn"] <= means["los"]["raw"] + 0.02
    assert "WARNING" not in dock.map_label.text()
    # The per-link model reads the twin: it is not saved as a file.
    assert not dock.save_model_button.isEnabled()


def test_a_model_worse_than_raw_somewhere_is_flagged_in_red(window, qtbot, errors):
    dock, trainer = make_data(qtbot, window)
    dock.architecture_combo.setCurrentIndex(dock.architecture_combo.findData("mitigation_net"))
    set_epochs(dock, 1, 1)
    train_to_end(qtbot, window, dock)
    worse = [(key, area) for key, areas in trainer.result.protocols.items() for area, row in areas.items()
             if row["raw"] is not None and row["nn"] is not None and row["nn"] > row["raw"] + 0.02]
    assert worse  # one epoch of the paper network moves the good LOS fixes
    assert dock.warning_label.isVisible() and "b91c1c" in dock.warning_label.styleSheet()
    for key, area in worse:
        assert f"{PROTOCOL_LABELS[key]} {area.upper()}:" in dock.warning_label.text()


def test_bad_input_gets_a_dialog_and_keeps_what_is_there(window, qtbot, errors, tmp_path, monkeypatch):
    dock, trainer = show_dock(window), window.feature("training").controller
    click(qtbot, dock.train_button)
    assert errors[-1][0] == "Cannot train" and "virtual data" in errors[-1][1]

    dock, trainer = make_data(qtbot, window)
    measured = trainer.measured
    broken = tmp_path / "broken.csv"
    broken.write_text("true_x,true_y,measured_x,measured_y\n1,2,nan,3\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    click(qtbot, dock.import_button)
    assert errors[-1][0] == "Cannot import the measured data" and "broken.csv" in errors[-1][1]
    assert trainer.measured is measured

    not_a_model = tmp_path / "other.pt"
    not_a_model.write_bytes(b"garbage")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(not_a_model), ""))
    click(qtbot, dock.load_model_button)
    assert errors[-1][0] == "Cannot load the model" and "other.pt" in errors[-1][1]
    assert trainer.current is None

    assert not dock.side_spin.isEnabled()  # the per-link model has no image side
    dock.architecture_combo.setCurrentIndex(dock.architecture_combo.findData("mitigation_net"))
    dock.side_spin.setValue(7)
    click(qtbot, dock.train_button)
    assert errors[-1][0] == "Cannot train" and "even" in errors[-1][1]

    # Moving an anchor makes the data stale: they are forgotten, and the user is told why.
    with qtbot.waitSignal(trainer.dataForgotten, timeout=5000) as forgotten:
        anchor = window.document.project.anchors[0]
        window.document.move_anchor(anchor.name, (anchor.position[0] + 1.0, anchor.position[1], anchor.position[2]))
    assert "anchor layout" in forgotten.args[0]
    assert trainer.virtual is None and trainer.measured is None
    assert dock.virtual_label.text() == "No virtual data yet."


def test_virtual_data_are_saved_off_the_gui_thread_and_loaded_back(window, qtbot, errors, tmp_path, monkeypatch):
    dock, trainer = make_data(qtbot, window)
    original = trainer.virtual
    path = tmp_path / "virtual.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(trainer.saved, timeout=TIMEOUT_MS) as saved:
        click(qtbot, dock.save_data_button)
    assert saved.args[0] == str(path) and path.exists() and not errors

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(trainer.dataChanged, timeout=5000):
        click(qtbot, dock.load_data_button)
    assert trainer.virtual is not original
    assert np.array_equal(trainer.virtual.inputs, original.inputs) and trainer.virtual.provenance == original.provenance

    # After an anchor moves, the same file belongs to another layout: refused, nothing replaced.
    anchor = window.document.project.anchors[0]
    window.document.move_anchor(anchor.name, (anchor.position[0] + 1.0, anchor.position[1], anchor.position[2]))
    click(qtbot, dock.load_data_button)
    assert errors[-1][0] == "Cannot load the virtual data" and "another anchor layout" in errors[-1][1]
    assert trainer.virtual is None


def test_results_headers_are_whole_at_1500_by_1000(window, qtbot):
    window.resize(1500, 1000)
    table = show_dock(window).results_table
    qtbot.waitUntil(table.isVisible)
    columns, rows = table.horizontalHeader(), table.verticalHeader()
    assert [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())] == ["LOS (cm)", "NLOS (cm)"]
    assert [table.verticalHeaderItem(i).text() for i in range(table.rowCount())] == [
        "Raw fixes", "NN pre-trained", "NN fine-tuned", "Polynomial"]
    metrics = QFontMetrics(columns.font())
    for column in range(table.columnCount()):
        assert columns.sectionSize(column) >= metrics.horizontalAdvance(table.horizontalHeaderItem(column).text())
    assert rows.width() >= max(metrics.horizontalAdvance(table.verticalHeaderItem(row).text()) for row in range(table.rowCount()))
    # Every row is shown: the table is as tall as its header and four rows.
    assert table.viewport().height() >= table.rowCount() * rows.sectionSize(0)


def test_a_one_epoch_stage_shows_as_a_point(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.show_losses({"pretrain": ([1.0, 0.5, 0.4], [1.1, 0.6, 0.5]), "fine_tune": ([0.3], [0.35])})
    fine_tune = [line for line in plot.axes.get_lines() if list(line.get_xdata()) == [4]]
    assert len(fine_tune) == 2  # its training and validation losses, at epoch 4
    assert all(line.get_marker() == "o" and line.get_markersize() > 0 for line in fine_tune)
    low, high = plot.axes.get_xlim()
    assert low < 4 < high


def test_each_loss_report_holds_every_stage_so_far():
    """Live reports are coalesced to the newest, so the newest must carry the end of a finished stage."""
    reports = []
    listener = losses_so_far(reports.append)
    listener("pretrain", 0, SimpleNamespace(train_loss=[1.0], validation_loss=[1.5]))
    listener("pretrain", 1, SimpleNamespace(train_loss=[1.0, 0.8], validation_loss=[1.5, 1.2]))
    listener("fine_tune", 0, SimpleNamespace(train_loss=[0.5], validation_loss=[0.6]))
    assert reports[-1] == {"pretrain": ([1.0, 0.8], [1.5, 1.2]), "fine_tune": ([0.5], [0.6])}
    assert list(reports[-1]) == ["pretrain", "fine_tune"] and reports[0] == {"pretrain": ([1.0], [1.5])}
