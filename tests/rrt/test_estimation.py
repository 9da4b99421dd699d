"""Measurements, the triangulation baseline, locating in the hall, evaluation and its jobs."""

import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled, report_nothing
from twinloc.compute.rrt_jobs import evaluation_job, locate_job
from twinloc.rrt.evaluation import EvaluationSetting, drop_ues, error_percentiles, evaluate
from twinloc.rrt.locate import LocateSettings, locate
from twinloc.rrt.measurement import NoiseModel, measure
from twinloc.rrt.triangulation import triangulate


def test_measurements_are_the_strongest_path_plus_seeded_gaussian_noise(hall):
    _, finder, stations = hall
    ue = np.array([2.0, 4.2, 0.5])
    paths = [finder.strongest(ue, s, 3) for s in stations]
    exact = measure(paths, NoiseModel(0.0, pt_sigma_m=0.0), np.random.default_rng(0))
    np.testing.assert_allclose(exact.aoa_deg, [p.aoa_deg for p in paths])
    np.testing.assert_allclose(exact.pt_m, [p.length_m for p in paths])
    noisy = [measure(paths, NoiseModel(0.5, pt_sigma_m=0.3), np.random.default_rng(k)) for k in range(400)]
    aoa_errors = np.array([m.aoa_deg - exact.aoa_deg for m in noisy])
    assert aoa_errors.std() == pytest.approx(0.5, rel=0.08)
    assert np.array([m.pt_m - exact.pt_m for m in noisy]).std() == pytest.approx(0.3, rel=0.08)
    rpt = measure(paths, NoiseModel(0.0, rpt_sigma_m=0.0), np.random.default_rng(0))
    assert len(rpt.rpt_pairs) == 6
    for (i, j), difference in zip(rpt.rpt_pairs, rpt.rpt_m):
        assert difference == pytest.approx(paths[i].length_m - paths[j].length_m)
    with pytest.raises(ValueError):
        NoiseModel(1.0, pt_sigma_m=0.5, rpt_sigma_m=0.5)


def test_triangulation_intersects_exact_lines_in_3d_and_2d():
    stations = np.array([[0.0, 0.0, 2.0], [8.0, 0.0, 2.0], [0.0, 10.0, 2.0]])
    ue = np.array([3.0, 4.0, 1.0])
    vectors = ue - stations
    aoa = np.degrees(np.column_stack([np.arctan2(vectors[:, 1], vectors[:, 0]),
                                      np.arctan2(vectors[:, 2], np.hypot(vectors[:, 0], vectors[:, 1]))]))
    np.testing.assert_allclose(triangulate(stations, aoa), ue, atol=1e-9)
    np.testing.assert_allclose(triangulate(stations, aoa, height_m=1.0), ue, atol=1e-9)
    aoa[1:] = np.nan
    with pytest.raises(ValueError):
        triangulate(stations, aoa)


def test_locate_in_the_hall_is_accurate_with_time_fusion_and_reports_its_uncertainty(hall):
    _, finder, stations = hall
    ue = np.array([2.0, 4.2, 0.5])  # three of four stations see it only by reflection
    paths = [finder.strongest(ue, s, 3) for s in stations]
    rng = np.random.default_rng(7)
    measurements = measure(paths, NoiseModel(0.25, pt_sigma_m=0.5), rng)
    estimate = locate(finder.engine, stations, measurements, LocateSettings(), rng)
    assert np.linalg.norm(estimate.position - ue) < 0.2
    assert 0.0 < estimate.uncertainty_m < 0.5
    assert estimate.stations_used == (0, 1, 2, 3)
    baseline = triangulate(stations, measurements.aoa_deg)
    assert np.linalg.norm(baseline - ue) > 1.0  # the reflected angles mislead it
    flat = locate(finder.engine, stations, measurements, LocateSettings(mode="2d"), rng, height_m=ue[2])
    assert flat.position[2] == ue[2] and np.linalg.norm(flat.position - ue) < 0.2


def test_error_percentiles_count_failures_as_the_worst_errors():
    summary = error_percentiles(np.array([0.1, 0.2, 0.3, np.nan]))
    assert summary["p50_m"] == 0.2 and summary["p90_m"] is None
    assert summary["mean_m"] == pytest.approx(0.2) and summary["failures"] == 1


def test_drops_are_seeded_inside_the_room_and_outside_solids(hall):
    scene, finder, _ = hall
    ues = drop_ues(finder.engine, scene.bounds, 200, np.random.default_rng(3))
    assert ues.shape == (200, 3)
    assert not finder.engine.points_inside_solids(ues).any()
    assert np.all(ues >= 0.2 - 1e-12) and np.all(ues <= scene.bounds[1] - 0.2 + 1e-12)
    np.testing.assert_array_equal(ues, drop_ues(finder.engine, scene.bounds, 200, np.random.default_rng(3)))


def test_evaluation_beats_triangulation_where_los_is_blocked(hall):
    scene, finder, stations = hall
    ues = drop_ues(finder.engine, scene.bounds, 6, np.random.default_rng(11))
    settings = [EvaluationSetting(NoiseModel(0.5, pt_sigma_m=0.5)), EvaluationSetting(NoiseModel(0.5), "2d")]
    evaluation = evaluate(finder, stations, ues, settings, LocateSettings(rays=1000, fit_points=1000), seed=2)
    summaries = evaluation.summaries()
    assert [s["mode"] for s in summaries] == ["3d", "2d"]
    for summary in summaries:
        assert summary["drops"] == 6 and summary["failures"] == 0
        assert summary["p50_m"] < 0.3
        if summary["nlos_drops"]:
            assert summary["nlos"]["p50_m"] < summary["nlos_baseline"]["p50_m"]


def test_jobs_locate_and_cancel(hall):
    scene, _, stations = hall
    result = locate_job(scene, (5.0, 12.0, 1.2), stations, NoiseModel(0.25, pt_sigma_m=0.5), seed=3).function(
        report_nothing, CancelToken()
    )
    assert result.error_m < 0.2 and result.seconds > 0
    token = CancelToken()
    token.cancel()
    job = evaluation_job(scene, stations, [EvaluationSetting(NoiseModel(1.0))], drops=5)
    with pytest.raises(JobCancelled):
        job.function(report_nothing, token)
    assert job.key != evaluation_job(scene, stations, [EvaluationSetting(NoiseModel(1.0))], drops=6).key


def test_the_rays_of_one_estimate_are_capped():
    # 4 stations x 125,000 rays x (3 + 1) segments is exactly the 2,000,000 allowed.
    LocateSettings(rays=125_000, bounces=3).check_ray_budget(4)
    with pytest.raises(ValueError, match="2,000,016 ray segments"):
        LocateSettings(rays=125_001, bounces=3).check_ray_budget(4)
