"""Inputs the CLI refuses instead of answering wrongly, crashing or filling the memory.

Each refusal is exit status 2, nothing on stdout and exactly one stderr line
``twinloc: error: ...`` that names the option or file and the problem.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from twinloc.cli import build_parser
from twinloc.cli_verbs.common import CliError, count, length_text, print_json

HALL = "UWB hall', which spans x 0 to 18.3, y 0 to 8.4, z 0 to 4 m"

REFUSED = {
    # too few anchors, no cell with a fix, one point given twice
    "errormap with 2 anchors": (["errormap", "uwb_hall", "--anchors", "1,1,2;17,1,2"],
                                "2 anchors cannot locate a tag: 2D fixes need at least 3 anchors"),
    "3D errormap with 3 anchors": (["errormap", "uwb_hall", "--anchors", "1,1,2;17,1,2;9,7,2", "--dimensions", "3"],
                                   "3 anchors cannot locate a tag: 3D fixes need at least 4 anchors"),
    "3D errormap with anchors at one height": (
        ["errormap", "uwb_hall", "--anchors", "1,1,2;17,1,2;9,7,2;1,7,2", "--dimensions", "3", "--resolution", "1"],
        "no floor cell can be located"),
    "survey plan with 2 anchors": (["survey-plan", "uwb_hall", "--anchors", "1,1,2;17,1,2"], "at least 3 anchors"),
    "mitigation with 2 anchors": (["train-mitigation", "uwb_hall", "--anchors", "1,1,2;17,1,2"], "at least 3 anchors"),
    "paths from a point to itself": (["paths", "uwb_hall", "--tx", "1,1,1", "--rx", "1,1,1"],
                                     "--tx and --rx are the same point (1, 1, 1)"),
    "UE on a base station": (["locate", "industrial_hall", "--ue", "0.1,0.1,2.4"],
                             "--ue and base station 1 are the same point (0.1, 0.1, 2.4)"),
    "anchors given twice": (["los", "uwb_hall", "--anchors", "1,1,2;5,5,2;1,1,2"],
                            "--anchors: position 1 and position 3 are the same point (1, 1, 2)"),
    # positions and heights outside the scene
    "anchor at y = 1e9": (["los", "uwb_hall", "--anchors", "1,1e9,2;17,1,2;9,7,2"],
                          f"--anchors: (1, 1e+09, 2) lies outside the scene '{HALL}"),
    "anchor 1.5 m outside a wall": (["errormap", "uwb_hall", "--anchors", "-1.5,1,2;17,1,2;9,7,2"], "--anchors: (-1.5, 1, 2) lies outside"),
    "tag above the ceiling": (["los", "uwb_hall", "--tag-height", "50"],
                              "--tag-height: 50 m is outside the scene 'UWB hall', whose heights span 0 to 4 m"),
    "tag below the floor": (["errormap", "uwb_hall", "--tag-height", "-0.5"], "--tag-height: -0.5 m is outside"),
    "optimize tag above the ceiling": (["optimize", "uwb_hall", "--anchors", "3", "--tag-height", "4.5"], "--tag-height: 4.5 m"),
    "UE outside the hall": (["locate", "industrial_hall", "--ue", "-50,-50,1"],
                            "--ue: (-50, -50, 1) lies outside the scene 'Industrial hall', which spans x 0 to 8, y 0 to 18"),
    "base station outside": (["evaluate-rrt", "industrial_hall", "--bs", "1,1,2;7,1,2;4,30,2"], "--bs: (4, 30, 2) lies outside"),
    "fixed anchor outside": (["optimize", "uwb_hall", "--anchors", "3", "--fixed", "-5,2,2"], "--fixed: (-5, 2, 2) lies outside"),
    "transmitter outside": (["paths", "uwb_hall", "--tx", "1,1,100", "--rx", "2,2,2"], "--tx: (1, 1, 100) lies outside"),
    # count options and their limits
    "negative seed": (["errormap", "uwb_hall", "--seed", "-1"], "argument --seed: -1 is outside 0 to 4294967295"),
    "seed of 2**80": (["optimize", "uwb_hall", "--anchors", "3", "--seed", str(2**80)], f"argument --seed: {2**80} is outside"),
    "seed of 2**32": (["locate", "industrial_hall", "--ue", "4,9,1", "--seed", str(2**32)], "argument --seed"),
    "iterations 1e30": (["optimize", "uwb_hall", "--anchors", "3", "--iterations", "1e30"],
                        "argument --iterations: '1e30' is not a whole number"),
    "population of ten million": (["optimize", "uwb_hall", "--anchors", "3", "--population", "10000000"],
                                  "argument --population: 10000000 is outside 4 to 1000"),
    "33 anchors to place": (["optimize", "uwb_hall", "--anchors", "33"], "argument --anchors: 33 is outside 1 to 32"),
    "a million groups": (["train-mitigation", "uwb_hall", "--groups", "1000000"], "argument --groups: 1000000 is outside 1 to 1000"),
    "epochs of 1e6": (["train-mitigation", "uwb_hall", "--epochs", "1000000"], "argument --epochs: 1000000 is outside 1 to 100000"),
    "a million rays": (["locate", "industrial_hall", "--ue", "4,9,1", "--rays", "1000000"],
                       "argument --rays: 1000000 is outside 10 to 100000"),
    "seven bounces": (["evaluate-rrt", "industrial_hall", "--bounces", "7"], "argument --bounces: 7 is outside 0 to 6"),
    "eleven AoA noise values": (["evaluate-rrt", "industrial_hall", "--aoa-sigma", ",".join(["1"] * 11)],
                                "argument --aoa-sigma: more than 10 values"),
    "33 fixed anchors": (["optimize", "uwb_hall", "--anchors", "3", "--fixed", ";".join(f"{0.5 * k},0,2" for k in range(33))],
                         "--fixed: 33 anchors, more than the 32 a search may keep"),
    "101 anchors": (["los", "uwb_hall", "--anchors", ";".join(f"{0.1 * k},1,2" for k in range(101))],
                    "argument --anchors: more than 100 positions"),
    # memory the options would take: checked before it is taken
    "Monte Carlo draws x cells": (["errormap", "uwb_hall", "--mc", "100000"],
                                  "uwb_hall: 100,000 Monte Carlo draws x 15,036 cells make 1,503,600,000 fixes"),
    "a 1 cm grid": (["errormap", "uwb_hall", "--resolution", "0.01"],
                    "1830 x 840 cells at 0.01 m with 3 anchor(s) make 4,611,600 anchor-to-cell links, more than the 2,000,000"),
    "rays x stations x segments": (["locate", "industrial_hall", "--ue", "4,9,1", "--rays", "100000", "--bounces", "6"],
                                   "4 base station(s) x 100,000 rays x 7 segments make 2,800,000 ray segments"),
    "a deep image tree": (["paths", "industrial_hall", "--tx", "1,1,1", "--rx", "5,5,1", "--max-depth", "4"],
                          "--max-depth 4: more than 1,000,000 candidate paths with 4 reflections"),
    # material calibration
    "calibrate without measurements": (["calibrate", "uwb_hall"], "one of the arguments --measured --simulate-site is required"),
    "calibrate an opaque material": (["calibrate", "industrial_hall", "--anchors", "1,1,2;7,1,2;4,17,2", "--simulate-site",
                                      "--materials", "metal"],
                                     "'metal' is opaque: a link through it carries no range"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_one_line_and_status_2(case, cli):
    argv, problem = REFUSED[case]
    status, out, err = cli(argv)
    assert status == 2 and out == "", err
    assert err.count("\n") == 1 and err.startswith("twinloc: error: ") and problem in err, err


def _as_built(cli, tmp_path, plan: str, built: str = "name,x_m,y_m,z_m\nA1,3.9,0,2\n"):
    (tmp_path / "plan.csv").write_text(plan)
    (tmp_path / "built.csv").write_text(built)
    return cli(["as-built", "uwb_hall", "--plan", str(tmp_path / "plan.csv"), "--as-built", str(tmp_path / "built.csv"),
                "--resolution", "1", "--json"])


PLAN = "name,x_m,y_m,z_m\nA1,3.8,0,2\nA2,9.4,8.4,2\nA3,14.4,0,2\n"

AS_BUILT_REFUSED = {
    "header-only plan": (("name,x_m,y_m,z_m\n",), "plan.csv: no anchors"),
    "header-only as-built file": ((PLAN, "name,x_m,y_m,z_m\n"), "built.csv: no anchors"),
    "coincident anchors": (("name,x_m,y_m,z_m\nA1,1,1,2\nA2,1,1,2\nA3,1,1,2\n",), "plan.csv: A1 and A2 are the same point (1, 1, 2)"),
    "anchors on one line": (("name,x_m,y_m,z_m\nA1,1,1,2\nA2,5,1,2\nA3,9,1,2\n",), "plan.csv: no floor cell can be located"),
    "two anchors in the plan": (("name,x_m,y_m,z_m\nA1,1,1,2\nA2,5,5,2\n",), "plan.csv: 2 anchors cannot locate a tag"),
    "a coordinate of 1e300": ((PLAN, "name,x_m,y_m,z_m\nA1,1e300,0,2\n"), "built.csv, line 2: a coordinate beyond ±100,000 m is not a position in a building"),
    "a field over 131,072 characters": ((PLAN, "name,x_m,y_m,z_m\nA1,3.9,0,2\nA2,\"" + "9" * 200_000 + "\",1,2\n"),
                                        "built.csv, line 3: unreadable CSV: field larger than field limit"),
    "a text coordinate": ((PLAN, "name,x_m,y_m,z_m\nA1,3.9,north,2\n"), "built.csv, line 2: coordinates must be numbers"),
    "an anchor not in the plan": ((PLAN, "name,x_m,y_m,z_m\nA9,3.9,0,2\n"), "built.csv: anchor(s) not in the plan: A9"),
}


@pytest.mark.parametrize("case", sorted(AS_BUILT_REFUSED))
def test_as_built_refusals_name_the_file(case, cli, tmp_path):
    files, problem = AS_BUILT_REFUSED[case]
    status, out, err = _as_built(cli, tmp_path, *files)
    assert status == 2 and out == "", err
    assert err.count("\n") == 1 and err.startswith("twinloc: error: ") and problem in err, err


def test_a_fifo_named_like_a_plan_is_refused_without_hanging(cli, tmp_path):
    fifo = tmp_path / "plan.csv"
    os.mkfifo(fifo)
    status, out, err = cli(["as-built", "uwb_hall", "--plan", str(fifo), "--as-built", str(fifo)])
    assert status == 2 and err.count("\n") == 1 and "plan.csv: cannot read: is not a regular file" in err


def test_a_plan_file_larger_than_its_limit_is_refused_before_it_is_read(cli, tmp_path):
    status, out, err = _as_built(cli, tmp_path, PLAN + "A4,1,1,2\n" * 150_000)  # about 1.4 MB
    assert status == 2 and "plan.csv: cannot read: is 1.3 MiB, larger than the 1 MiB" in err


def test_a_measuring_point_outside_the_scene_names_the_file(cli, room_scene, tmp_path):
    rows = ["true_x,true_y,measured_x,measured_y"]
    for x, y in ((0.5, 0.5), (1.5, 1.5), (50.0, 0.5)):  # the room is 4 m x 2 m
        rows += [f"{x},{y},{x + 0.01 * k},{y}" for k in range(16)]
    (tmp_path / "measured.csv").write_text("\n".join(rows))
    status, out, err = cli(["train-mitigation", room_scene, "--anchors", "0,0,2;4,0,2;2,2,2",
                            "--measured", str(tmp_path / "measured.csv"), "--json"])
    assert status == 2 and err.count("\n") == 1
    assert "measured.csv: measuring point: (50, 0.5, 1) lies outside the scene 'test room'" in err


def test_json_never_gets_an_infinite_number(capsys):
    with pytest.raises(CliError, match=r"the result's plan\.mean_error_m is not a finite number"):
        print_json({"scene": "x", "plan": {"cells": 3, "mean_error_m": float("inf")}})
    with pytest.raises(CliError, match=r"top_layouts\[1\]\.sum is not a finite number"):
        print_json({"top_layouts": [{"sum": 1.0}, {"sum": float("nan")}]})
    assert capsys.readouterr().out == ""
    print_json({"value": 1e300, "none": None})
    assert json.loads(capsys.readouterr().out) == {"value": 1e300, "none": None}


#: Every count option with its documented limits (README, docs/user-guide.md).
COUNT_LIMITS = [
    ("errormap", "--mc", 0, 100_000), ("errormap", "--refine", 0, 50), ("errormap", "--seed", 0, 2**32 - 1),
    ("survey-plan", "--mc", 0, 100_000), ("survey-plan", "--refine", 0, 50), ("survey-plan", "--seed", 0, 2**32 - 1),
    ("optimize", "--anchors", 1, 32), ("optimize", "--population", 4, 1000), ("optimize", "--iterations", 1, 10_000),
    ("optimize", "--top", 1, 100), ("optimize", "--seed", 0, 2**32 - 1),
    ("paths", "--max-depth", 0, 6),
    ("radiomap", "--max-depth", 0, 3),
    ("csi-dataset", "--subcarriers", 1, 4096), ("csi-dataset", "--delay-bins", 1, 4096), ("csi-dataset", "--paths", 1, 32),
    ("csi-dataset", "--max-depth", 0, 3), ("csi-dataset", "--seed", 0, 2**32 - 1),
    ("locate", "--rays", 10, 100_000), ("locate", "--bounces", 0, 6), ("locate", "--seed", 0, 2**32 - 1),
    ("evaluate-rrt", "--drops", 1, 100_000), ("evaluate-rrt", "--rays", 10, 100_000), ("evaluate-rrt", "--bounces", 0, 6),
    ("evaluate-rrt", "--seed", 0, 2**32 - 1),
    ("train-mitigation", "--groups", 1, 1000), ("train-mitigation", "--epochs", 1, 100_000),
    ("train-mitigation", "--fine-tune-epochs", 1, 100_000), ("train-mitigation", "--seed", 0, 2**32 - 1),
    ("rp-plan", "--loops", 0, 100), ("rp-plan", "--between", 1, 1000),
    ("fingerprint", "--seed", 0, 2**32 - 1), ("model-update", "--seed", 0, 2**32 - 1),
    ("fingerprint-ssl", "--rounds", 1, 20), ("fingerprint-ssl", "--epochs", 1, 10_000),
    ("fingerprint-ssl", "--seed", 0, 2**32 - 1),
    ("calibrate", "--seed", 0, 2**32 - 1),
]


def _count_options() -> set[tuple[str, str]]:
    """(verb, option) of every option whose argument is a whole number."""
    verbs = build_parser()._subparsers._group_actions[0].choices
    return {(verb, action.option_strings[0]) for verb, parser in verbs.items() for action in parser._actions
            if getattr(action.type, "__name__", None) == count(0, 1).__name__}


def test_every_count_option_has_a_listed_limit():
    assert _count_options() == {(verb, option) for verb, option, _, _ in COUNT_LIMITS}


@pytest.mark.parametrize("verb,option,low,high", COUNT_LIMITS)
def test_count_limits_are_inclusive_and_checked_while_parsing(verb, option, low, high):
    required = {"optimize": ["--anchors", "3"], "paths": ["--tx", "1,1,1", "--rx", "2,2,2"], "locate": ["--ue", "1,1,1"],
                "rp-plan": ["--markers", "0,0;1,0;0,1", "--loops", "0", "--between", "1"],
                "fingerprint": ["--train", "a.csv", "--test", "b.csv"], "csi-dataset": ["--bs", "BS1", "--out", "x.npz"],
                "model-update": ["--model", "m.npz", "--change", "e.json"], "calibrate": ["--simulate-site"]}
    argv = [verb, "SCENE", *required.get(verb, [])]
    if option in argv:
        del argv[argv.index(option):argv.index(option) + 2]
    for value in (low, high):
        assert getattr(build_parser().parse_args([*argv, option, str(value)]), option.lstrip("-").replace("-", "_")) == value
    for value in (low - 1, high + 1):
        with pytest.raises(CliError, match=re.escape(f"argument {option}: {value} is outside {low} to {high}")):
            build_parser().parse_args([*argv, option, str(value)])


@pytest.mark.parametrize("metres,text", [(103.326, "103.33 m"), (1.0, "1.00 m"), (0.999, "99.9 cm"), (0.0421, "4.2 cm"),
                                         (-2.5, "-2.50 m"), (None, "n/a")])
def test_lengths_read_in_metres_from_a_metre_up_and_in_centimetres_below(metres, text):
    assert length_text(metres) == text


def test_evaluate_rrt_labels_name_the_time_measurement_or_its_absence(cli):
    status, out, err = cli(["evaluate-rrt", "industrial_hall", "--drops", "1", "--aoa-sigma", "0.5", "--pt-sigma", "none,0.5",
                            "--rays", "200", "--mode", "2d"])
    assert status == 0, err
    assert "None" not in out
    assert "AoA 0.5 deg, no time, 2d" in out and "AoA 0.5 deg, PT 50.0 cm, 2d" in out
    status, out, err = cli(["evaluate-rrt", "industrial_hall", "--drops", "1", "--aoa-sigma", "1", "--rpt-sigma", "1.5",
                            "--rays", "200", "--mode", "2d"])
    assert status == 0, err
    assert "AoA 1 deg, RPT 1.50 m, 2d" in out
