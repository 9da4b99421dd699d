"""The Ray Launch dock and controller driven like a user would, checked against the job's own result."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from fixtures_window import autosave_store, drag_world, make_window, window_settings  # noqa: F401
from PySide6.QtWidgets import QFileDialog

from twinloc.gui.viewport.rays import station_color
from twinloc.rrt.drawing import MAX_DRAWN_POINTS
from twinloc.rrt.evaluation import PERCENTILES
from twinloc.rrt.simulation import LocateResult

pytestmark = pytest.mark.gui

UE = (4.0, 8.0, 1.2)


@pytest.fixture
def hall(make_window):  # noqa: F811
    window = make_window("industrial_hall")
    dock = window.feature("ray_launch").dock
    dock.rays.setValue(300)
    dock.bounces.setValue(2)
    window.feature("ray_launch").controller.set_ue(UE)
    return window


def wait_for_result(qtbot, window, previous=None, timeout: int = 30000):
    controller = window.feature("ray_launch").controller
    qtbot.waitUntil(
        lambda: controller.result is not None and controller.result is not previous and window.runner.is_idle, timeout=timeout
    )
    return controller.result


def test_run_draws_rays_point_clouds_contours_and_the_estimate(hall, qtbot, errors):
    dock, controller = hall.feature("ray_launch").dock, hall.feature("ray_launch").controller
    dock.run()
    result = wait_for_result(qtbot, hall)
    assert isinstance(result, LocateResult), result
    assert hall.feature("ray_launch").view_actions[0].isChecked() and dock.show_in_view.isChecked()
    np.testing.assert_allclose(result.truth, UE)
    trace = result.trace
    actors = controller.actors
    assert set(actors.clouds) == set(result.estimate.stations_used) == set(trace.points)
    for b, (actor, color, count) in actors.clouds.items():
        assert color == station_color(b)
        assert count == min(len(trace.points[b]), MAX_DRAWN_POINTS)
        assert actor.GetMapper().GetInput().GetNumberOfPoints() == count
        np.testing.assert_allclose(actor.prop.color.float_rgb, _rgb(station_color(b)), atol=1e-3)
    # 2D: the mixtures' ellipses lie on the plane at the UE's height.
    assert set(actors.contours) == set(trace.mixtures)
    for actor in actors.contours.values():
        z = np.asarray(actor.GetMapper().GetInput().points)[:, 2]
        np.testing.assert_allclose(z, UE[2])
    np.testing.assert_allclose(actors.estimate_position, result.estimate.position)
    assert actors.caption == f"error {result.error_m:.2f} m"
    assert "error" in dock.result_label.text()
    assert not errors

    # 3D: ellipsoids instead of ellipses; the previous actors are replaced, not added to.
    count_2d = actors.actor_count
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("3d"))
    result_3d = wait_for_result(qtbot, hall, previous=result)
    assert result_3d.estimate.covariance.shape == (3, 3)
    assert set(actors.contours) == set(result_3d.trace.mixtures)
    assert actors.actor_count <= count_2d + 2
    np.testing.assert_allclose(actors.estimate_position, result_3d.estimate.position)


def test_dragging_the_ue_reruns_in_the_background(hall, qtbot):
    hall.floor.action("los").setChecked(False)
    hall.viewport.view_top()
    hall.feature("ray_launch").dock.run()
    first = wait_for_result(qtbot, hall)
    submitted = []
    hall.runner.taskStarted.connect(lambda task: submitted.append(task.key))
    target = np.array(UE) + (1.0, 2.0, 0.0)
    drag_world(hall, UE, target, steps=10)
    after = wait_for_result(qtbot, hall, previous=first)
    assert submitted and set(submitted) == {"locate"}
    assert len(submitted) <= 4  # throttled: one rerun per burst of moves, not one per mouse move
    assert not np.allclose(after.truth, first.truth)
    np.testing.assert_allclose(after.truth[:2], target[:2], atol=0.3)
    np.testing.assert_allclose(hall.feature("ray_launch").controller.marker.position, after.truth)
    assert [spin.value() for spin in hall.feature("ray_launch").dock.ue_spins] == pytest.approx(after.truth, abs=0.01)
    assert hall.document.undo_stack.count() == 0  # the UE is not project state


def test_base_station_table_edits_are_undoable_and_rerun(hall, qtbot):
    dock, document = hall.feature("ray_launch").dock, hall.document
    assert dock.station_table.rowCount() == 4
    dock.run()
    first = wait_for_result(qtbot, hall)
    dock.station_table.item(0, 1).setText("1.50")
    assert document.project.base_stations[0].position[0] == 1.5
    second = wait_for_result(qtbot, hall, previous=first)
    assert isinstance(second, LocateResult)
    dock.station_table.selectRow(3)
    dock.remove_selected_stations()
    assert len(document.project.base_stations) == 3 and dock.station_table.rowCount() == 3
    dock.add_station()
    assert [b.name for b in document.project.base_stations][-1] == "BS4"
    document.undo_stack.undo()
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.project.base_stations[0].position[0] == pytest.approx(0.1)
    assert dock.station_table.item(0, 1).text() == "0.10"
    wait_for_result(qtbot, hall, previous=second)


def test_evaluation_fills_the_cdf_and_exports(hall, qtbot, tmp_path, monkeypatch):
    dock, controller = hall.feature("ray_launch").dock, hall.feature("ray_launch").controller
    dock.drops.setValue(3)
    dock.sigma_list.setText("1")
    dock.evaluate()
    assert dock.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: controller.evaluation is not None and dock.evaluate_button.isEnabled(), timeout=60000)
    evaluation = controller.evaluation
    curves = dict(dock.cdf_plot.curves)
    assert len(curves) == 2
    twin = curves["2D, AoA 1°, PT 0.5 m, twin"]
    np.testing.assert_allclose(twin, np.sort(evaluation.results[0].errors_m[np.isfinite(evaluation.results[0].errors_m)]))
    assert dock.cdf_plot.table.rowCount() == 2

    csv_path, png_path = tmp_path / "cdf.csv", tmp_path / "cdf.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(csv_path), ""))
    dock.export_csv_button.click()
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert [row["estimator"] for row in rows] == ["twin", "triangulation"]
    summary = evaluation.summaries()[0]
    for q in PERCENTILES:
        assert float(rows[0][f"p{q}_m"]) == pytest.approx(summary[f"p{q}_m"])
        assert float(rows[1][f"p{q}_m"]) == pytest.approx(summary["baseline"][f"p{q}_m"])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(png_path), ""))
    dock.export_png_button.click()
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluation_can_be_cancelled(hall, qtbot):
    dock, controller = hall.feature("ray_launch").dock, hall.feature("ray_launch").controller
    dock.drops.setValue(500)
    dock.evaluate()
    dock.cancel_button.click()
    qtbot.waitUntil(lambda: dock.evaluate_button.isEnabled(), timeout=30000)
    assert dock.evaluation_label.text() == "Cancelled."
    assert controller.evaluation is None



def test_evaluation_on_a_dask_cluster_links_its_dashboard_and_equals_in_process(hall, qtbot):
    from dataclasses import replace

    import dask
    from distributed import LocalCluster

    from twinloc.compute.rrt_jobs import path_finder_for
    from twinloc.rrt.evaluation import evaluate

    dock, controller = hall.feature("ray_launch").dock, hall.feature("ray_launch").controller
    dock.drops.setValue(3)
    dock.sigma_list.setText("1")
    # Dask's nanny writes its worker environment into this process's os.environ too; started
    # as open_runner starts its clusters, it leaves no MALLOC_TRIM_THRESHOLD_ for later tests' workers.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        dock.scheduler_combo.setEditText(cluster.scheduler_address)
        dock.evaluate()
        qtbot.waitUntil(lambda: controller.evaluation is not None and dock.evaluate_button.isEnabled(), timeout=120000)
        assert f'href="{cluster.dashboard_link}"' in dock.dashboard_label.text()
    on_cluster = controller.evaluation
    settings = controller.settings
    in_process = evaluate(path_finder_for(hall.document.scene), controller.stations(), on_cluster.ues,
                          [r.setting for r in on_cluster.results], replace(settings.locate_settings(), mode=settings.mode),
                          settings.seed)
    np.testing.assert_array_equal(on_cluster.results[0].errors_m, in_process.results[0].errors_m)
    assert np.isfinite(in_process.results[0].errors_m).all()


def test_a_scheduler_that_is_no_address_is_refused_in_a_dialog(hall, errors):
    dock = hall.feature("ray_launch").dock
    dock.scheduler_combo.setEditText("cluster-host")
    dock.evaluate()
    assert errors and errors[0][0] == "Cannot evaluate" and "cluster-host" in errors[0][1]
    assert dock.evaluate_button.isEnabled()

def _rgb(color: str) -> tuple[float, float, float]:
    return tuple(int(color[i : i + 2], 16) / 255.0 for i in (1, 3, 5))
