"""``twinloc train-mitigation``."""

from __future__ import annotations

import json

from twinloc.learn.trainer import load_checkpoint

ANCHORS = "0,0,2;4,0,2;2,2,2"


def test_train_mitigation_reports_errors_per_area_as_json(cli, room_scene, tmp_path):
    model = tmp_path / "model.pt"
    status, out, err = cli(["train-mitigation", room_scene, "--anchors", ANCHORS, "--resolution", "0.5",
                            "--groups", "2", "--epochs", "2", "--fine-tune-epochs", "3", "--simulate-site",
                            "--model", "paper", "--save", str(model), "--json"])
    assert status == 0, err
    report = json.loads(out)
    for key in ("los_mean_error_m", "nlos_mean_error_m"):
        assert {"raw", "nn", "poly"} <= set(report[key])
    assert report["train_seconds"] > 0
    assert report["samples"]["virtual"] > 0 and report["samples"]["measured_test"] > 0
    assert report["measured_source"] == "simulated site"
    assert report["epochs"]["pretrain"] == 2 and 1 <= report["epochs"]["fine_tune"] <= 3
    assert report["stopped"]["pretrain"] == "completed"
    measured = load_checkpoint(model).provenance["measured"]
    assert measured["kind"] == "simulated site"
    # The simulation is recorded, so the site can be generated again (the defaults: 50 points x 496 fixes).
    assert measured["simulation"]["points"] == 50 and measured["simulation"]["fixes"] == 496


def test_measured_csv_is_used_when_given(cli, room_scene, tmp_path):
    rows = ["true_x,true_y,measured_x,measured_y"]
    for x in (0.5, 1.5, 2.5, 3.5):
        for y in (0.5, 1.5):
            rows += [f"{x},{y},{x + 0.01 * k},{y - 0.01 * k}" for k in range(16)]
    path = tmp_path / "measured.csv"
    path.write_text("\n".join(rows))
    status, out, err = cli(["train-mitigation", room_scene, "--anchors", ANCHORS, "--resolution", "1.0",
                            "--groups", "2", "--epochs", "1", "--measured", str(path), "--split", "points", "--model", "paper", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["measured_source"] == "measured" and report["split"] == "points"
    # 8 points of 16 fixes (2 samples each); 20% of the points, rounded: 2 points, 4 samples held out.
    assert report["samples"]["measured_test"] == 4 and report["samples"]["measured_train"] == 12


def test_the_per_link_model_is_the_default_and_every_protocol_is_reported(cli, room_scene):
    status, out, err = cli(["train-mitigation", room_scene, "--anchors", ANCHORS, "--resolution", "0.5",
                            "--groups", "2", "--epochs", "2", "--fine-tune-epochs", "2", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["model"] == "per-link" and report["split"] == "points"
    assert set(report["protocols"]) == {"held_out_points", "per_sample", "floor_twin", "floor_site"}
    assert report["protocols"]["held_out_points"] == {area: {"raw": report[f"{area}_mean_error_m"]["raw"],
                                                             "nn": report[f"{area}_mean_error_m"]["nn"]}
                                                      for area in ("los", "nlos")}
    _check_warnings(report)


def test_areas_worse_than_raw_are_warned_of_in_json_and_text(cli, room_scene):
    # The paper's network, barely trained, moves good LOS fixes: worse than raw somewhere.
    arguments = ["train-mitigation", room_scene, "--anchors", ANCHORS, "--resolution", "0.5", "--groups", "2",
                 "--epochs", "1", "--fine-tune-epochs", "1", "--model", "paper"]
    status, out, err = cli([*arguments, "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["worse_than_raw"]
    _check_warnings(report)
    status, out, err = cli(arguments)
    assert status == 0, err
    warnings = [line.strip() for line in out.splitlines() if "WARNING" in line]
    assert warnings == [f"WARNING: worse than raw in {line}" for line in report["worse_than_raw"]]


def _check_warnings(report: dict) -> None:
    """Every protocol and area whose corrected mean error exceeds the raw one by over 2 cm is
    listed in ``worse_than_raw``, and no other."""
    worse = [(key, area) for key, areas in report["protocols"].items() for area, row in areas.items()
             if row["raw"] is not None and row["nn"] is not None and row["nn"] > row["raw"] + 0.02]
    assert len(report["worse_than_raw"]) == len(worse)
    for (key, area), line in zip(worse, report["worse_than_raw"]):
        assert f" {area.upper()}: " in line


def test_the_per_link_model_needs_measured_ranges(cli, room_scene, tmp_path):
    rows = ["true_x,true_y,measured_x,measured_y"] + [f"{x},1.5,{x},1.5" for x in (0.5, 1.5, 2.5) for _ in range(8)]
    path = tmp_path / "positions.csv"
    path.write_text("\n".join(rows))
    status, out, err = cli(["train-mitigation", room_scene, "--anchors", ANCHORS, "--resolution", "1.0",
                            "--groups", "1", "--epochs", "1", "--measured", str(path)])
    assert status == 2 and out == ""
    assert err.startswith("twinloc: error: ") and "range of every anchor" in err and len(err.strip().splitlines()) == 1


def test_only_the_paper_model_can_be_saved(cli, room_scene, tmp_path):
    status, out, err = cli(["train-mitigation", room_scene, "--save", str(tmp_path / "m.pt")])
    assert status == 2 and "--save" in err and "--model paper" in err and len(err.strip().splitlines()) == 1


def test_a_missing_measured_file_is_one_line_and_exit_2(cli, room_scene, tmp_path):
    status, out, err = cli(["train-mitigation", room_scene, "--anchors", ANCHORS,
                            "--measured", str(tmp_path / "none.csv"), "--json"])
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and "none.csv" in err


def test_zero_epochs_is_a_usage_error(cli, room_scene):
    status, out, err = cli(["train-mitigation", room_scene, "--epochs", "0"])
    assert status == 2


def test_a_time_limit_that_is_not_positive_is_a_usage_error(cli, room_scene):
    status, out, err = cli(["train-mitigation", room_scene, "--time-limit", "-3"])
    assert status == 2 and "positive" in err
