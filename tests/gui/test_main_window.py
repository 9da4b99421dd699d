"""The main window driven like a user would: real menus, real mouse events on the 3D view."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from fixtures_window import autosave_store, click_world, drag_world, make_window, open_floor_point, wait_for_floor_map, window, window_settings  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMessageBox

from twinloc.compute.jobs import Job
from twinloc.geometry.loaders import load_scene, shipped_scene_path
from twinloc.gui import app as gui_app
from twinloc.gui.tasks import LIVE, default_lanes
from twinloc.model.autosave import AutosaveStore
from twinloc.model.devices import Anchor
from twinloc.model.project import Project, SceneRef
from twinloc.model.project_file import load_project, save_project

pytestmark = pytest.mark.gui




def test_window_opens_uwb_hall_with_three_anchors(qtbot, isolated_user_folders):
    window = gui_app.create_main_window(None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.document.project.scene.name == "uwb_hall" and window.document.project.scene.path is None
    assert window.feature("anchors").dock.model.rowCount() == 3
    assert window.feature("scene").dock.tree.topLevelItemCount() >= 1
    assert window.feature("scene").dock.materials.rowCount() >= 1
    assert window.windowTitle() == "uwb_hall[*] — TwinLoc"
    assert not window.isWindowModified()
    assert window.progress_area.isHidden()
    assert window.autosave_store.directory == isolated_user_folders["data"] / "autosave"
    window.close()


def test_the_held_lanes_start_with_the_first_frame(qtbot, isolated_user_folders):
    """run_gui's start-up: the first maps' jobs wait for the window's first frame. The probe's
    result is awaited without processing Qt events, so the 2 s fallback timer cannot be what
    released it: the render's end did."""
    lanes = default_lanes()
    for pool in lanes.values():
        pool.hold()
    window = gui_app.create_main_window(None, lanes)
    qtbot.addWidget(window)
    probe = lanes[LIVE].submit(Job("probe", lambda progress, cancel: "ran"))
    gui_app._release_after_first_frame(window, lanes)
    window.show()
    window.viewport.plotter.render()
    assert probe.future.result(30) == "ran"
    window.close()


def test_click_in_place_mode_adds_anchor_at_mounting_height(window, qtbot):
    window.viewport.view_top()
    x, y = open_floor_point(window.document.scene)
    window.action_place.trigger()
    assert window.viewport.mode == "place_anchor"
    click_world(window, (x, y, 0.0))
    qtbot.waitUntil(lambda: len(window.document.project.anchors) == 4, timeout=3000)
    added = window.document.project.anchors[-1]
    assert added.name == "A4"
    assert added.position[0] == pytest.approx(x, abs=0.05)
    assert added.position[1] == pytest.approx(y, abs=0.05)
    assert added.position[2] == pytest.approx(window.document.project.settings.mounting_height_m)
    assert window.document.selection == ["A4"]
    assert window.feature("anchors").dock.model.rowCount() == 4
    assert window.isWindowModified()
    window.action_undo.trigger()
    assert len(window.document.project.anchors) == 3


def test_drag_moves_anchor_and_undo_redo_restore(window, qtbot):
    window.viewport.view_top()
    anchor = window.document.project.anchors[0]
    start = np.array(anchor.position)
    x, y = open_floor_point(window.document.scene)
    target = np.array([x, y, start[2]])
    drag_world(window, start, target)
    qtbot.waitUntil(lambda: window.document.anchor(anchor.name).position != anchor.position, timeout=3000)
    moved = np.array(window.document.anchor(anchor.name).position)
    np.testing.assert_allclose(moved, target, atol=0.1)
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.undoText() == f"Move anchor {anchor.name}"
    window.action_undo.trigger()
    np.testing.assert_allclose(window.document.anchor(anchor.name).position, start)
    window.action_redo.trigger()
    np.testing.assert_allclose(window.document.anchor(anchor.name).position, moved)


def test_anchor_table_edits_are_undoable(window, qtbot, errors):
    table, model = window.feature("anchors").dock.table, window.feature("anchors").dock.model
    first = window.document.project.anchors[0]

    # A real in-place edit: open the editor, type, press Enter.
    index = model.index(0, 0)
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.findChild(QLineEdit)
    assert editor is not None
    editor.selectAll()
    QTest.keyClicks(editor, "Entrance")
    QTest.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop turn
    qtbot.waitUntil(lambda: window.document.project.anchors[0].name == "Entrance", timeout=3000)
    assert window.document.undo_stack.undoText() == f"Rename anchor {first.name} to Entrance"

    assert model.setData(model.index(0, 1), "4.25")
    assert window.document.anchor("Entrance").position[0] == 4.25
    assert model.data(model.index(0, 1)) == "4.25"

    assert not model.setData(model.index(0, 2), "north")
    assert errors and "number" in errors[-1][1]
    assert model.setData(model.index(0, 4), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert not window.document.anchor("Entrance").enabled

    for _ in range(3):
        window.action_undo.trigger()
    assert window.document.project.anchors[0] == first


def test_renaming_an_anchor_to_a_taken_or_overlong_name_shows_a_dialog(window, errors):
    model = window.feature("anchors").dock.model
    names = [anchor.name for anchor in window.document.project.anchors]
    assert not model.setData(model.index(1, 0), names[0])
    assert errors[-1][1] == f"An anchor named {names[0]!r} already exists."
    assert not model.setData(model.index(1, 0), "x" * 201)
    assert "at most 200 characters" in errors[-1][1]
    assert [anchor.name for anchor in window.document.project.anchors] == names
    assert not window.document.is_modified


def test_selection_is_shared_by_table_and_document(window):
    table = window.feature("anchors").dock.table
    table.selectRow(1)
    name = window.document.project.anchors[1].name
    assert window.document.selection == [name]
    window.document.set_selection([window.document.project.anchors[2].name])
    assert [i.row() for i in table.selectionModel().selectedRows()] == [2]
    assert window.action_delete.isEnabled()
    window.action_delete.trigger()
    assert len(window.document.project.anchors) == 2 and window.document.selection == []
    assert not window.action_delete.isEnabled()


def test_add_button_puts_anchor_in_room_centre_at_mounting_height(window):
    window.feature("anchors").dock.mounting_height.setValue(2.6)
    assert window.document.project.settings.mounting_height_m == pytest.approx(2.6)
    window.feature("anchors").dock.add_button.click()
    added = window.document.project.anchors[-1]
    centre = window.document.scene.bounds.mean(axis=0)
    assert added.position == pytest.approx((centre[0], centre[1], 2.6))
    window.feature("anchors").dock.remove_button.click()
    assert len(window.document.project.anchors) == 3


def test_material_permittivity_edit_is_undoable(window, errors):
    materials = window.feature("scene").dock.materials
    name = materials.item(0, 0).text()
    before = window.document.scene.materials[name]
    materials.item(0, 1).setText("7.5")
    assert window.document.scene.materials[name].relative_permittivity == 7.5
    assert window.document.undo_stack.undoText() == f"Edit material {name}"
    assert materials.item(0, 1).text() == "7.5"

    materials.item(0, 1).setText("0.5")
    assert errors and "Relative permittivity must be a number >= 1" in errors[-1][1]
    assert window.document.scene.materials[name].relative_permittivity == 7.5
    assert materials.item(0, 1).text() == "7.5"
    materials.item(0, 2).setText("-1")
    assert "Thickness" in errors[-1][1]
    assert window.document.undo_stack.count() == 1

    window.action_undo.trigger()
    assert window.document.scene.materials[name] == before
    assert materials.item(0, 1).text() == f"{before.relative_permittivity:g}"






def test_save_and_open_round_trip_through_menus(window, tmp_path, monkeypatch):
    target = tmp_path / "hall"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "TwinLoc projects"))
    window.document.move_anchor(window.document.project.anchors[0].name, (1.5, 2.5, 2.0))
    saved_anchors = window.document.project.anchors
    window.action_save.trigger()
    path = tmp_path / "hall.twinloc"
    assert path.exists() and load_project(path).anchors == saved_anchors
    assert not window.isWindowModified()
    assert window.windowTitle() == "hall[*] — TwinLoc"
    assert window.recent_files()[0] == str(path.resolve())

    window.document.remove_anchors([a.name for a in saved_anchors])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.action_open.trigger()
    assert window.document.project.anchors == saved_anchors
    assert window.document.path == path.resolve()
    assert not window.document.is_modified


def test_opening_a_broken_file_shows_error_and_keeps_project(window, tmp_path, monkeypatch, errors):
    broken = tmp_path / "broken.twinloc"
    broken.write_text("{ this is not json", encoding="utf-8")
    window.document.move_anchor(window.document.project.anchors[0].name, (1.0, 1.0, 2.0))
    project = window.document.project
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    window.action_open.trigger()
    assert len(errors) == 1 and errors[0][0] == "Could not open"
    assert "broken.twinloc" in errors[0][1]
    assert window.document.project is project
    assert window.document.is_modified and window.document.undo_stack.count() == 1


def test_export_anchors_csv_and_json(window, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "anchors"), ""))
    window.action_export_csv.trigger()
    lines = (tmp_path / "anchors.csv").read_text().splitlines()
    assert lines[0] == "name,x_m,y_m,z_m,enabled" and len(lines) == 4
    window.action_export_json.trigger()
    data = json.loads((tmp_path / "anchors.json").read_text())
    assert [a["name"] for a in data["anchors"]] == [a.name for a in window.document.project.anchors]


def test_closing_with_unsaved_changes_asks(window, monkeypatch):
    window.document.move_anchor(window.document.project.anchors[0].name, (1.0, 1.0, 2.0))
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    assert not window.close()
    assert window.isVisible()
    assert window.close()
    assert not window.isVisible()


def test_geometry_and_docks_restored_from_settings(make_window, qtbot):
    first = make_window()
    first.resize(700, 500)
    first.feature("anchors").dock.hide()
    qtbot.wait(50)
    assert first.close()
    second = make_window()
    assert second.size().width() == 700 and second.size().height() == 500
    assert second.feature("anchors").dock.isHidden()
    assert not second.feature("scene").dock.isHidden()


def test_autosave_and_recovery(window, tmp_path, make_window, monkeypatch):
    window.document.move_anchor(window.document.project.anchors[0].name, (3.0, 3.0, 2.0))
    window.autosave_now()
    assert (window.autosave_store.directory / f"autosave-{window.autosave_store.pid}.twinloc").exists()

    # A session that crashed: its marker and snapshot stay behind under a dead process id.
    crashed = AutosaveStore(tmp_path / "autosave")
    crashed.pid = 2**22 + 12345
    crashed.start_session()
    crashed.write(window.document.project, None)
    expected = window.document.project.anchors

    fresh = make_window()
    monkeypatch.setattr(type(fresh), "_ask_recovery", lambda self, candidate: True)
    assert fresh.offer_recovery()
    assert fresh.document.project.anchors == expected
    assert fresh.document.is_modified
    assert fresh.autosave_store.recoverable() is None


def test_the_window_starts_whatever_the_autosave_folder_holds(qtbot, tmp_path, window_settings):
    from twinloc.workspace import open_source
    from twinloc.gui.main_window import MainWindow

    # A stray marker whose "process id" overflows os.kill: removed, and the window starts.
    folder = tmp_path / "autosave"
    folder.mkdir()
    (folder / "session-99999999999999999999.json").write_text("{}", encoding="utf-8")
    window = MainWindow(open_source("uwb_hall"), settings=window_settings, autosave=AutosaveStore(folder))
    qtbot.addWidget(window)
    assert not (folder / "session-99999999999999999999.json").exists()
    window.close()

    # No folder can be made (a file is in the way): the window starts and says autosave is off.
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    window = MainWindow(open_source("uwb_hall"), settings=window_settings, autosave=AutosaveStore(blocked / "autosave"))
    qtbot.addWidget(window)
    assert window.statusBar().currentMessage().startswith("Autosave is off:")
    window.close()


def test_viewport_screenshot_is_not_blank(window, qtbot):
    wait_for_floor_map(qtbot, window)
    image = window.viewport.screenshot()
    assert image.ndim == 3 and image.shape[2] == 3
    assert image.std() > 10
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 100


def test_about_names_the_version(window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.action_about.trigger()
    import twinloc

    assert twinloc.__version__ in shown[0]




def test_a_copied_project_whose_scene_stayed_behind_asks_where_it_is(window, tmp_path, monkeypatch, errors):
    site, copy = tmp_path / "site", tmp_path / "copy"
    site.mkdir()
    copy.mkdir()
    shutil.copy(shipped_scene_path("uwb_hall"), site / "hall.json")
    assert window.open_source(str(site / "hall.json"))
    window.document.move_anchor(window.document.project.anchors[0].name, (1.5, 2.5, 2.0))
    anchors = window.document.project.anchors
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(site / "hall.twinloc"), ""))
    window.action_save.trigger()
    shutil.copy(site / "hall.twinloc", copy / "hall.twinloc")  # the scene (saved as "hall.json" beside it) is not copied

    captions = []

    def answer(*replies):
        """The next Open dialogs return ``replies`` in turn ("" = cancelled); their captions are kept."""
        replies = iter(replies)

        def dialog(parent, caption, *args, **kwargs):
            captions.append(caption)
            return next(replies), ""

        monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)

    # Cancelling the search leaves the open project as it was.
    answer(str(copy / "hall.twinloc"), "")
    window.action_open.trigger()
    assert "Locate the scene hall.json" in captions[-1] and not errors
    assert window.document.path == (site / "hall.twinloc").resolve() and not window.document.is_modified

    # Pointing at the scene opens the copy on it, anchors kept, modified until saved.
    answer(str(copy / "hall.twinloc"), str(site / "hall.json"))
    window.action_open.trigger()
    assert not errors
    assert window.document.path == (copy / "hall.twinloc").resolve()
    assert window.document.project.anchors == anchors
    assert window.document.project.scene.path == str((site / "hall.json").resolve())
    assert len(window.document.scene.objects) == len(load_scene(site / "hall.json").objects)
    assert window.document.is_modified and window.isWindowModified()

    # Saving records the new place (relative to the copy's folder): it opens without asking again.
    window.action_save.trigger()
    assert json.loads((copy / "hall.twinloc").read_text(encoding="utf-8"))["scene"]["path"] == "../site/hall.json"
    asked = len(captions)
    answer(str(copy / "hall.twinloc"))
    window.action_open.trigger()
    assert len(captions) == asked + 1 and window.document.project.anchors == anchors and not errors


def test_starting_on_a_project_whose_scene_moved_asks_where_it_is(qtbot, tmp_path, monkeypatch, errors):
    shutil.copy(shipped_scene_path("uwb_hall"), tmp_path / "hall.json")
    anchors = (Anchor("X1", (2.0, 3.0, 2.0)), Anchor("X2", (9.0, 1.0, 2.0)), Anchor("X3", (15.0, 6.0, 2.0)))
    save_project(Project(scene=SceneRef("uwb_hall", str(tmp_path / "gone" / "hall.json")), anchors=anchors), tmp_path / "p.twinloc")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "hall.json"), ""))
    window = gui_app.create_main_window(str(tmp_path / "p.twinloc"))
    qtbot.addWidget(window)
    assert not errors
    assert window.document.path == (tmp_path / "p.twinloc").resolve() and window.document.project.anchors == anchors
    assert window.document.is_modified
    window.document.undo_stack.setClean()
    window.close()

