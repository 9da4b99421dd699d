"""Negative coordinates written the usual way ("--tx -3,1,1.5"), in every verb that takes positions.

The end-to-end cases run in a closed 6 m x 4 m x 3 m room at x -6..0, y -4..0, z -1..2 (the
``negative_room`` fixture), where every anchor sees every cell and each expected value is
worked out by hand.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from twinloc.cli import build_parser
from twinloc.cli_verbs.common import height, one_position, positions

ANCHORS = "-5.5,-3.5,1.5;-0.5,-3.5,1.5;-3,-0.5,1.5"
STATIONS = "-5.9,-3.9,1.9;-0.1,-3.9,1.9;-0.1,-0.1,1.9;-5.9,-0.1,1.9"

#: Arguments each verb needs besides the one under test.
REQUIRED = {
    "optimize": ["--anchors", "3"],
    "paths": ["--tx", "1,1,1", "--rx", "2,2,2"],
    "locate": ["--ue", "1,1,1"],
    "rp-plan": ["--markers", "0,0;1,0;0,1", "--loops", "0", "--between", "1"],
    "csi-dataset": ["--bs", "BS1", "--out", "x.npz"],
    "plan-count": ["--target-p90", "0.3"],
    "calibrate": ["--simulate-site"],
}


def _coordinate_options() -> list[tuple[str, str, object]]:
    """(verb, option, argument type) of every option of the command that takes a position or a height."""
    verbs = build_parser()._subparsers._group_actions[0].choices
    found = []
    for verb, parser in verbs.items():
        for action in parser._actions:
            if action.type in (positions, one_position, height):
                found.append((verb, action.option_strings[0], action.type))
    return found


def test_the_coordinate_options_are_the_expected_ones():
    assert {(verb, option) for verb, option, _ in _coordinate_options()} == {
        *((verb, option) for verb in ("los", "errormap", "survey-plan", "train-mitigation", "calibrate")
          for option in ("--anchors", "--tag-height")),
        ("optimize", "--fixed"), ("optimize", "--tag-height"), ("rp-plan", "--tag-height"),
        ("radiomap", "--anchors"), ("radiomap", "--height"), ("csi-dataset", "--height"),
        ("paths", "--tx"), ("paths", "--rx"), ("locate", "--ue"), ("locate", "--bs"), ("evaluate-rrt", "--bs"),
        ("plan-count", "--tag-height"),
    }


@pytest.mark.parametrize("verb,option,kind", _coordinate_options(), ids=lambda value: getattr(value, "__name__", value))
def test_every_coordinate_option_parses_negative_values_after_a_space(verb, option, kind):
    value = {positions: "-4,-4,2;-4.5,4,-0.5", one_position: "-3,1,1.5", height: "-0.25"}[kind]
    argv = [verb, "SCENE", *REQUIRED.get(verb, [])]
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    args = build_parser().parse_args(argv)
    expected = {positions: [(-4.0, -4.0, 2.0), (-4.5, 4.0, -0.5)], one_position: (-3.0, 1.0, 1.5), height: -0.25}[kind]
    assert getattr(args, option.lstrip("-").replace("-", "_")) == expected


@pytest.mark.parametrize("text,value", [("-1e-1", -0.1), ("-.5", -0.5), ("-0", 0.0)])
def test_negative_numbers_in_any_notation_are_values(text, value):
    assert build_parser().parse_args(["los", "SCENE", "--tag-height", text]).tag_height == value


def test_an_unknown_option_is_still_reported_as_one():
    from twinloc.cli import main

    assert main(["los", "uwb_hall", "-x"]) == 2


def test_paths_between_points_at_negative_coordinates_is_the_line_of_sight(cli, negative_room):
    status, out, err = cli(["paths", negative_room, "--tx", "-5,-3,0", "--rx", "-1,-1,1", "--max-depth", "0", "--json"])
    assert status == 0, err
    (path,) = json.loads(out)["paths"]
    # tx - rx = (-4, -2, -1): length sqrt(21), arriving from azimuth atan2(-2, -4), elevation atan2(-1, sqrt(20)).
    assert path["interactions"] == [] and path["length_m"] == pytest.approx(math.sqrt(21))
    assert path["aoa_az_deg"] == pytest.approx(math.degrees(math.atan2(-2, -4)))
    assert path["aoa_el_deg"] == pytest.approx(math.degrees(math.atan2(-1, math.sqrt(20))))
    spaced = json.loads(cli(["paths", negative_room, "--tx=-5,-3,0", "--rx=-1,-1,1", "--max-depth=0", "--json"])[1])
    assert spaced["paths"][0]["length_m"] == path["length_m"]


def test_los_of_anchors_at_negative_coordinates_sees_every_anchor_everywhere(cli, negative_room):
    status, out, err = cli(["los", negative_room, "--anchors", ANCHORS, "--tag-height", "-0.5", "--resolution", "1", "--json"])
    assert status == 0, err
    report = json.loads(out)
    # 6 x 4 cells of 1 m, nothing between the anchors and the floor.
    assert report["cells"] == 24 and report["mean_los_count"] == 3.0 and report["fraction_los_ge_3"] == 1.0
    assert report["tag_height_m"] == -0.5 and report["anchor_positions"][0] == [-5.5, -3.5, 1.5]


def test_errormap_and_survey_plan_at_negative_coordinates(cli, negative_room):
    status, out, err = cli(["errormap", negative_room, "--anchors", ANCHORS, "--tag-height", "-0.5", "--resolution", "1",
                            "--physics-only", "--json"])
    assert status == 0, err
    report = json.loads(out)
    # Without obstacles the physics-only ranges are the true distances: every fix is exact.
    assert report["cells"] == 24 and report["degenerate_cells"] == 0 and report["max_error_m"] < 1e-9
    status, out, err = cli(["survey-plan", negative_room, "--anchors", ANCHORS, "--tag-height", "-0.5", "--physics-only", "--json"])
    assert status == 0, err
    plan = json.loads(out)
    # Zero error everywhere: all 60 x 40 coarse cells of 0.1 m, none split into four 0.05 m cells.
    assert plan["points"] == plan["coarse_points"] == 2400 and plan["uniform_points"] == 9600


def test_optimize_keeps_a_fixed_anchor_at_negative_coordinates(cli, negative_room):
    status, out, err = cli(["optimize", negative_room, "--anchors", "2", "--fixed", "-3,0,1.5", "--tag-height", "-0.5",
                            "--population", "4", "--iterations", "2", "--resolution", "0.5", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["fixed_anchors"] == [[-3.0, 0.0, 1.5]]
    for x, y, z in report["best_layout"]:  # on the wall bands y = 0 or y = -4 at z = 1.5, x in -6..0
        assert -6.0 <= x <= 0.0 and y in (0.0, -4.0) and z == 1.5


def test_as_built_files_at_negative_coordinates(cli, negative_room, tmp_path):
    plan, built = tmp_path / "plan.csv", tmp_path / "built.csv"
    plan.write_text("name,x_m,y_m,z_m\nA1,-5.5,-3.5,1.5\nA2,-0.5,-3.5,1.5\nA3,-3,-0.5,1.5\n")
    built.write_text("name,x_m,y_m,z_m\nA1,-5.4,-3.5,1.5\nA3,-3,-0.5,1.3\n")
    status, out, err = cli(["as-built", negative_room, "--plan", str(plan), "--as-built", str(built), "--resolution", "0.5", "--json"])
    assert status == 0, err
    rows = {row["name"]: row for row in json.loads(out)["anchors"]}
    assert rows["A1"]["dx_m"] == pytest.approx(0.1) and rows["A1"]["distance_m"] == pytest.approx(0.1)
    assert rows["A3"]["dz_m"] == pytest.approx(-0.2) and rows["A2"]["distance_m"] is None


def test_locate_a_ue_at_negative_coordinates(cli, negative_room):
    status, out, err = cli(["locate", negative_room, "--ue", "-3,-2,0.2", "--bs", STATIONS, "--aoa-sigma", "0",
                            "--pt-sigma", "0", "--rays", "500", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["truth"] == [-3.0, -2.0, 0.2]
    # Each station sees the UE directly: |(2.9, 1.9, 1.7)| = sqrt(14.91) m, the same for all four.
    assert [p["depth"] for p in report["strongest_paths"]] == [0, 0, 0, 0]
    assert [p["length_m"] for p in report["strongest_paths"]] == pytest.approx([math.sqrt(14.91)] * 4, abs=1e-6)
    assert report["error_m"] < 0.05


def test_evaluate_rrt_with_stations_at_negative_coordinates(cli, negative_room):
    status, out, err = cli(["evaluate-rrt", negative_room, "--bs", STATIONS, "--aoa-sigma", "0", "--drops", "3",
                            "--rays", "200", "--json", "--scheduler", "none"])
    assert status == 0, err
    (row,) = json.loads(out)["settings"]
    # Exact angles of arrival, all in line of sight: triangulation finds every UE exactly.
    assert row["drops"] == 3 and row["baseline"]["failures"] == 0 and row["baseline"]["p90_m"] < 1e-3


def test_train_mitigation_with_anchors_at_negative_coordinates(cli, negative_room):
    status, out, err = cli(["train-mitigation", negative_room, "--anchors", ANCHORS, "--tag-height", "-0.5",
                            "--resolution", "1", "--groups", "2", "--epochs", "1", "--fine-tune-epochs", "1",
                            "--simulate-site", "--model", "paper", "--json"])
    assert status == 0, err
    # 24 cells x 2 groups, every cell with a fix.
    assert json.loads(out)["samples"]["virtual"] == 48
    assert np.isfinite(json.loads(out)["los_mean_error_m"]["raw"])
