"""ProjectDocument: undoable snapshot edits, change signals, selection, modified state."""

from __future__ import annotations

from dataclasses import replace

import pytest

from twinloc.geometry.materials import Material, material_presets
from twinloc.geometry.primitives import box_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.gui.document import ProjectDocument
from twinloc.model.analysis import RangingModel
from twinloc.model.devices import AccessPoint, Anchor
from twinloc.model.project import Project, ResultRecord, SceneRef, Settings


def small_scene() -> Scene:
    presets = material_presets()
    pillar = SceneObject("pillar", ObjectKind.SOLID, "concrete", *box_mesh((1, 1, 3), (5, 5, 1.5)))
    wall = SceneObject("wall", ObjectKind.SURFACE, "plasterboard", *wall_mesh((0, 8), (10, 8), 0.0, 3.0))
    return Scene(
        name="small",
        objects=(pillar, wall),
        materials={"concrete": presets["concrete"], "plasterboard": presets["plasterboard"]},
    )


@pytest.fixture
def document(qtbot):
    project = Project(scene=SceneRef("small"), anchors=(Anchor("A1", (1, 1, 2)), Anchor("A2", (9, 1, 2))))
    return ProjectDocument(project, small_scene())


class SignalLog:
    """Records which document signals fired."""

    NAMES = ("sceneChanged", "anchorsChanged", "accessPointsChanged", "baseStationsChanged", "materialsChanged",
             "settingsChanged", "resultsChanged")

    def __init__(self, document: ProjectDocument) -> None:
        self.fired: list[str] = []
        for name in self.NAMES:
            getattr(document, name).connect(lambda *_, n=name: self.fired.append(n))


def test_move_is_undoable_and_emits_only_anchors(document):
    log = SignalLog(document)
    document.move_anchor("A2", (8, 2, 2.5))
    assert document.anchor("A2").position == (8.0, 2.0, 2.5)
    assert log.fired == ["anchorsChanged"]
    assert document.undo_stack.undoText() == "Move anchor A2"
    assert document.is_modified
    document.undo_stack.undo()
    assert document.anchor("A2").position == (9.0, 1.0, 2.0)
    assert not document.is_modified
    document.undo_stack.redo()
    assert document.anchor("A2").position == (8.0, 2.0, 2.5)


def test_successive_moves_of_one_anchor_merge(document):
    document.move_anchor("A1", (2, 2, 2))
    document.move_anchor("A1", (3, 3, 2))
    document.move_anchor("A2", (4, 4, 2))
    assert document.undo_stack.count() == 2
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.anchor("A1").position == (1.0, 1.0, 2.0)


def test_moves_do_not_merge_across_a_save(document, tmp_path):
    document.move_anchor("A1", (2, 2, 2))
    document.mark_saved(tmp_path / "p.twinloc")
    document.move_anchor("A1", (3, 3, 2))
    assert document.undo_stack.count() == 2
    document.undo_stack.undo()
    assert not document.is_modified


def test_add_remove_rename_keep_selection_consistent(document, qtbot):
    with qtbot.waitSignal(document.selectionChanged) as blocker:
        name = document.add_anchor((5, 2, 2))
    assert name == "A3" and blocker.args == [["A3"]]
    document.rename_anchor("A3", "North")
    assert document.selection == ["North"]
    with pytest.raises(ValueError, match="already exists"):
        document.rename_anchor("North", "A1")
    with pytest.raises(ValueError, match="empty"):
        document.rename_anchor("North", "  ")
    document.set_selection(["A1", "North", "nope"])
    assert document.selection == ["A1", "North"]
    document.remove_anchors(["North", "A1"])
    assert [a.name for a in document.project.anchors] == ["A2"]
    assert document.selection == []
    assert document.undo_stack.undoText() == "Remove 2 anchors"
    document.undo_stack.undo()
    assert [a.name for a in document.project.anchors] == ["A1", "A2", "North"]


def test_access_point_edits_are_undoable_and_emit_only_access_points(qtbot):
    wifi = AccessPoint("W1", (2.0, 3.0, 2.8), frequency_hz=5.2e9, power_dbm=17.0)
    project = Project(scene=SceneRef("small"), anchors=(Anchor("A1", (1, 1, 2)),), access_points=(wifi,))
    document = ProjectDocument(project, small_scene())
    log = SignalLog(document)

    assert document.add_access_point((5, 2, 2.5)) == "AP1"
    assert document.access_point("AP1") == AccessPoint("AP1", (5.0, 2.0, 2.5), 2.4e9, 20.0, True)
    document.move_access_point("W1", (3, 3, 2.8))
    document.move_access_point("W1", (4, 3, 2.8))  # successive moves of one access point merge
    document.set_access_point_radio("W1", frequency_hz=2.437e9)
    document.set_access_point_radio("W1", power_dbm=10.0)
    document.set_access_point_enabled("AP1", False)
    document.rename_access_point("AP1", "Hall")
    assert log.fired == ["accessPointsChanged"] * 7
    assert document.access_point("W1") == AccessPoint("W1", (4.0, 3.0, 2.8), 2.437e9, 10.0, True)
    assert not document.access_point("Hall").enabled
    assert document.undo_stack.count() == 6
    assert document.undo_stack.undoText() == "Rename access point AP1 to Hall"

    # Transmitter names are unique over access points and anchors; the limits of AccessPoint hold.
    for edit, message in ((lambda: document.rename_access_point("W1", "A1"), "A transmitter named 'A1' already exists"),
                          (lambda: document.rename_access_point("W1", " "), "must not be empty"),
                          (lambda: document.add_access_point((0, 0, 1), "Hall"), "A transmitter named 'Hall'"),
                          (lambda: document.set_access_point_radio("W1", frequency_hz=2e11), "frequency must be 0.1 to 100 GHz"),
                          (lambda: document.set_access_point_radio("W1", power_dbm=float("nan")), "transmit power"),
                          (lambda: document.move_access_point("W1", (float("inf"), 0, 1)), "three finite numbers")):
        with pytest.raises(ValueError, match=message):
            edit()
    assert document.undo_stack.count() == 6

    with pytest.raises(ValueError, match="An access point named 'W1' already exists"):
        document.rename_anchor("A1", "W1")
    with pytest.raises(ValueError, match="An access point named 'Hall' already exists"):
        document.add_anchor((1, 2, 2), "Hall")
    assert document.undo_stack.count() == 6

    document.remove_access_points(["Hall", "W1"])
    assert document.project.access_points == () and document.undo_stack.undoText() == "Remove 2 access points"
    while document.undo_stack.canUndo():
        document.undo_stack.undo()
    assert document.project == project and not document.is_modified


def test_enable_and_settings_are_undoable(document):
    log = SignalLog(document)
    document.set_anchor_enabled("A1", False)
    assert not document.anchor("A1").enabled
    document.set_settings(Settings(mounting_height_m=2.5))
    document.set_settings(Settings(mounting_height_m=2.7))
    assert log.fired == ["anchorsChanged", "settingsChanged", "settingsChanged"]
    assert document.undo_stack.count() == 2  # the two settings edits merged
    document.undo_stack.undo()
    assert document.project.settings.mounting_height_m == 2.0


def test_material_edit_updates_effective_scene_and_undoes(document):
    log = SignalLog(document)
    concrete = document.scene.materials["concrete"]
    document.set_material("concrete", Material("concrete", 7.5, concrete.thickness_m, "#ff0000"))
    assert log.fired == ["materialsChanged"]
    assert document.scene.materials["concrete"].relative_permittivity == 7.5
    assert document.base_scene.materials["concrete"].relative_permittivity == concrete.relative_permittivity
    override = document.project.material_overrides["concrete"]
    assert override.relative_permittivity == 7.5 and override.thickness_m is None and override.color == "#ff0000"
    assert document.undo_stack.undoText() == "Edit material concrete"
    document.undo_stack.undo()
    assert document.scene.materials["concrete"] == concrete
    assert document.project.material_overrides == {}


def test_material_edit_back_to_scene_value_drops_override(document):
    concrete = document.scene.materials["concrete"]
    document.set_material("concrete", Material("concrete", 6.0, concrete.thickness_m, concrete.color))
    document.set_material("concrete", concrete)
    assert document.project.material_overrides == {}
    with pytest.raises(KeyError):
        document.set_material("glass", concrete)


def test_several_materials_and_the_ranging_model_change_in_one_undo_step(document):
    log = SignalLog(document)
    concrete, plasterboard = (document.scene.materials[name] for name in ("concrete", "plasterboard"))
    before = document.project.error_map.ranging
    ranging = RangingModel(nlos_mean_m=0.13)
    document.set_materials({"concrete": replace(concrete, relative_permittivity=6.8),
                            "plasterboard": replace(plasterboard, relative_permittivity=3.5)}, "Calibrate materials", ranging)
    assert log.fired == ["materialsChanged"] and document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Calibrate materials"
    assert [document.scene.materials[name].relative_permittivity for name in ("concrete", "plasterboard")] == [6.8, 3.5]
    assert document.project.error_map.ranging.nlos_mean_m == 0.13
    document.undo_stack.undo()
    assert document.scene.materials["concrete"] == concrete and document.scene.materials["plasterboard"] == plasterboard
    assert document.project.error_map.ranging == before


def test_result_record_and_load(document, tmp_path, qtbot):
    document.add_result(ResultRecord("los_map", "2024-01-01T00:00:00+00:00", {"cells": 3}))
    assert document.undo_stack.undoText() == "Record los map"
    replacement = Project(scene=SceneRef("small"))
    with qtbot.waitSignals([document.sceneChanged, document.anchorsChanged, document.projectPathChanged]):
        document.load(replacement, small_scene(), tmp_path / "x.twinloc")
    assert document.project is replacement
    assert document.display_name == "x"
    assert document.undo_stack.count() == 0 and not document.is_modified
    document.load(replacement, small_scene(), None, modified=True)
    assert document.is_modified and document.display_name == "small"
