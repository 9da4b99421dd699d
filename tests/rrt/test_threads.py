"""Position estimates on several threads: the same estimates, BLAS limits restored."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from twinloc.geometry.ray_engine import RayEngine
from twinloc.rrt.locate import LocateSettings, locate
from twinloc.rrt.measurement import NoiseModel, measure
from twinloc.rrt.mixture import fit_mixture


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_an_estimate_on_four_ray_threads_equals_the_one_on_one(four_ray_threads, hall):
    scene, finder, stations = hall
    ue = np.array([2.0, 4.2, 0.5])
    paths = [finder.strongest(ue, s, 3) for s in stations]
    one = RayEngine(scene, threads=1)
    for noise in (NoiseModel(1.0, pt_sigma_m=0.5), NoiseModel(1.0)):
        measurements = measure(paths, noise, np.random.default_rng(3))
        threaded = locate(finder.engine, stations, measurements, LocateSettings(rays=500), np.random.default_rng(4))
        single = locate(one, stations, measurements, LocateSettings(rays=500), np.random.default_rng(4))
        np.testing.assert_array_equal(threaded.position, single.position)
        np.testing.assert_array_equal(threaded.covariance, single.covariance)
        assert np.linalg.norm(threaded.position - ue) < 1.0


def test_fits_side_by_side_give_the_sequential_mixtures_and_restore_blas():
    """Two well separated clusters each; every fit finds them, whichever thread runs it."""
    rng = np.random.default_rng(0)
    point_sets = [
        np.vstack([rng.normal((0.0, 0.0, 1.0), 0.2, (300, 3)), rng.normal((5.0, 2.0, 1.0), 0.2, (300, 3))])
        for _ in range(6)
    ]
    before = blas_threads()
    sequential = [fit_mixture(points, seed=1) for points in point_sets]
    side_by_side: list = [None] * len(point_sets)

    def fit(index):
        side_by_side[index] = fit_mixture(point_sets[index], seed=1)

    workers = [threading.Thread(target=fit, args=(k,)) for k in range(len(point_sets))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for alone, beside in zip(sequential, side_by_side):
        np.testing.assert_array_equal(beside.means, alone.means)
        np.testing.assert_array_equal(beside.covariances, alone.covariances)
        centres = beside.means[np.argsort(beside.means[:, 0])]
        np.testing.assert_allclose(centres, [[0.0, 0.0, 1.0], [5.0, 2.0, 1.0]], atol=0.06)
    assert blas_threads() == before


def test_points_with_nan_are_refused():
    points = np.random.default_rng(0).normal(size=(100, 3))
    points[17, 1] = np.nan
    with pytest.raises(ValueError, match="points must be finite"):
        fit_mixture(points)
