"""Error maps against hand-worked and known-distribution values."""

import math

import numpy as np
import pytest

from uwb_scenes import CONCRETE, room_scene, thin_wall
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.ray_engine import RayEngine
from twinloc.model.analysis import ErrorMapSettings, RangingModel
from twinloc.uwb import error_map as error_map_module
from twinloc.uwb.error_map import compute_error_map, write_error_map_csv, write_error_map_npz
from twinloc.uwb.multilateration import gdop

SQUARE = np.array([[0.0, 0.0, 1.0], [4.0, 0.0, 1.0], [4.0, 4.0, 1.0], [0.0, 4.0, 1.0]])


def _map(scene, anchors, settings=ErrorMapSettings(), resolution=0.5):
    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, resolution, 1.0, engine=engine)
    return compute_error_map(engine, scene, grid, anchors, settings)


def test_no_obstacles_and_no_noise_give_zero_error_everywhere():
    error_map = _map(room_scene(), SQUARE, ErrorMapSettings(physics_only=True), resolution=0.25)
    assert error_map.magnitude.size == 256
    np.testing.assert_allclose(error_map.error, 0.0, atol=1e-9)
    assert (error_map.los_count == 4).all() and not error_map.degenerate.any()
    summary = error_map.summary()
    assert summary["sum_error_m"] == pytest.approx(0.0, abs=1e-6) and summary["nlos_fraction"] == 0.0


def test_slab_shift_of_the_centre_cell_matches_the_hand_worked_value():
    # Diamond anchors around the cell centred on (2.25, 2.25); a wall at x = 1.25 crosses only
    # the link from (0.25, 2.25). As in test_ranging, the fix shifts by ((2 + d)^2 - 4) / 6 along x.
    diamond = np.array([[0.25, 2.25, 1.0], [4.25, 2.25, 1.0], [2.25, 0.25, 1.0], [2.25, 4.25, 1.0]])
    scene = room_scene(thin_wall("wall", (1.25, 1.75), (1.25, 2.75)), width=4.5, depth=4.5)
    error_map = _map(scene, diamond, ErrorMapSettings(physics_only=True))
    centre = np.flatnonzero(np.all(np.isclose(error_map.grid.points[:, :2], [2.25, 2.25]), axis=1))[0]
    delta = CONCRETE.thickness_m * (math.sqrt(CONCRETE.relative_permittivity) - 1.0)
    np.testing.assert_allclose(error_map.error[centre], [((2.0 + delta) ** 2 - 4.0) / 6.0, 0.0], atol=1e-9)
    assert error_map.los_count[centre] == 3


def test_collinear_anchors_mark_every_cell_degenerate_without_nan():
    anchors = np.array([[0.0, 0.0, 2.0], [2.0, 0.0, 2.0], [4.0, 0.0, 2.0]])
    error_map = _map(room_scene(), anchors)
    assert error_map.degenerate.all()
    assert np.isfinite(error_map.error).all() and np.isfinite(error_map.gdop).all()
    assert error_map.summary()["degenerate_cells"] == error_map.magnitude.size
    assert error_map.summary()["mean_error_m"] is None


def test_two_anchors_are_too_few_and_reported():
    error_map = _map(room_scene(), SQUARE[:2])
    assert error_map.degenerate.all()


def test_monte_carlo_rmse_matches_sigma_times_gdop():
    # Refined least squares is the maximum-likelihood fix: for small Gaussian range noise its
    # horizontal RMSE is sigma * GDOP (the trace of the Cramer-Rao covariance).
    sigma = 0.02
    model = RangingModel(los_mean_m=0.0, los_std_m=sigma)
    settings = ErrorMapSettings(monte_carlo_draws=4000, seed=7, refine_iterations=5, ranging=model)
    error_map = _map(room_scene(), SQUARE, settings, resolution=1.0)
    expected = sigma * gdop(SQUARE, error_map.grid.points)
    np.testing.assert_allclose(error_map.monte_carlo.rmse, expected, rtol=0.05)
    np.testing.assert_allclose(error_map.monte_carlo.mean_error, 0.0, atol=0.003)
    # The error length of a 2D isotropic Gaussian is Rayleigh: p90 = sqrt(2 ln 10) * s with
    # s = RMSE / sqrt(2); the centre cell has an isotropic covariance.
    centre = np.flatnonzero(np.all(np.isclose(error_map.grid.points[:, :2], [2.5, 2.5]), axis=1))
    rayleigh_p90 = math.sqrt(2.0 * math.log(10.0)) * expected[centre] / math.sqrt(2.0)
    np.testing.assert_allclose(error_map.monte_carlo.p90[centre], rayleigh_p90, rtol=0.08)


def test_monte_carlo_is_deterministic_for_a_seed():
    settings = ErrorMapSettings(monte_carlo_draws=20, seed=3)
    first = _map(room_scene(), SQUARE, settings).monte_carlo
    second = _map(room_scene(), SQUARE, settings).monte_carlo
    other = _map(room_scene(), SQUARE, ErrorMapSettings(monte_carlo_draws=20, seed=4)).monte_carlo
    np.testing.assert_array_equal(first.rmse, second.rmse)
    assert not np.array_equal(first.rmse, other.rmse)


def test_csv_and_npz_exports(tmp_path):
    anchors = np.array([[0.0, 0.0, 2.0], [2.0, 0.0, 2.0], [4.0, 0.0, 2.0]])  # degenerate
    error_map = _map(room_scene(), SQUARE)
    write_error_map_csv(error_map, tmp_path / "map.csv")
    lines = (tmp_path / "map.csv").read_text().splitlines()
    assert lines[0] == "x_m,y_m,err_x_m,err_y_m,err_m,gdop,los_count"
    assert len(lines) == 1 + error_map.magnitude.size
    x, y, ex, ey, e, g, count = lines[1].split(",")
    assert (float(x), float(y)) == (0.25, 0.25) and int(count) == 4
    assert float(e) == pytest.approx(math.hypot(float(ex), float(ey)), abs=1e-5)
    degenerate = _map(room_scene(), anchors)
    write_error_map_csv(degenerate, tmp_path / "degenerate.csv")
    row = (tmp_path / "degenerate.csv").read_text().splitlines()[1].split(",")
    assert row[2:5] == ["nan", "nan", "nan"] and row[5] == "inf"
    write_error_map_npz(error_map, tmp_path / "map.npz")
    with np.load(tmp_path / "map.npz") as data:
        np.testing.assert_array_equal(data["los_count"], error_map.los_count)
        assert data["mask"].shape == error_map.grid.mask.shape


def test_monte_carlo_draws_times_cells_are_capped_before_any_work(monkeypatch):
    # 256 cells at 0.25 m; a cap of 2560 fixes allows 10 draws and refuses 11.
    monkeypatch.setattr(error_map_module, "MAX_MONTE_CARLO_FIXES", 2560)
    assert _map(room_scene(), SQUARE, ErrorMapSettings(monte_carlo_draws=10), resolution=0.25).monte_carlo.draws == 10
    with pytest.raises(ValueError, match="11 Monte Carlo draws x 256 cells make 2,816 fixes"):
        _map(room_scene(), SQUARE, ErrorMapSettings(monte_carlo_draws=11), resolution=0.25)
    # Physics-only maps draw nothing, so the draws set do not count.
    assert _map(room_scene(), SQUARE, ErrorMapSettings(monte_carlo_draws=11, physics_only=True), resolution=0.25).monte_carlo is None


def test_monte_carlo_in_single_draw_batches_gives_the_same_map(monkeypatch):
    # The noise is one seeded stream of standard normals, so the batch size cannot change it.
    settings = ErrorMapSettings(monte_carlo_draws=12, seed=4)
    batched = _map(room_scene(), SQUARE, settings).monte_carlo
    monkeypatch.setattr(error_map_module, "_RANGES_PER_BATCH", 1)
    single = _map(room_scene(), SQUARE, settings).monte_carlo
    np.testing.assert_allclose(single.mean_error, batched.mean_error, rtol=0, atol=1e-12)
    np.testing.assert_allclose(single.p90, batched.p90, rtol=0, atol=1e-12)
