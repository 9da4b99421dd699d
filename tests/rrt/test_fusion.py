"""Algorithms 1 and 2 select the right points; fusion never worsens a zero-noise estimate."""

import numpy as np
import pytest

from twinloc.rrt.fusion import select_by_propagation_time, select_by_relative_propagation_time
from twinloc.rrt.launching import launch_rays, sample_directions
from twinloc.rrt.locate import LocateSettings, locate
from twinloc.rrt.measurement import NoiseModel, measure
from twinloc.rrt.point_sets import PlaneCrossings, RayPoints

UE = np.array([5.0, 12.0, 1.2])


def _point_sets(hall, station_index, rng, mode="3d"):
    _, finder, stations = hall
    path = finder.strongest(UE, stations[station_index], 3)
    directions = sample_directions(path.aoa_deg, 1.0, 2000, rng)
    bundle = launch_rays(finder.engine, np.repeat(stations[station_index][None], 2000, axis=0), directions, 3)
    return path, (RayPoints(bundle) if mode == "3d" else PlaneCrossings(bundle, UE[2]))


@pytest.mark.parametrize("mode", ["3d", "2d"])
def test_algorithm_1_concentrates_points_near_the_true_length(hall, mode):
    rng = np.random.default_rng(0)
    path, points = _point_sets(hall, 0, rng, mode)
    uniform, uniform_lengths = points.sample(2000, rng)
    selected, lengths = select_by_propagation_time(points, path.length_m, 0.3, 2000, rng)
    assert len(selected) > 1500
    assert np.mean(lengths) == pytest.approx(path.length_m, abs=0.05)
    assert np.std(lengths) == pytest.approx(0.3, rel=0.15)
    truth = UE[: selected.shape[1]]
    near = np.median(np.linalg.norm(selected - truth, axis=1))
    assert near < 0.5 < np.median(np.linalg.norm(uniform - truth, axis=1))


def test_algorithm_2_selects_pairs_with_the_measured_length_difference(hall):
    rng = np.random.default_rng(1)
    path_0, points_0 = _point_sets(hall, 0, rng)
    path_3, points_3 = _point_sets(hall, 3, rng)
    difference = path_0.length_m - path_3.length_m
    (first, first_lengths), (second, second_lengths) = select_by_relative_propagation_time(
        points_0, points_3, difference, 0.2, 1000, rng
    )
    assert len(first) == len(second) > 800
    pair_differences = first_lengths - second_lengths
    assert np.mean(pair_differences) == pytest.approx(difference, abs=0.05)
    assert np.std(pair_differences) == pytest.approx(0.2, rel=0.2)


@pytest.mark.parametrize("ue", [(5.0, 12.0, 1.2), (2.0, 4.2, 0.5), (6.9, 6.0, 1.0)])
def test_fusion_never_worsens_a_zero_noise_case(hall, ue):
    """Without noise AoA alone is already exact up to the mixtures' smoothing; fusing an
    exact time may only add the quantisation of the length bins (half a 5 cm bin)."""
    _, finder, stations = hall
    ue = np.array(ue)
    paths = [finder.strongest(ue, s, 3) for s in stations]
    settings = LocateSettings(rays=300, fit_points=600)
    errors = {}
    for noise in (NoiseModel(0.0), NoiseModel(0.0, pt_sigma_m=0.0), NoiseModel(0.0, rpt_sigma_m=0.0)):
        rng = np.random.default_rng(4)
        estimate = locate(finder.engine, stations, measure(paths, noise, rng), settings, rng)
        errors[noise] = np.linalg.norm(estimate.position - ue)
    aoa_only, with_pt, with_rpt = errors.values()
    assert aoa_only < 0.05
    assert with_pt <= aoa_only + 0.025
    assert with_rpt <= aoa_only + 0.025
