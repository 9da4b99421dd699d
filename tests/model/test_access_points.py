"""Access points: the device, its scene-file and project-file forms, and `twinloc scene info`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twinloc.cli import main
from twinloc.geometry.errors import SceneError
from twinloc.geometry.scene_file import load_scene_file
from twinloc.model.devices import AccessPoint
from twinloc.model.project import Project, SceneRef
from twinloc.model.project_file import ProjectFileError, load_project, project_from_dict, project_to_dict, save_project

ROOM = {
    "format": "twinloc-scene", "version": 1, "name": "ap room", "units": "m",
    "objects": [{"name": "floor", "kind": "surface", "material": "concrete",
                 "primitive": {"type": "plane", "size": [6.0, 4.0]}, "transform": {"translation": [3.0, 2.0, 0.0]}}],
    "access_points": [
        {"name": "AP1", "position": [1.0, 1.0, 3.0]},
        {"name": "AP2", "position": [5.0, 3.0, 3.0], "frequency_ghz": 5.2, "power_dbm": 14.5, "enabled": False},
    ],
}


def write_scene(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "room.json"
    path.write_text(json.dumps(data))
    return path


def test_an_access_point_defaults_to_2_4_ghz_and_20_dbm_and_moves():
    point = AccessPoint("AP1", (1.0, 2.0, 3.0))
    assert (point.frequency_hz, point.power_dbm, point.enabled) == (2.4e9, 20.0, True)
    assert point.moved_to((4, 5, 6)) == AccessPoint("AP1", (4.0, 5.0, 6.0))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"frequency_hz": 5e7}, "frequency must be 0.1 to 100 GHz"),
        ({"frequency_hz": float("nan")}, "frequency"),
        ({"power_dbm": 61.0}, "transmit power must be -50 to 60 dBm"),
        ({"name": " "}, "access point name must be a non-empty string"),
    ],
)
def test_an_access_point_refuses_impossible_values(fields, message):
    with pytest.raises(ValueError, match=message):
        AccessPoint(**{"name": "AP1", "position": (0.0, 0.0, 3.0), **fields})


def test_the_scene_file_reads_access_points_with_defaults(tmp_path):
    scene = load_scene_file(write_scene(tmp_path, ROOM))
    assert scene.access_points == (
        AccessPoint("AP1", (1.0, 1.0, 3.0)),
        AccessPoint("AP2", (5.0, 3.0, 3.0), frequency_hz=5.2e9, power_dbm=14.5, enabled=False),
    )


def test_a_scene_without_access_points_has_none(tmp_path):
    assert load_scene_file(write_scene(tmp_path, {**ROOM, "access_points": []})).access_points == ()
    assert load_scene_file(write_scene(tmp_path, {k: v for k, v in ROOM.items() if k != "access_points"})).access_points == ()


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([{"name": "AP1", "position": [0, 0, 3]}, {"name": "AP1", "position": [1, 0, 3]}], "access point names must be unique"),
        ([{"name": "AP1", "position": [0, 0, 3], "frequency_ghz": 500}], "frequency must be 0.1 to 100 GHz"),
        ([{"name": "AP1", "position": [0, 0, 3], "power_dbm": "loud"}], "power_dbm must be a number"),
        ([{"name": "AP1", "position": [0, 0]}], "position must be 3 numbers"),
        ("AP1", "'access_points' must be a list"),
    ],
)
def test_bad_access_points_in_a_scene_file_name_the_file(tmp_path, points, message):
    path = write_scene(tmp_path, {**ROOM, "access_points": points})
    with pytest.raises(SceneError, match=message) as caught:
        load_scene_file(path)
    assert str(path) in str(caught.value)


def test_a_project_keeps_its_access_points(tmp_path):
    project = Project(
        scene=SceneRef(name="uwb_hall"),
        access_points=(AccessPoint("AP1", (1.0, 2.0, 3.0), 5.8e9, 10.0, False), AccessPoint("AP2", (0.0, 0.0, 3.0))),
    )
    save_project(project, tmp_path / "p.twinloc")
    data = json.loads((tmp_path / "p.twinloc").read_text())
    assert data["access_points"][0] == {
        "name": "AP1", "position": [1.0, 2.0, 3.0], "enabled": False, "frequency_ghz": 5.8, "power_dbm": 10.0,
    }
    assert load_project(tmp_path / "p.twinloc") == project


def test_an_older_project_without_access_points_opens_with_none():
    data = project_to_dict(Project(scene=SceneRef(name="uwb_hall")))
    del data["access_points"]
    assert project_from_dict(data).access_points == ()


def test_a_bad_access_point_in_a_project_says_where():
    data = project_to_dict(Project(scene=SceneRef(name="uwb_hall"), access_points=(AccessPoint("AP1", (0, 0, 3)),)))
    data["access_points"][0]["power_dbm"] = 99
    with pytest.raises(ProjectFileError, match=r"access_points\[0\]: access point 'AP1': transmit power"):
        project_from_dict(data, source="p.twinloc")


def test_scene_info_lists_access_points(tmp_path, capsys):
    path = write_scene(tmp_path, ROOM)
    assert main(["scene", "info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["access_points"][1] == {
        "name": "AP2", "position": [5.0, 3.0, 3.0], "enabled": False, "frequency_ghz": 5.2, "power_dbm": 14.5,
    }
    assert main(["scene", "info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Access points (2)" in text and "AP2" in text and "5.2" in text
