"""twinloc optimize and twinloc as-built: JSON keys, files written, one-line errors."""

from __future__ import annotations

import csv
import json

import pytest

from twinloc.model.mounting import MountingRegion
from twinloc.model.project_file import save_project
from twinloc.workspace import open_source, scene_with_mounting_regions

WALLS = "south wall band,east wall band,north wall band,west wall band"
KEYS = {"best_layout", "best_sum_error_m", "evaluations", "seconds", "baselines", "improvement_vs_paper_layout",
        "improvement_vs_best_empirical", "constraint_violations", "top_layouts", "mounting_regions"}




def test_optimize_json_on_the_uwb_hall(cli, tmp_path):
    sheet, page = tmp_path / "sheet.csv", tmp_path / "sheet.html"
    argv = ["optimize", "uwb_hall", "--anchors", "3", "--population", "8", "--iterations", "3", "--seed", "2",
            "--regions", WALLS, "--min-distance", "2", "--sheet-csv", str(sheet), "--sheet-html", str(page), "--json"]
    status, out, err = cli(argv)
    assert status == 0, err
    report = json.loads(out)
    assert KEYS <= set(report)
    assert report["evaluations"] == 24
    assert len(report["best_layout"]) == 3 and all(len(p) == 3 and p[2] == 2.0 for p in report["best_layout"])
    assert set(report["baselines"]) == {"current_layout", "random_search", "differential_evolution", "empirical_corners",
                                        "empirical_long_wall_zigzag", "empirical_centred_triangle", "empirical_perimeter_spread"}
    paper = report["baselines"]["current_layout"]
    assert report["improvement_vs_paper_layout"] == pytest.approx((paper - report["best_sum_error_m"]) / paper)
    assert report["constraint_violations"]["min_distance_pairs"] == 0
    assert report["top_layouts"][0]["layout"] == report["best_layout"]
    assert [row["name"] for row in csv.DictReader(sheet.open())] == ["A1", "A2", "A3"]
    assert "<table>" in page.read_text()
    status, again, _ = cli(argv)
    assert json.loads(again)["best_layout"] == report["best_layout"]  # same seed, same layout


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--anchors", "2"], "at least 3 anchors"),
        (["--anchors", "3", "--population", "3"], "argument --population: 3 is outside 4 to 1000"),
        (["--anchors", "3", "--min-distance", "40"], "cannot be placed at least 40 m apart"),
        (["--anchors", "3", "--regions", "roof"], "unknown mounting region"),
    ],
)
def test_bad_requests_exit_2_with_one_line(cli, extra, message):
    status, out, err = cli(["optimize", "uwb_hall", *extra, "--json"])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_scene_without_mounting_regions(cli, room_scene):
    status, _, err = cli(["optimize", room_scene, "--anchors", "3"])
    assert status == 2 and "no mounting regions" in err


def test_a_project_is_optimized_on_its_drawn_mounting_region(cli, room_scene, tmp_path):
    """The room has no mounting region of its own: the one the user drew into the project is the
    only place anchors may go, as in the GUI's Optimize section, which searches the scene's
    regions and then the drawn ones (scene_with_mounting_regions)."""
    drawn = MountingRegion("ceiling strip", ((0.5, 0.4), (3.5, 0.4), (3.5, 1.6), (0.5, 1.6)), (2.5, 2.5))
    project = open_source(room_scene).project.with_mounting_regions((drawn,))
    path = tmp_path / "room.twinloc"
    save_project(project, path)
    status, out, err = cli(["optimize", str(path), "--anchors", "3", "--population", "8", "--iterations", "3",
                            "--top", "3", "--seed", "4", "--json"])
    assert status == 0, err
    report = json.loads(out)
    opened = open_source(str(path))
    searched_by_the_gui = scene_with_mounting_regions(opened.scene, opened.project.mounting_regions).mounting_regions()
    assert report["mounting_regions"] == [region.name for region in searched_by_the_gui] == ["ceiling strip"]
    assert len(report["top_layouts"]) >= 2
    for layout in report["top_layouts"]:
        assert layout["surfaces"] == ["ceiling strip"] * 3
        for x, y, z in layout["layout"]:
            assert 0.5 - 1e-9 <= x <= 3.5 + 1e-9 and 0.4 - 1e-9 <= y <= 1.6 + 1e-9 and z == pytest.approx(2.5)
    # --regions names a drawn region like any of the scene's.
    status, out, err = cli(["optimize", str(path), "--anchors", "3", "--population", "8", "--iterations", "2",
                            "--regions", "ceiling strip", "--json"])
    assert status == 0, err
    assert json.loads(out)["mounting_regions"] == ["ceiling strip"]


def test_a_drawn_region_named_like_the_scene_s_is_one_line(cli, tmp_path):
    clash = MountingRegion("ceiling", ((2.0, 3.0), (16.0, 3.0), (16.0, 5.0)), (3.9, 3.9))
    path = tmp_path / "hall.twinloc"
    save_project(open_source("uwb_hall").project.with_mounting_regions((clash,)), path)
    status, out, err = cli(["optimize", str(path), "--anchors", "3", "--json"])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "mounting region name(s) already used by the scene: 'ceiling'" in err


def test_as_built_reports_deviation_and_both_maps(cli, tmp_path):
    plan, built = tmp_path / "plan.csv", tmp_path / "built.csv"
    plan.write_text("name,x_m,y_m,z_m,surface\nA1,3.8,0,2,south\nA2,9.4,8.4,2,north\nA3,14.4,0,2,south\n")
    built.write_text("name,x_m,y_m,z_m\nA1,3.9,0,2\nA3,14.4,0,1.8\n")
    status, out, err = cli(["as-built", "uwb_hall", "--plan", str(plan), "--as-built", str(built), "--resolution", "0.5", "--json"])
    assert status == 0, err
    report = json.loads(out)
    rows = {row["name"]: row for row in report["anchors"]}
    assert rows["A1"]["distance_m"] == pytest.approx(0.1)
    assert rows["A2"]["distance_m"] is None
    assert rows["A3"]["dz_m"] == pytest.approx(-0.2)
    assert report["plan"]["weighted_sum_error_m"] != report["as_built"]["weighted_sum_error_m"]


def test_plan_count_json_in_process(cli):
    argv = ["plan-count", "uwb_hall", "--target-p90", "1.4", "--min-anchors", "3", "--max-anchors", "4", "--population", "8",
            "--iterations", "3", "--regions", WALLS, "--resolution", "0.5", "--scheduler", "none", "--json"]
    status, out, err = cli(argv)
    assert status == 0 and err == ""  # no progress bar with --json
    report = json.loads(out)
    assert [row["anchors"] for row in report["counts"]] == [3, 4]
    for row in report["counts"]:
        assert len(row["layout"]) == row["anchors"] and all(p[2] == 2.0 for p in row["layout"])
        assert row["evaluations"] == 24 and row["coverage"] == 1.0
        assert row["mean_error_m"] <= row["p90_error_m"] <= row["max_error_m"]
    meeting = [row["anchors"] for row in report["counts"] if row["p90_error_m"] <= 1.4]
    assert report["smallest_count"] == (meeting[0] if meeting else None)
    status, again, _ = cli(argv)
    assert json.loads(again)["counts"][1]["layout"] == report["counts"][1]["layout"]  # same seed, same layouts


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--min-anchors", "5", "--max-anchors", "4"], "--min-anchors 5 is more than --max-anchors 4"),
        (["--min-anchors", "2"], "--min-anchors: 2 anchors cannot locate a tag"),
        (["--max-anchors", "33"], "argument --max-anchors: 33 is outside 1 to 32"),
        (["--target-p90", "0"], "argument --target-p90"),
        (["--regions", "roof"], "unknown mounting region"),
        (["--scheduler", "cluster"], "--scheduler cluster: 'cluster' is not local, none or a scheduler address"),
    ],
)
def test_bad_plan_counts_exit_2_with_one_line(cli, extra, message):
    argv = ["plan-count", "uwb_hall", "--target-p90", "0.3", "--scheduler", "none", *extra, "--json"]
    if "--target-p90" in extra:
        argv[2:4] = []
    status, out, err = cli(argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err
