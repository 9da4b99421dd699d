"""twinloc errormap and twinloc survey-plan: output shape, hand-checked values, one-line errors."""

from __future__ import annotations

import csv
import json
import math

import pytest





SUMMARY_KEYS = {"cells", "mean_error_m", "p50_error_m", "p90_error_m", "max_error_m", "sum_error_m",
                "nlos_fraction", "degenerate_cells", "seconds"}


def test_errormap_json_summary_of_the_uwb_hall(cli):
    status, out, err = cli(["errormap", "uwb_hall", "--json"])
    assert status == 0, err
    summary = json.loads(out)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["cells"] == 15036  # 183 x 84 cells minus 8 columns x 42 cells inside them
    assert summary["degenerate_cells"] == 0
    assert 0 < summary["p50_error_m"] <= summary["p90_error_m"] <= summary["max_error_m"]


def test_errormap_physics_only_is_zero_where_no_wall_is_crossed_and_csv_rows_match(tmp_path, cli, room_scene):
    room = room_scene  # the brick wall across x = 2 from y = 0 to 1
    out_csv = tmp_path / "map.csv"
    # Anchors at the room's corners; only links crossing x = 2 below y = 1 meet the wall.
    anchors = "0,0,1;0,2,1;4,2,1;4,0,1"
    status, out, err = cli(["errormap", room, "--anchors", anchors, "--resolution", "0.5", "--physics-only",
                             "--out", str(out_csv), "--json"])
    assert status == 0, err
    summary = json.loads(out)
    rows = list(csv.DictReader(out_csv.open()))
    assert list(rows[0]) == ["x_m", "y_m", "err_x_m", "err_y_m", "err_m", "gdop", "los_count"]
    assert len(rows) == summary["cells"] == 8 * 4
    by_cell = {(float(r["x_m"]), float(r["y_m"])): r for r in rows}
    # (1.75, 1.75): every link passes above y = 1 or stays on one side of x = 2: no crossing.
    assert int(by_cell[(1.75, 1.75)]["los_count"]) == 4 and float(by_cell[(1.75, 1.75)]["err_m"]) == pytest.approx(0, abs=1e-6)
    # (1.75, 0.25): the links to (4, 0) and to (4, 2) cross x = 2 at y = 0.22 and y = 0.44,
    # both below the wall's end at y = 1; the links to x = 0 anchors cross nothing.
    assert int(by_cell[(1.75, 0.25)]["los_count"]) == 2 and float(by_cell[(1.75, 0.25)]["err_m"]) > 0.01
    for row in rows:
        assert float(row["err_m"]) == pytest.approx(math.hypot(float(row["err_x_m"]), float(row["err_y_m"])), abs=1e-5)


def test_errormap_monte_carlo_is_seeded(cli):
    argv = ["errormap", "uwb_hall", "--resolution", "0.5", "--mc", "5", "--seed", "2", "--json"]
    first = json.loads(cli(argv)[1])
    second = json.loads(cli(argv)[1])
    assert first["mean_error_m"] == second["mean_error_m"] and first["monte_carlo_draws"] == 5


def test_collinear_anchors_locate_no_cell_and_are_refused(cli):
    status, out, err = cli(["errormap", "uwb_hall", "--anchors", "1,0,2;5,0,2;9,0,2", "--json"])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "no floor cell can be located" in err and "on one line" in err


def test_survey_plan_counts_and_csv(tmp_path, cli, room_scene):
    room = room_scene
    out_csv = tmp_path / "points.csv"
    status, out, err = cli(["survey-plan", room, "--anchors", "0,0,1;0,2,1;4,2,1;4,0,1", "--physics-only",
                             "--out", str(out_csv), "--json"])
    assert status == 0, err
    plan = json.loads(out)
    assert set(plan) >= {"points", "uniform_points", "saving_fraction"}
    assert plan["uniform_points"] == 40 * 20 * 4  # 800 coarse cells of 0.1 m, four 0.05 m cells each
    lines = out_csv.read_text().splitlines()
    assert lines[0] == "x_m,y_m,density" and len(lines) == plan["points"] + 1
    assert plan["saving_fraction"] == pytest.approx(1 - plan["points"] / plan["uniform_points"])


@pytest.mark.parametrize(
    "argv",
    [
        ["errormap", "uwb_hall", "--mc", "-1"],
        ["errormap", "uwb_hall", "--resolution", "0"],
        ["errormap", "uwb_hall", "--anchors", "1,2"],
        ["errormap", "no_such_scene"],
        ["errormap", "uwb_hall", "--out", "/no/such/folder/map.csv"],
        ["survey-plan", "uwb_hall", "--fine", "0.03"],
    ],
)
def test_bad_input_is_one_line_and_status_2(argv, cli):
    status, out, err = cli(argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("twinloc: error:")
