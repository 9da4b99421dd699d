"""The .twinloc file: round trip, atomic save, and every kind of broken file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from twinloc.model import atomic, project_file
from twinloc.model.devices import Anchor, BaseStation
from twinloc.model.project import MaterialOverride, Project, ResultRecord, SceneRef, Settings
from twinloc.model.project_file import (
    FORMAT_VERSION,
    ProjectFileError,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
)


def make_project(scene_path: str | None = None) -> Project:
    return Project(
        scene=SceneRef(name="uwb_hall", path=scene_path),
        anchors=(Anchor("A1", (0.5, 0.5, 2.5)), Anchor("A2", (17.8, 0.5, 2.5), enabled=False)),
        base_stations=(BaseStation("BS1", (9.0, 4.0, 3.0)),),
        settings=Settings(tag_height_m=1.2, grid_resolution_m=0.25, mounting_height_m=2.4),
        material_overrides={"concrete": MaterialOverride(relative_permittivity=6.1), "glass": MaterialOverride(color="#112233")},
        results=(ResultRecord("los_map", "2024-05-01T10:00:00+00:00", {"cells": 12, "fraction_los_ge_3": 0.5}),),
    )


def test_round_trip_gives_an_equal_project(tmp_path: Path) -> None:
    project = make_project()
    save_project(project, tmp_path / "a.twinloc")
    assert load_project(tmp_path / "a.twinloc") == project


def test_file_layout_is_the_documented_one(tmp_path: Path) -> None:
    save_project(make_project(), tmp_path / "a.twinloc")
    data = json.loads((tmp_path / "a.twinloc").read_text(encoding="utf-8"))
    assert data["format"] == "twinloc-project" and data["version"] == FORMAT_VERSION
    assert data["anchors"][1] == {"name": "A2", "position": [17.8, 0.5, 2.5], "enabled": False}
    assert data["scene"] == {"name": "uwb_hall", "path": None}
    assert data["material_overrides"]["concrete"]["relative_permittivity"] == 6.1


def test_scene_path_is_stored_relative_and_loaded_absolute(tmp_path: Path) -> None:
    scene_file = tmp_path / "scenes" / "hall.json"
    project = make_project(str(scene_file))
    (tmp_path / "projects").mkdir()
    save_project(project, tmp_path / "projects" / "a.twinloc")
    data = json.loads((tmp_path / "projects" / "a.twinloc").read_text(encoding="utf-8"))
    assert data["scene"]["path"] == "../scenes/hall.json"
    loaded = load_project(tmp_path / "projects" / "a.twinloc")
    assert Path(loaded.scene.path) == scene_file.resolve()


def test_project_from_dict_without_folder_keeps_the_path_as_written() -> None:
    data = project_to_dict(make_project("scenes/hall.json"))
    assert project_from_dict(data).scene.path == "scenes/hall.json"


def test_missing_optional_sections_take_defaults() -> None:
    project = project_from_dict({"format": "twinloc-project", "version": 1, "scene": {"name": "x"}})
    assert project == Project(scene=SceneRef("x"))
    assert project.settings.grid_resolution_m is None  # adapted to the floor area


def test_an_automatic_resolution_is_stored_as_null_and_a_chosen_one_kept() -> None:
    automatic = Project(scene=SceneRef("x"))
    data = project_to_dict(automatic)
    assert data["settings"]["grid_resolution_m"] is None
    assert project_from_dict(json.loads(json.dumps(data))) == automatic
    chosen = project_to_dict(Project(scene=SceneRef("x"), settings=Settings(grid_resolution_m=0.1)))
    assert project_from_dict(chosen).settings.grid_resolution_m == 0.1


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_a_crash_mid_save_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    path = tmp_path / "a.twinloc"
    old = make_project()
    save_project(old, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash")

    if failing == "write":
        # Crash after part of the new text reached the temporary file.
        real_fdopen = os.fdopen

        class HalfWriter:
            def __init__(self, stream):
                self.stream = stream

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.stream.close()

            def write(self, text):
                self.stream.write(text[: len(text) // 2])
                raise RuntimeError("simulated crash")

        monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(atomic.os, failing, crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        save_project(old.with_anchors(()), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_project(path) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.twinloc"]


def test_a_crash_while_serialising_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.twinloc"
    save_project(make_project(), path)
    before = path.read_bytes()
    monkeypatch.setattr(project_file.json, "dumps", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        save_project(make_project().with_anchors(()), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.twinloc"]


def test_save_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.twinloc"
    save_project(make_project(), path)
    path.chmod(0o640)
    save_project(make_project(), path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_save_into_a_missing_folder_is_a_project_file_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="cannot save"):
        save_project(make_project(), tmp_path / "missing" / "a.twinloc")


def _valid() -> dict:
    return project_to_dict(make_project())


def _with(**changes) -> str:
    data = _valid()
    data.update(changes)
    return json.dumps(data)


def _anchor_with(position) -> str:
    data = _valid()
    data["anchors"][0]["position"] = position
    return json.dumps(data)


BROKEN = {
    "truncated JSON": ('{"format": "twinloc-project",\n "version": 1,\n "scene": {', "malformed JSON at line 3"),
    "not an object": ("[1, 2, 3]", "not a TwinLoc project"),
    "another format": (json.dumps({"format": "something-else", "version": 1}), "not a TwinLoc project"),
    "newer version": (_with(version=FORMAT_VERSION + 1), f"newer TwinLoc (project format version {FORMAT_VERSION + 1})"),
    "version a string": (_with(version="1"), "version: expected a positive integer"),
    "NaN position": (json.dumps(_valid()).replace("0.5, 0.5, 2.5", "NaN, 0.5, 2.5", 1), "invalid number NaN"),
    "Infinity": (json.dumps(_valid()).replace("6.1", "Infinity"), "invalid number Infinity"),
    "position of two": (_anchor_with([1, 2]), "anchors[0].position: expected [x, y, z]"),
    "position text": (_anchor_with(["a", 1, 2]), "anchors[0].position: expected a number"),
    "anchors not a list": (_with(anchors={"A1": 1}), "anchors: expected a list"),
    "scene missing": (_with(scene=None), "scene: expected an object"),
    "bad resolution": (_with(settings={"grid_resolution_m": -1}), "settings: grid resolution"),
    "resolution text": (_with(settings={"grid_resolution_m": "fine"}), "settings.grid_resolution_m: expected a number"),
    "bad colour": (_with(material_overrides={"concrete": {"color": "red"}}), "color: expected '#rrggbb'"),
    "permittivity below one": (
        _with(material_overrides={"concrete": {"relative_permittivity": 0.5}}),
        "relative_permittivity: must be >= 1",
    ),
    "enabled as text": (json.dumps(_valid()).replace('"enabled": false', '"enabled": "no"'), "anchors[1].enabled"),
    "enabled as the text false": (
        json.dumps(_valid()).replace('"enabled": false', '"enabled": "false"'),
        "anchors[1].enabled: expected true or false, got 'false'",
    ),
    "an anchor name twice": (
        json.dumps(_valid()).replace('"name": "A2"', '"name": "A1"'), "anchors[1].name: the name 'A1' is used twice"
    ),
    "a base station name twice": (
        _with(base_stations=[{"name": "BS", "position": [0, 0, 1]}, {"name": "BS", "position": [1, 0, 1]}]),
        "base_stations[1].name: the name 'BS' is used twice",
    ),
    "integer of 400 digits": (_anchor_with([10**400, 1, 2]), "has more than 19 digits"),
    "integer of 5000 digits": (_with(version=1).replace('"version": 1', '"version": 1' + "0" * 5000), "has more than 19 digits"),
    "coordinate 1e300": (_anchor_with([1e300, 1, 2]), "anchors[0].position: 1e+300 is beyond ±100,000"),
    "nested 200,000 deep": (_with(results=[{"kind": "k", "created": "c", "summary": {"x": "DEEP"}}])
                            .replace('"DEEP"', "[" * 200_000 + "]" * 200_000), "nested more than 64 levels deep"),
    "nested 65 deep": (_with(results=[{"kind": "k", "created": "c", "summary": {"x": json.loads("[" * 61 + "]" * 61)}}]),
                       "nested more than 64 levels deep"),
    "1001 anchors": (_with(anchors=[{"name": f"A{i}", "position": [0, 0, 1]} for i in range(1001)]),
                     "anchors: 1,001 entries, more than the 1,000 a project may have"),
    "name of 201 characters": (json.dumps(_valid()).replace('"name": "A2"', f'"name": "{"x" * 201}"'),
                               "anchors[1].name: 201 characters, more than the 200"),
    "negative seed": (_with(error_map={"seed": -1}), "seed must be between 0 and 2**32 - 1"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_is_refused_with_its_name_and_problem(tmp_path: Path, case: str) -> None:
    text, problem = BROKEN[case]
    path = tmp_path / "broken.twinloc"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectFileError) as caught:
        load_project(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert problem in message, message
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["broken.twinloc"]


def test_missing_and_binary_files_are_project_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="no such project file"):
        load_project(tmp_path / "none.twinloc")
    binary = tmp_path / "b.twinloc"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectFileError, match="not UTF-8"):
        load_project(binary)


def test_error_map_settings_round_trip_and_are_validated(tmp_path):
    from twinloc.model.analysis import ErrorMapSettings, RangingModel
    from twinloc.model.project import Project, SceneRef
    from twinloc.model.project_file import ProjectFileError, load_project, project_to_dict, save_project

    project = Project(SceneRef("uwb_hall")).with_error_map(
        ErrorMapSettings(monte_carlo_draws=50, seed=3, ranging=RangingModel(nlos_std_m=0.3, incidence_correction=True))
    )
    path = tmp_path / "p.twinloc"
    save_project(project, path)
    assert load_project(path).error_map == project.error_map

    data = project_to_dict(project)
    data["error_map"]["ranging"]["los_std_m"] = -1
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectFileError, match="standard deviations must be >= 0"):
        load_project(path)
    data["error_map"]["ranging"]["los_std_m"] = 0.03
    data["error_map"]["seed"] = 1.5
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectFileError, match=r"error_map\.seed: expected a whole number"):
        load_project(path)


def test_the_deepest_allowed_nesting_loads(tmp_path: Path) -> None:
    # Top-level object (1), results (2), the record (3), summary (4), then 60 lists: 64 levels.
    data = _valid()
    data["results"] = [{"kind": "k", "created": "c", "summary": {"x": json.loads("[" * 60 + "]" * 60)}}]
    path = tmp_path / "deep.twinloc"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_project(path).results[0].kind == "k"


def test_a_pipe_and_an_oversized_file_are_refused_without_reading_them(tmp_path: Path) -> None:
    fifo = tmp_path / "x.twinloc"
    os.mkfifo(fifo)  # reading it would wait forever for a writer
    with pytest.raises(ProjectFileError, match="x.twinloc: cannot read the project: is not a regular file"):
        load_project(fifo)
    big = tmp_path / "big.twinloc"
    with big.open("wb") as stream:
        stream.truncate(project_file.PROJECT_FILE_LIMIT_BYTES + 1)  # sparse: takes no disk space
    with pytest.raises(ProjectFileError, match="larger than the 16 MiB"):
        load_project(big)
