"""evaluate-rrt as a study: bit-identical in-process, on a 2-worker LocalCluster and from the CLI."""

import io
import json
import sys

import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.cli import main
from twinloc.geometry.faces import planar_faces
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine
from twinloc.rrt.evaluation import EvaluationSetting, drop_ues, evaluate, evaluate_study
from twinloc.rrt.locate import LocateSettings
from twinloc.rrt.measurement import NoiseModel
from twinloc.rrt.paths import PathFinder
from twinloc.studies import open_runner

SETTINGS = (EvaluationSetting(NoiseModel(1.0, pt_sigma_m=0.5)), EvaluationSetting(NoiseModel(0.5), "2d"))
# Few rays and one bounce: a drop takes a tenth of a second; the estimates are coarse but real.
LOCATE = LocateSettings(rays=100, bounces=1, fit_points=100, max_components=2)
DROPS = 5
PER_TASK = 2  # three tasks, starting at drops 0, 2 and 4


@pytest.fixture(scope="module")
def hall_drops():
    scene = load_scene("industrial_hall")
    finder = PathFinder(RayEngine(scene), planar_faces(scene))
    stations = np.array([b.position for b in scene.base_stations])
    ues = drop_ues(finder.engine, scene.bounds, DROPS, np.random.default_rng(4))
    return scene, finder, stations, ues


def assert_same_evaluation(left, right):
    np.testing.assert_array_equal(left.nlos, right.nlos)
    for a, b in zip(left.results, right.results, strict=True):
        np.testing.assert_array_equal(a.errors_m, b.errors_m)
        np.testing.assert_array_equal(a.baseline_errors_m, b.baseline_errors_m)


def test_a_study_on_two_workers_is_bit_identical_to_one_loop(hall_drops, cluster_runner):
    scene, finder, stations, ues = hall_drops
    in_one_loop = evaluate(finder, stations, ues, SETTINGS, LOCATE, seed=9)
    on_cluster = evaluate_study(cluster_runner, scene, stations, ues, SETTINGS, LOCATE, seed=9, drops_per_task=PER_TASK)
    assert_same_evaluation(on_cluster, in_one_loop)
    with open_runner("none") as here:
        in_process = evaluate_study(here, scene, stations, ues, SETTINGS, LOCATE, seed=9, drops_per_task=PER_TASK)
    assert_same_evaluation(in_process, in_one_loop)
    assert np.isfinite(in_one_loop.results[0].errors_m).all()  # the comparison is of real estimates


def test_a_cancelled_study_raises(hall_drops, cluster_runner):
    scene, _, stations, ues = hall_drops
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        evaluate_study(cluster_runner, scene, stations, ues, SETTINGS, LOCATE, cancel=token)


def test_the_cli_prints_the_same_percentiles_on_a_cluster_and_in_process(cluster_runner, capsys):
    from distributed import default_client

    arguments = ["evaluate-rrt", "industrial_hall", "--drops", "3", "--rays", "100", "--bounces", "1",
                 "--aoa-sigma", "1", "--json"]
    reports = []
    for scheduler in ("none", default_client().scheduler.address):
        assert main([*arguments, "--scheduler", scheduler]) == 0
        captured = capsys.readouterr()
        assert captured.err == ""  # --json: no progress bar
        reports.append(json.loads(captured.out)["settings"])
    assert reports[0] == reports[1]


def test_a_scheduler_nobody_runs_is_one_line_error(capsys):
    status = main(["evaluate-rrt", "industrial_hall", "--drops", "1", "--scheduler", "nowhere"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip() == ("twinloc: error: --scheduler nowhere: 'nowhere' is not local, none or a scheduler "
                           "address such as tcp://host:8786")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_sees_a_progress_bar_and_json_does_not(monkeypatch, capsys):
    arguments = ["evaluate-rrt", "industrial_hall", "--drops", "2", "--rays", "100", "--bounces", "1", "--aoa-sigma", "1",
                 "--scheduler", "none"]
    for extra, drawn in (([], True), (["--json"], False)):
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main([*arguments, *extra]) == 0
        assert ("Evaluating: 100%" in terminal.getvalue()) is drawn, terminal.getvalue()
    assert "2 drops" in capsys.readouterr().out
