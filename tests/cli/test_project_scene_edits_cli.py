"""Commands open a project with its scene edits applied, and refuse one whose edits the scene cannot take."""

from __future__ import annotations

import json

import numpy as np

from twinloc.cli import main
from twinloc.model.project import Project, SceneRef
from twinloc.model.project_file import save_project
from twinloc.model.scene_edits import SceneEdit


def test_scene_info_shows_the_objects_after_the_edits(tmp_path, capsys):
    path = tmp_path / "edited.twinloc"
    edits = (SceneEdit("remove", "column 2"), SceneEdit("move", "column 1", vector_m=(0.0, 1.5, 0.0)))
    save_project(Project(scene=SceneRef("uwb_hall"), scene_edits=edits), path)
    assert main(["scene", "info", "uwb_hall", "--json"]) == 0
    shipped = {obj["name"]: obj for obj in json.loads(capsys.readouterr().out)["objects"]}
    assert main(["scene", "info", str(path), "--json"]) == 0
    edited = {obj["name"]: obj for obj in json.loads(capsys.readouterr().out)["objects"]}
    assert set(edited) == set(shipped) - {"column 2"}
    np.testing.assert_allclose(edited["column 1"]["bounds"], np.add(shipped["column 1"]["bounds"], [0.0, 1.5, 0.0]))
    assert edited["column 3"]["bounds"] == shipped["column 3"]["bounds"]


def test_an_edit_of_a_missing_object_is_one_error_line(tmp_path, capsys):
    path = tmp_path / "broken.twinloc"
    save_project(Project(scene=SceneRef("uwb_hall"), scene_edits=(SceneEdit("remove", "statue"),)), path)
    assert main(["scene", "info", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"twinloc: error: {path}: scene_edits: edit 1 (remove 'statue'): the scene has no object")
