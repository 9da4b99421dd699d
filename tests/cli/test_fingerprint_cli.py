"""``twinloc fingerprint``: train on one hand-made survey, evaluate on another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fingerprint.conftest import write_floor_scene
from twinloc.fingerprint.twin import NEIGHBOUR_CANDIDATES

TRANSMITTERS = ("ap1", "ap2", "ap3")
# Five reference points on the line y = 2, each with its own RSS of the three access points.
RP_RSS = {1.0: (-40, -70, -60), 3.0: (-50, -65, -55), 5.0: (-55, -55, -50), 7.0: (-65, -50, -55), 9.0: (-70, -40, -60)}


@pytest.fixture
def ap_room(tmp_path: Path) -> str:
    """A 10 m x 4 m concrete floor with three access points and no walls."""
    return write_floor_scene(tmp_path / "room.json", (10.0, 4.0),
                             {"ap1": (0, 0, 2.5), "ap2": (10, 0, 2.5), "ap3": (5, 4, 2.5)})


def _write_survey(path: Path, rows: list[tuple[float, float, int, tuple]]) -> str:
    lines = ["x_m,y_m,point,t_s," + ",".join(f"rss_dbm:{name}" for name in TRANSMITTERS)]
    for time, (x, y, point, rss) in enumerate(rows):
        lines.append(f"{x},{y},{point},{time}," + ",".join("" if value is None else str(value) for value in rss))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def surveys(tmp_path: Path) -> tuple[str, str]:
    """Training: two samples at each of the five points. Test: the fingerprints of the points at
    x = 3 and x = 7 measured 1 m away, at (4, 2) and (7, 3)."""
    train = [(x, 2.0, point, rss) for point, (x, rss) in enumerate(RP_RSS.items()) for _ in range(2)]
    test = [(4.0, 2.0, 0, RP_RSS[3.0]), (7.0, 3.0, 1, RP_RSS[7.0])]
    return _write_survey(tmp_path / "train.csv", train), _write_survey(tmp_path / "test.csv", test)


def test_knn_places_a_known_fingerprint_on_its_reference_point(cli, ap_room, surveys, tmp_path):
    train, test = surveys
    out = tmp_path / "predictions.csv"
    status, stdout, err = cli(["fingerprint", ap_room, "--train", train, "--test", test, "--out", str(out), "--json"])
    assert status == 0, err
    report = json.loads(stdout)
    # A fingerprint identical to a reference point's is at distance 0: weighted kNN returns that
    # point, 1 m from where each test sample was taken.
    assert report["mean_m"] == pytest.approx(1.0) and report["rmse_m"] == pytest.approx(1.0)
    assert report["p90_m"] == pytest.approx(1.0) and report["within_2m"] == 1.0
    assert (report["train_points"], report["labelled_points"], report["test_samples"]) == (5, 5, 2)
    assert (report["model"], report["twin"]) == ("knn", "none")
    rows = out.read_text().splitlines()
    assert rows[0] == "point,x_m,y_m,predicted_x_m,predicted_y_m,error_m"
    assert rows[1:] == ["0,4,2,3,2,1", "1,7,3,7,2,1"]


def test_labelled_fraction_keeps_whole_reference_points(cli, ap_room, surveys):
    train, test = surveys
    status, stdout, err = cli(["fingerprint", ap_room, "--train", train, "--test", test, "--labelled-fraction", "0.4",
                               "--seed", "2", "--json"])
    assert status == 0, err
    report = json.loads(stdout)
    assert (report["train_points"], report["labelled_points"]) == (5, 2)


def test_an_mlp_trains_and_reports_its_time(cli, ap_room, surveys):
    train, test = surveys
    status, stdout, err = cli(["fingerprint", ap_room, "--train", train, "--test", test, "--model", "mlp", "--json"])
    assert status == 0, err
    report = json.loads(stdout)
    assert report["model"] == "mlp" and report["train_seconds"] > 0 and report["test_samples"] == 2


def test_the_twin_trains_alone_or_as_a_prior_of_the_survey(cli, ap_room, surveys):
    train, test = surveys
    reports = {}
    for mode in (["--twin", "only"], ["--twin", "prior"], ["--twin", "prior", "--calibrate"]):
        status, stdout, err = cli(["fingerprint", ap_room, "--train", train, "--test", test, *mode, "--json"])
        assert status == 0, err
        reports[" ".join(mode)] = json.loads(stdout)
    only, prior, calibrated = reports.values()
    assert only["twin"] == "only" and only["twin_points"] > 5 and only["calibration"] is None
    # kNN with the twin as prior keeps the measured fingerprints, so the test samples, measured
    # 1 m from their reference points, are still placed on those points.
    assert prior["mean_m"] == pytest.approx(1.0) and calibrated["mean_m"] == pytest.approx(1.0)
    calibration = calibrated["calibration"]
    assert calibration["links"] == 30  # 10 samples x 3 access points, all heard
    assert calibration["rms_after_db"] < calibration["rms_before_db"]
    assert "range_rms_before_m" not in calibration  # an RSS-only survey has no ranges to calibrate
    # kNN keeps k = 5 with the twin alone; with the twin as prior k is chosen by holding out
    # each of the 5 labelled points in turn.
    assert only["neighbours"] == 5 and prior["neighbours"] in NEIGHBOUR_CANDIDATES


def _refusal(cli, argv) -> str:
    status, stdout, err = cli(argv)
    assert status == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("twinloc: error: ")
    return lines[0]


def test_bad_input_is_one_line_and_status_2(cli, ap_room, surveys, tmp_path):
    train, test = surveys
    single = _write_survey(tmp_path / "single.csv", [(1.0, 2.0, 0, RP_RSS[1.0])] * 3)
    assert "single.csv" in _refusal(cli, ["fingerprint", ap_room, "--train", single, "--test", test])
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("x_m,y_m,rss_dbm:wifi9\n1,2,-50\n")
    assert "unknown.csv" in _refusal(cli, ["fingerprint", ap_room, "--train", train, "--test", str(unknown)])
    assert "--labelled-fraction" in _refusal(cli, ["fingerprint", ap_room, "--train", train, "--test", test,
                                                   "--labelled-fraction", "0"])
    assert "--calibrate" in _refusal(cli, ["fingerprint", ap_room, "--train", train, "--test", test, "--calibrate"])
    assert "missing.csv" in _refusal(cli, ["fingerprint", ap_room, "--train", str(tmp_path / "missing.csv"),
                                           "--test", test])
    no_ranges = _refusal(cli, ["fingerprint", ap_room, "--train", train, "--test", test, "--features", "range"])
    assert f"--train {train}: range features need ranges" in no_ranges
    only_ap3, only_ap1 = tmp_path / "ap3.csv", tmp_path / "ap1.csv"
    only_ap3.write_text("x_m,y_m,rss_dbm:ap3\n1,2,-50\n3,2,-60\n")
    only_ap1.write_text("x_m,y_m,rss_dbm:ap1\n1,2,-50\n")
    assert f"--test {only_ap1}: the survey's transmitters (ap1) include none of the model's (ap3)" in _refusal(
        cli, ["fingerprint", ap_room, "--train", str(only_ap3), "--test", str(only_ap1)])
