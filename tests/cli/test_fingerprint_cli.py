"""`twinloc rp-plan` and the wifi_hall scene from the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from twinloc.fingerprint.rp_plan import NEAR_WALL

RECTANGLE = "0.5,0.5;3.5,0.5;3.5,1.5;0.5,1.5"


def test_rp_plan_json_csv_and_waypoints(cli, room_scene: str, tmp_path: Path) -> None:
    # The 3 m x 1 m boundary at 0.5 m: 16 RPs; the wall at x = 2 (y 0 to 1) runs through (2, 0.5),
    # while (2, 1.5) is 0.5 m from its end and stays.
    out, waypoints = tmp_path / "rps.csv", tmp_path / "route.json"
    status, stdout, _ = cli(["rp-plan", room_scene, "--markers", RECTANGLE, "--loops", "0", "--spacing", "0.5",
                             "--out", str(out), "--waypoints", str(waypoints), "--json"])
    assert status == 0
    report = json.loads(stdout)
    assert report["points"] == 15 and report["loops"] == 1
    assert report["dropped"][NEAR_WALL] == 1 and report["out"] == str(out)
    # 15 steps of 0.5 m from the first RP to the last; the dropped RP lay on a straight stretch, skipping it
    # is as long as walking through it.
    assert report["route_length_m"] == pytest.approx(7.5)
    with out.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 15 and rows[3] == {"point": "3", "x_m": "2.5000", "y_m": "0.5000", "z_m": "1.0000", "loop": "0"}
    assert len(json.loads(waypoints.read_text())["waypoints"]) == 15


def test_rp_plan_between_mode_as_text(cli, room_scene: str) -> None:
    status, stdout, _ = cli(["rp-plan", room_scene, "--markers", RECTANGLE, "--loops", "0", "--between", "1",
                             "--clearance", "0", "--tag-height", "1.5"])
    assert status == 0
    assert "8 reference points on 1 loops at 1.5 m" in stdout


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--markers", "0.5,0.5;3.5,1.5;3.5,0.5;0.5,1.5", "--loops", "0", "--spacing", "0.5"], "markers cross"),
        (["--markers", RECTANGLE, "--loops", "0", "--spacing", "0"], "argument --spacing: 0 is outside 0.01 m to 100 m"),
        (["--markers", RECTANGLE, "--loops", "0", "--between", "0"], "argument --between: 0 is outside 1 to 1000"),
        (["--markers", ";".join(["0.5,0.5"] * 1001), "--loops", "0", "--between", "1"], "at most 1,000 markers"),
        (["--markers", "0.5,0.5;3.5,0.5", "--loops", "0", "--spacing", "0.5"], "at least 3 markers"),
        (["--markers", RECTANGLE, "--loops", "2", "--spacing", "0.5"], "2 inner loops do not fit"),
        (["--markers", RECTANGLE, "--loops", "0"], "one of the arguments --spacing --between is required"),
        (["--markers", "0.5,0.5;30,0.5;3,1.5", "--loops", "0", "--spacing", "0.5"], "--markers: (30, 0.5, 1) lies outside"),
        (["--markers", "0.5;1,1;2,2", "--loops", "0", "--spacing", "0.5"], "'0.5' is not x,y"),
        (["--markers", RECTANGLE, "--loops", "0", "--spacing", "0.5", "--tag-height", "99"], "--tag-height: 99 m is outside"),
        (["--markers", RECTANGLE, "--loops", "0", "--spacing", "0.5", "--clearance", "5"], "every RP of the plan"),
        (["--markers", RECTANGLE, "--loops", "0", "--spacing", "0.5", "--out", "/nonexistent/x.csv"], "cannot write"),
    ],
)
def test_rp_plan_bad_input_is_one_line_and_status_2(cli, room_scene: str, options, problem) -> None:
    status, stdout, stderr = cli(["rp-plan", room_scene, *options])
    assert status == 2 and stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("twinloc: error: ") and problem in stderr, stderr


def test_wifi_hall_lists_its_access_points_and_maps_line_of_sight(cli) -> None:
    status, stdout, _ = cli(["scene", "info", "wifi_hall", "--json"])
    assert status == 0
    info = json.loads(stdout)
    assert len(info["access_points"]) == 18 and [r["name"] for r in info["regions"]][:3] == ["Area 1", "Area 2", "Area 3"]
    # wifi_hall has no UWB anchors: the LOS map takes transmitter positions as anchors.
    status, stdout, _ = cli(["los", "wifi_hall", "--anchors", "3,4.5,5.8;10,8.5,5.8;4,16,5.8", "--resolution", "0.5", "--json"])
    assert status == 0 and json.loads(stdout)["cells"] > 0
