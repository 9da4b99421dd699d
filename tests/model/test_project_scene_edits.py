"""A project's scene edits (objects the user moved or removed): saved, loaded, checked, applied on open."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from twinloc.model.project import Project, SceneRef
from twinloc.model.project_file import ProjectFileError, load_project, project_to_dict, save_project
from twinloc.model.scene_edits import SceneEdit
from twinloc.workspace import open_source

EDITS = (SceneEdit("move", "column 1", vector_m=(0.0, 1.5, 0.0)), SceneEdit("remove", "column 2"))


def test_scene_edits_round_trip_in_the_documented_layout(tmp_path: Path) -> None:
    project = Project(scene=SceneRef("uwb_hall"), scene_edits=EDITS)
    save_project(project, tmp_path / "a.twinloc")
    data = json.loads((tmp_path / "a.twinloc").read_text(encoding="utf-8"))
    assert data["scene_edits"] == [{"action": "move", "object": "column 1", "vector_m": [0.0, 1.5, 0.0]},
                                   {"action": "remove", "object": "column 2"}]
    assert load_project(tmp_path / "a.twinloc") == project


def test_opening_the_project_gives_the_edited_scene(tmp_path: Path) -> None:
    path = tmp_path / "edited.twinloc"
    save_project(Project(scene=SceneRef("uwb_hall"), scene_edits=EDITS), path)
    workspace = open_source(str(path))
    shipped = {obj.name: obj for obj in open_source("uwb_hall").scene.objects}
    edited = {obj.name: obj for obj in workspace.scene.objects}
    assert "column 2" not in edited and set(edited) == set(shipped) - {"column 2"}
    np.testing.assert_array_equal(edited["column 1"].vertices, shipped["column 1"].vertices + [0.0, 1.5, 0.0])
    np.testing.assert_array_equal(edited["column 3"].vertices, shipped["column 3"].vertices)
    assert {obj.name for obj in workspace.base_scene.objects} == set(shipped)  # the file's scene is untouched


def _saved_with(tmp_path: Path, edits) -> Path:
    data = project_to_dict(Project(scene=SceneRef("uwb_hall")))
    data["scene_edits"] = edits
    path = tmp_path / "broken.twinloc"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("edits, problem", [
    ({"action": "move"}, "scene_edits: expected a list"),
    ([{"action": "rotate", "object": "column 1"}], 'scene_edits[0]: "action" must be one of move, add, remove, material'),
    ([{"action": "move", "object": "column 1", "vector_m": [1, 2]}], "scene_edits[0]: vector_m: must be three finite"),
    ([{"action": "remove", "object": "column 1"}] * 1001, "scene_edits: 1,001 entries, more than the 1,000"),
])
def test_a_malformed_scene_edit_is_refused_naming_it(tmp_path: Path, edits, problem: str) -> None:
    path = _saved_with(tmp_path, edits)
    with pytest.raises(ProjectFileError) as caught:
        load_project(path)
    assert str(caught.value).startswith(f"{path}: ") and problem in str(caught.value)


def test_an_edit_of_an_object_the_scene_lacks_is_refused_on_open(tmp_path: Path) -> None:
    path = _saved_with(tmp_path, [{"action": "remove", "object": "statue"}])
    with pytest.raises(ProjectFileError, match="scene_edits: edit 1 \\(remove 'statue'\\): the scene has no object of that name"):
        open_source(str(path))
