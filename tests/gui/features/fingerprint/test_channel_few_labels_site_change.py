"""The channel dataset, few-labels and site-change sections of the Fingerprinting dock in a real
window: generate a dataset, learn from a quarter of its labels with the consistency method and
see the pseudo-label rounds, move a shelf and see the change map and the stale banner, Update.

The room is 10 m x 4 m with a concrete floor and three access points (tests/fingerprint's
``write_floor_scene``) plus a 1 m x 0.4 m x 2 m metal shelf; at a 1 m resolution its floor grid
is the 40 cell centres (0.5 .. 9.5, 0.5 .. 3.5).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixtures_window import autosave_store, make_window, window_settings  # noqa: F401
from test_model_twin import survey_rows, write_survey

from tests.fingerprint.conftest import write_floor_scene

pytestmark = pytest.mark.gui

ACCESS_POINTS = {"ap1": (0.0, 0.0, 2.5), "ap2": (10.0, 0.0, 2.5), "ap3": (5.0, 4.0, 2.5)}
SHELF = {"name": "shelf", "kind": "solid", "material": "metal", "primitive": {"type": "box", "size": [1.0, 0.4, 2.0]},
         "transform": {"translation": [6.0, 1.0, 1.0]}}
#: The 1 m floor grid's cell centres.
CELLS = np.array([(x + 0.5, y + 0.5) for y in range(4) for x in range(10)])
TIMEOUT_MS = 120_000


def room_with_shelf(tmp_path) -> str:
    path = tmp_path / "room.json"
    write_floor_scene(path, (10.0, 4.0), ACCESS_POINTS)
    descriptor = json.loads(path.read_text())
    descriptor["materials"]["metal"] = {"preset": "metal"}
    descriptor["objects"].append(SHELF)
    path.write_text(json.dumps(descriptor))
    return str(path)


def wait(qtbot, window, condition) -> None:
    qtbot.waitUntil(lambda: window.runner.is_idle and condition(), timeout=TIMEOUT_MS)


def drawn_points(window):
    """The floor markers drawn in the viewport: (label or title, (N, 2) points)."""
    return {(item.label or item.title): np.asarray(item.points)[:, :2] for item in window.viewport.floor_markers()}


def test_generate_a_dataset_and_learn_from_few_labels(make_window, qtbot, tmp_path, errors):
    window = make_window(room_with_shelf(tmp_path))
    controller = window.feature("fingerprint").controller
    dock = window.feature("fingerprint").dock

    section = dock.channel_section
    assert [section.station.itemText(i) for i in range(section.station.count())] == list(ACCESS_POINTS)
    section.station.setCurrentText("ap2")
    section.rows.setValue(1)
    section.columns.setValue(4)
    section.subcarriers.setValue(16)
    section.bandwidth.setValue(20.0)
    section.resolution.setValue(1.0)
    section.generate_button.click()  # no output file yet: a dialog, nothing runs
    assert errors == [("Cannot generate the dataset", "Choose the dataset file to write.")]
    assert not controller.channel.generating and controller.channel.dataset is None
    out = tmp_path / "room.npz"
    section.out_path.setText(str(out))
    section.generate_button.click()
    wait(qtbot, window, lambda: controller.channel.dataset is not None)

    dataset = controller.channel.dataset
    assert out.is_file() and len(dataset) == len(CELLS)
    assert sorted(map(tuple, dataset.positions[:, :2].round(6))) == sorted(map(tuple, CELLS))
    assert dataset.shape("angle_delay") == (40, 4, 16)
    assert dataset.provenance["base_station"] == "ap2"
    assert "40 samples of ap room from ap2: 1×4 antennas, 16 subcarriers over 20 MHz at 3.5 GHz, no noise" in section.summary.text()
    # A file that is not a dataset: a dialog naming it, and the dataset stays.
    (tmp_path / "notes.npz").write_text("not a dataset")
    section.load_file(str(tmp_path / "notes.npz"))
    assert errors[-1][0] == "Cannot load the dataset" and errors[-1][1].startswith(f"{tmp_path / 'notes.npz'}: not a CSI dataset")
    assert controller.channel.dataset is dataset
    # A band whose bandwidth exceeds its centre frequency: a dialog, nothing runs.
    section.centre.setValue(0.1)
    section.bandwidth.setValue(200.0)
    section.generate_button.click()
    assert errors[-1][0] == "Cannot generate the dataset" and "centre frequency must exceed the bandwidth" in errors[-1][1]
    assert not controller.channel.generating
    # Loading the file written before shows its provenance again.
    section.load_file(str(out))
    assert controller.channel.dataset is not dataset and len(controller.channel.dataset) == 40
    assert "ap2: 1×4 antennas" in section.summary.text()
    dataset = controller.channel.dataset
    del errors[:]

    few = dock.few_labels_section
    # One sector: no rotation, and the dock says why.
    assert not few.sector_rotation.isEnabled() and few.sector_reason.isVisible()
    assert few.sector_reason.text().startswith("Sector rotation needs a base station of 2 or more sectors")
    few.fraction.setValue(0.25)
    few.method.setCurrentIndex(few.method.findData("consistency"))
    few.input.setCurrentIndex(few.input.findData("multipath"))
    few.rounds.setValue(2)
    few.epochs.setValue(3)
    few.run_button.click()
    wait(qtbot, window, lambda: controller.few_labels.result is not None)
    assert not errors

    # 40 samples: 8 (20 %) tested, a quarter of the other 32 labelled, 24 unlabelled.
    result = controller.few_labels.result
    assert (result.labelled, result.unlabelled, len(result.test)) == (8, 24, 8)
    table = few.rounds_table
    assert table.rowCount() == 2
    for row in range(2):
        accepted, rejected = int(table.item(row, 1).text()), int(table.item(row, 2).text())
        assert accepted + rejected == 24
    assert few.errors.rowCount() == 1 and few.errors.item(0, 0).text() == "consistency, 25 % labelled"
    assert len(few.cdf.curves) == 1 and len(few.cdf.curves[0][1]) == 8
    # The test samples on the floor, where the dataset put them.
    assert window.floor.active == "ssl_test_errors"
    (shown,) = drawn_points(window).values()
    np.testing.assert_allclose(shown, dataset.positions[result.test, :2])

    # A run cancelled mid-training keeps the last result; an ensemble lists its members under it.
    few.epochs.setValue(10_000)
    few.run_button.click()
    few.cancel_button.click()
    wait(qtbot, window, lambda: not controller.few_labels.running)
    assert few.status.text() == "Run cancelled." and controller.few_labels.result is result
    few.epochs.setValue(3)
    few.method.setCurrentIndex(few.method.findData("ensemble"))
    few.run_button.click()
    wait(qtbot, window, lambda: controller.few_labels.result is not result)
    rows = [few.errors.item(row, 0).text() for row in range(few.errors.rowCount())]
    assert rows == ["ensemble, 25 % labelled", "  supervised", "  mean-teacher", "  consistency", "  weighted-average",
                    "  consensus", "consistency, 25 % labelled"]
    assert [curve for curve, _errors in few.cdf.curves] == ["ensemble, 25 % labelled", "consistency, 25 % labelled"]


def test_move_a_shelf_see_the_stale_banner_and_update(make_window, qtbot, tmp_path, errors):
    window = make_window(room_with_shelf(tmp_path))
    document = window.document
    controller = window.feature("fingerprint").controller
    dock = window.feature("fingerprint").dock
    dock.survey_section.import_csv(write_survey(tmp_path / "measured.csv", survey_rows()))
    wait(qtbot, window, lambda: controller.surveys.measured is not None)
    model = dock.model_section
    model.kind.setCurrentIndex(model.kind.findData("knn"))
    model.data.setCurrentIndex(model.data.findData("only"))
    model.train_button.click()
    wait(qtbot, window, lambda: controller.positioning.run is not None)
    site = dock.site_change_section
    assert site.banner.isHidden()

    before = next(obj for obj in document.scene.objects if obj.name == "shelf").vertices
    site.object.setCurrentText("shelf")
    site.shift[1].setValue(1.5)
    site.move_button.click()
    moved = next(obj for obj in document.scene.objects if obj.name == "shelf").vertices
    np.testing.assert_allclose(moved, before + [0.0, 1.5, 0.0])
    wait(qtbot, window, lambda: controller.changes.changes is not None)

    assert site.banner.isVisible()
    assert site.banner_text.text() == "Made on the twin before the change: the KNN positioning model (Model section)."
    assert site.update_button.isEnabled()
    # The change map on the floor (the twin's 0.9 m cells): the direct path from ap2 (10, 0, 2.5) to the cell
    # (5.85, 3.15, 1.0) meets y = 2.7 at x = 10 - 4.15 * 2.7 / 3.15 = 6.44, z = 1.21: through the moved shelf
    # (5.5-6.5 x, 2.3-2.7 y, 0-2 z), so the cell's radio map changed.
    assert window.floor.active == "change_map"
    changed = drawn_points(window)["radio map changed"]
    assert len(changed) == int(controller.changes.changes.changed_cells.sum()) > 0
    assert np.any(np.all(np.isclose(changed, [5.85, 3.15]), axis=1))

    # Undo takes the twin back: nothing changed, nothing stale; redo brings it all back.
    document.undo_stack.undo()
    wait(qtbot, window, lambda: controller.changes.changes is None)
    assert site.banner.isHidden() and window.floor.active != "change_map"
    document.undo_stack.redo()
    wait(qtbot, window, lambda: controller.changes.changes is not None)
    assert site.banner.isVisible()

    site.update_button.click()
    # While it runs only Cancel is offered (the task's signals reach the window only through its event loop).
    assert not site.update_button.isEnabled() and site.cancel_update_button.isEnabled()
    wait(qtbot, window, lambda: controller.changes.update is not None)
    assert not site.cancel_update_button.isEnabled()
    assert site.banner.isHidden()
    titles = [site.accuracy.item(row, 0).text() for row in range(site.accuracy.rowCount())]
    assert titles == ["Before the change", "After, not updated", "After the update", "Retrained from scratch"]
    assert site.update_note.text().startswith("Update took ")
    assert not errors


def generate(qtbot, window, section, out, station: str, sectors: int, resolution_m: float) -> None:
    """Generate a small dataset (1 x 4 antennas, 16 subcarriers over 20 MHz) through the section."""
    section.station.setCurrentText(station)
    section.columns.setValue(4)
    section.subcarriers.setValue(16)
    section.bandwidth.setValue(20.0)
    section.sectors.setValue(sectors)
    section.resolution.setValue(resolution_m)
    section.out_path.setText(str(out))
    section.generate_button.click()
    controller = window.feature("fingerprint").controller
    wait(qtbot, window, lambda: controller.channel.dataset is not None and controller.channel.dataset.path.name == out.name)


def test_sector_rotation_is_offered_only_where_the_twin_is_symmetric(make_window, qtbot, tmp_path, errors):
    # sector_hall is built 3-fold symmetric about BS1; the room's shelf and access points are not.
    window = make_window("sector_hall")
    few = window.feature("fingerprint").dock.few_labels_section
    generate(qtbot, window, window.feature("fingerprint").dock.channel_section, tmp_path / "hall.npz", "BS1", 3, 2.0)
    assert few.sector_rotation.isEnabled() and few.sector_reason.isHidden()
    few.sector_rotation.setChecked(True)
    few.method.setCurrentIndex(few.method.findData("supervised"))
    few.input.setCurrentIndex(few.input.findData("multipath"))
    few.epochs.setValue(2)
    few.run_button.click()
    controller = window.feature("fingerprint").controller
    wait(qtbot, window, lambda: controller.few_labels.result is not None)
    assert controller.few_labels.request.sector_rotation and not errors

    room = make_window(room_with_shelf(tmp_path))
    few = room.feature("fingerprint").dock.few_labels_section
    generate(qtbot, room, room.feature("fingerprint").dock.channel_section, tmp_path / "room.npz", "ap3", 3, 1.0)
    assert not few.sector_rotation.isEnabled() and few.sector_reason.isVisible()
    assert few.sector_reason.text().startswith("Sector rotation does not apply: ")
