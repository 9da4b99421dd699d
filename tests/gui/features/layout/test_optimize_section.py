"""The Optimize section driven through its widgets: run, cancel, accept/undo, export, import, draw."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from fixtures_window import autosave_store, click_world, make_window, window, window_settings  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 120_000


def show_section(window):
    """Bring the Optimize tab of the Anchors dock to the front, as a user would."""
    tabs = window.feature("anchors").dock.widget()
    tabs.setCurrentIndex(tabs.count() - 1)
    return window.feature("layout").sections[0].widget


def configure(section, anchors=3, population=8, iterations=5, min_distance=1.5, seed=1):
    section.anchor_count.setValue(anchors)
    section.population.setValue(population)
    section.iterations.setValue(iterations)
    section.min_distance.setValue(min_distance)
    section.seed.setValue(seed)


def run_to_end(qtbot, window):
    section = show_section(window)
    with qtbot.waitSignal(window.feature("layout").controller.runEnded, timeout=RUN_TIMEOUT_MS) as ended:
        qtbot.mouseClick(section.run_button, Qt.MouseButton.LeftButton)
    return ended.args[0]


def on_uwb_hall_regions(point, tolerance=1e-6) -> bool:
    """uwb_hall's mounting regions: wall bands at z = 2 along the 18.3 m x 8.4 m outline, the ceiling at z = 4."""
    x, y, z = point
    inside = -tolerance <= x <= 18.3 + tolerance and -tolerance <= y <= 8.4 + tolerance
    if abs(z - 4.0) < tolerance:
        return inside
    on_wall = min(abs(x), abs(x - 18.3), abs(y), abs(y - 8.4)) < 1e-3
    return abs(z - 2.0) < tolerance and inside and on_wall


def result_column(section, column: int) -> list[str]:
    return [section.results.item(row, column).text() for row in range(section.results.rowCount())]


def test_run_fills_results_on_mounting_regions_with_min_distance(window, qtbot, errors):
    window.resize(1500, 1000)
    section = show_section(window)
    configure(section)
    assert section.chosen_regions() == ["south wall band", "east wall band", "north wall band", "west wall band", "ceiling"]
    outcome = run_to_end(qtbot, window)
    assert outcome == "finished" and not errors
    study = window.feature("layout").controller.study
    layouts = study.optimization.layouts
    assert 1 <= len(layouts) <= 5
    assert section.results.rowCount() == len(layouts) + 1  # the current layout is listed for reference
    assert section.results.item(len(layouts), 0).text() == "now"
    assert float(section.results.item(0, 1).text()) == pytest.approx(layouts[0].stats["sum_error_m"], abs=0.05)
    # Proposals are listed by the Sum the table shows, best first.
    sums = [float(text) for text in result_column(section, 1)[: len(layouts)]]
    assert sums == sorted(sums)
    assert result_column(section, 0) == [str(i + 1) for i in range(len(layouts))] + ["now"]
    # The curve and the table are on different grids, and both say which.
    assert section.plot.title == "Search objective on the 0.2 m grid"
    assert section.results_caption.isVisible()
    assert "0.1 m map grid" in section.results_caption.text() and "0.2 m grid" in section.results_caption.text()
    # At 1500 x 1000 the whole table, every row of it, fits in the dock's view at once.
    table, scroll = section.results, window.feature("anchors").dock.widget().currentWidget()
    last = table.rowCount() - 1
    assert table.rowViewportPosition(last) + table.rowHeight(last) <= table.viewport().height()
    assert table.viewport().height() >= 4 * table.rowHeight(0)
    assert not table.horizontalScrollBar().isVisible()
    assert table.height() <= scroll.viewport().height()
    assert len(section.plot.values) == 5
    assert np.all(np.diff(section.plot.values) <= 1e-9)
    best = layouts[0].positions
    assert best.shape == (3, 3)
    assert all(on_uwb_hall_regions(p) for p in best)
    gaps = np.linalg.norm(best[:, None] - best[None], axis=2)[np.triu_indices(3, 1)]
    assert gaps.min() >= 1.5 - 1e-6
    # The best-so-far layout of the last iteration is previewed as ghosts, not added to the document.
    assert window.feature("layout").controller.ghost_positions.shape == (3, 3)
    assert len(window.document.project.anchors) == 3
    assert section.run_button.isEnabled() and not section.cancel_button.isEnabled()


def test_cancel_midway_keeps_the_best_so_far(window, qtbot, errors):
    section = show_section(window)
    configure(section, population=12, iterations=1000)
    controller = window.feature("layout").controller
    qtbot.mouseClick(section.run_button, Qt.MouseButton.LeftButton)
    assert section.cancel_button.isEnabled() and not section.run_button.isEnabled()
    qtbot.waitUntil(lambda: len(section.plot.values) >= 2, timeout=RUN_TIMEOUT_MS)
    assert controller.ghost_positions.shape == (3, 3)
    assert window.runner.task("layout").name == "Anchor layout optimization"
    with qtbot.waitSignal(controller.runEnded, timeout=RUN_TIMEOUT_MS) as ended:
        qtbot.mouseClick(section.cancel_button, Qt.MouseButton.LeftButton)
    assert ended.args[0] == "cancelled" and not errors
    study = controller.study
    assert study.optimization.cancelled
    assert 2 <= len(study.optimization.convergence) < 1000
    assert len(study.optimization.layouts) >= 1
    assert section.results.rowCount() >= 1
    assert "Cancelled after" in section.status.text()


def test_accept_replaces_anchors_in_one_undo_step(window, qtbot, errors):
    section = show_section(window)
    configure(section)
    before = window.document.project.anchors
    run_to_end(qtbot, window)
    section.results.selectRow(0)
    assert section.accept_button.isEnabled()
    # Selecting a result previews it: its ghosts and its map on the floor.
    assert window.viewport.floor_map_values() is not None
    expected = window.feature("layout").controller.layout_anchors(0)
    depth = window.document.undo_stack.count()
    now_before = result_column(section, 1)[-1]
    qtbot.mouseClick(section.accept_button, Qt.MouseButton.LeftButton)
    anchors = window.document.project.anchors
    assert [a.name for a in anchors] == ["A1", "A2", "A3"]
    np.testing.assert_allclose([a.position for a in anchors], window.feature("layout").controller.study.optimization.layouts[0].positions)
    assert anchors == expected
    assert window.document.undo_stack.count() == depth + 1
    assert window.document.undo_stack.undoText() == "Accept optimized layout"
    # The "now" row follows the edit: the accepted layout is now in place, with layout 1's numbers.
    qtbot.waitUntil(lambda: result_column(section, 1)[-1] == result_column(section, 1)[0], timeout=RUN_TIMEOUT_MS)
    assert result_column(section, 0)[-1] == "now" and not errors
    window.action_undo.trigger()
    assert window.document.project.anchors == before
    qtbot.waitUntil(lambda: result_column(section, 1)[-1] == now_before, timeout=RUN_TIMEOUT_MS)
    window.action_redo.trigger()
    assert window.document.project.anchors == expected


def test_fixed_anchor_stays_and_keeps_its_name(window, qtbot, errors):
    section = show_section(window)
    configure(section, anchors=2)
    section.fixed_list.item(0).setCheckState(Qt.CheckState.Checked)
    assert section.fixed_names() == ["A1"]
    run_to_end(qtbot, window)
    kept = window.document.anchor("A1")
    section.results.selectRow(0)
    qtbot.mouseClick(section.accept_button, Qt.MouseButton.LeftButton)
    anchors = window.document.project.anchors
    assert anchors[0] == kept
    assert [a.name for a in anchors] == ["A1", "A2", "A3"]
    placed = np.array([a.position for a in anchors[1:]])
    assert np.linalg.norm(placed - np.array(kept.position), axis=1).min() >= 1.5 - 1e-6


def test_export_installation_sheet_writes_csv_and_html(window, qtbot, errors, tmp_path, monkeypatch):
    section = show_section(window)
    configure(section)
    run_to_end(qtbot, window)
    section.results.selectRow(1)
    target = tmp_path / "sheet.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV files (*.csv)"))
    qtbot.mouseClick(section.export_button, Qt.MouseButton.LeftButton)
    assert not errors
    with open(target, encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    layout = window.feature("layout").controller.study.optimization.layouts[1]
    assert [row["name"] for row in rows] == ["A1", "A2", "A3"]
    np.testing.assert_allclose([[float(row[k]) for k in ("x_m", "y_m", "z_m")] for row in rows], layout.positions, atol=5e-4)
    assert [row["surface"] for row in rows] == list(layout.surfaces)
    page = (tmp_path / "sheet.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "A3" in page


def test_import_as_built_moves_anchors_and_shows_deviations(window, qtbot, errors, tmp_path, monkeypatch):
    section = show_section(window)
    before = window.document.project.anchors
    a1 = window.document.anchor("A1").position
    path = tmp_path / "as_built.csv"
    path.write_text(f"name,x_m,y_m,z_m\nA1,{a1[0] + 0.3},{a1[1] + 0.4},{a1[2]}\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.mouseClick(section.import_button, Qt.MouseButton.LeftButton)
    assert not errors
    assert window.document.anchor("A1").position == pytest.approx((a1[0] + 0.3, a1[1] + 0.4, a1[2]))
    assert window.document.anchor("A2") == before[1]
    table = section.deviation_table
    assert table.isVisible() and table.rowCount() == 3
    assert table.item(0, 0).text() == "A1" and table.item(0, 3).text() == "0.500"
    assert table.item(1, 2).text() == "not reported"
    assert window.document.undo_stack.undoText() == "Import as-built positions"
    window.action_undo.trigger()
    assert window.document.project.anchors == before


def test_import_as_built_with_unknown_anchor_changes_nothing(window, qtbot, errors, tmp_path, monkeypatch):
    section = show_section(window)
    before = window.document.project.anchors
    path = tmp_path / "as_built.csv"
    path.write_text("name,x_m,y_m,z_m\nZ9,1,2,2\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.mouseClick(section.import_button, Qt.MouseButton.LeftButton)
    assert errors and "Z9" in errors[0][1]
    assert window.document.project.anchors == before


def test_draw_ceiling_polygon_in_the_viewport(window, qtbot, errors):
    section = show_section(window)
    window.viewport.view_top()
    section.draw_kind.setCurrentText("Ceiling area")
    height = section.draw_height.value()
    qtbot.mouseClick(section.draw_button, Qt.MouseButton.LeftButton)
    assert window.feature("layout").controller.drawer.active
    corners = [(4.0, 2.0), (10.0, 2.0), (10.0, 6.0), (4.0, 6.0)]
    for x, y in corners:
        click_world(window, (x, y, height))
    assert len(window.feature("layout").controller.drawer.vertices) == 4
    QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Return)
    assert not window.feature("layout").controller.drawer.active and not section.draw_button.isChecked()
    regions = window.document.project.mounting_regions
    assert len(regions) == 1
    region = regions[0]
    assert region.name == "Drawn area 1" and not region.is_polyline
    np.testing.assert_allclose(region.polygon, corners, atol=0.05)
    assert region.z_range_m == pytest.approx((height, height))
    assert len(window.document.project.anchors) == 3  # clicks while drawing never place or grab anchors
    assert "Drawn area 1" in section.chosen_regions()
    assert section.show_regions.isChecked()
    window.action_undo.trigger()
    assert window.document.project.mounting_regions == ()
    assert "Drawn area 1" not in section.chosen_regions()


def test_escape_cancels_drawing_and_optimizing_on_a_drawn_band_only(window, qtbot, errors):
    section = show_section(window)
    window.viewport.view_top()
    section.draw_kind.setCurrentText("Wall band")
    height = section.draw_height.value()
    qtbot.mouseClick(section.draw_button, Qt.MouseButton.LeftButton)
    click_world(window, (1.0, 8.4, height))
    QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Escape)
    assert not window.feature("layout").controller.drawer.active and window.document.project.mounting_regions == ()
    qtbot.mouseClick(section.draw_button, Qt.MouseButton.LeftButton)
    for x in (2.0, 16.0):
        click_world(window, (x, 8.4, height))
    QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Enter)
    (band,) = window.document.project.mounting_regions
    assert band.is_polyline and len(band.polygon) == 2
    for row in range(section.region_list.count()):
        item = section.region_list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) != band.name:
            item.setCheckState(Qt.CheckState.Unchecked)
    assert section.chosen_regions() == [band.name]
    section.fixed_list.item(0).setCheckState(Qt.CheckState.Checked)
    configure(section, anchors=2, iterations=3, min_distance=1.0)
    assert run_to_end(qtbot, window) == "finished" and not errors
    best = window.feature("layout").controller.study.optimization.layouts[0]
    assert set(best.surfaces) == {band.name}
    assert np.allclose(best.positions[:, 1], 8.4, atol=0.05) and np.allclose(best.positions[:, 2], height)


def test_compare_dialog_shows_two_maps_on_one_scale(window, qtbot, errors):
    section = show_section(window)
    configure(section)
    run_to_end(qtbot, window)
    section.results.selectRow(0)
    qtbot.mouseClick(section.compare_button, Qt.MouseButton.LeftButton)
    dialog = section.compare_dialog
    qtbot.waitExposed(dialog)
    images = [ax.images[0] for ax in dialog.figure.axes if ax.images]
    assert len(images) == 2
    assert images[0].get_clim() == images[1].get_clim()
    dialog.close()


def test_the_panel_and_twinloc_optimize_search_the_same_regions_of_a_project(make_window, tmp_path, capsys):  # noqa: F811
    """A project with a drawn region: the panel offers (and checks) the scene's regions and then the
    drawn one, and ``twinloc optimize PROJECT`` searches exactly those."""
    import json

    from twinloc.cli import main
    from twinloc.model.mounting import MountingRegion
    from twinloc.model.project_file import save_project
    from twinloc.workspace import open_source

    drawn = MountingRegion("ceiling strip", ((2.0, 3.0), (16.0, 3.0), (16.0, 5.0), (2.0, 5.0)), (3.9, 3.9))
    path = tmp_path / "hall.twinloc"
    save_project(open_source("uwb_hall").project.with_mounting_regions((drawn,)), path)
    window = make_window(str(path))
    section = show_section(window)
    assert main(["optimize", str(path), "--anchors", "3", "--population", "6", "--iterations", "2", "--json"]) == 0
    searched = json.loads(capsys.readouterr().out)["mounting_regions"]
    assert section.chosen_regions() == window.feature("layout").controller.region_names() == searched
    assert searched == ["south wall band", "east wall band", "north wall band", "west wall band", "ceiling", "ceiling strip"]


def test_previewing_a_layout_without_anchors_hides_the_place_anchors_caption(make_window, qtbot, errors):
    """industrial_hall has no anchors: the LOS layer is a caption. A previewed proposal owns the
    whole floor (no caption beside its map); the caption comes back when the preview ends."""
    window = make_window("industrial_hall")
    viewport = window.viewport
    qtbot.waitUntil(lambda: "place anchors" in viewport.floor_markers_caption())
    section = show_section(window)
    configure(section, anchors=3, population=4, iterations=2)
    assert run_to_end(qtbot, window) == "finished" and not errors
    section.results.selectRow(0)
    layout = window.feature("layout").controller.study.optimization.layouts[0]
    expected = layout.error_map.grid.to_image(np.where(layout.error_map.degenerate, np.nan, layout.error_map.cell_error))
    np.testing.assert_allclose(viewport.floor_map_values(), expected, equal_nan=True)
    assert viewport.floor_markers_caption() == "" and viewport.floor_markers() == ()
    section.results.clearSelection()
    assert viewport.floor_map_values() is None and "place anchors" in viewport.floor_markers_caption()
