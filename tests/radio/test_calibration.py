"""Calibration of the twin from a survey, against hand-chosen truths and textbook least squares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from scipy.stats import t as student_t

from twinloc.radio.calibration import calibrate, calibrate_ranges, twin_aided_map, twin_aided_ranges


@dataclass
class Twin:
    rss_dbm: np.ndarray
    crossings: np.ndarray
    material_names: tuple[str, ...]
    transmitter_names: tuple[str, ...]


def _site(points: int, seed: int):
    """Three access points over a 20 m x 10 m floor, free-space twin, random wall counts."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform([0.0, 0.0], [20.0, 10.0], size=(points, 2))
    ap = np.array([[1.0, 1.0], [19.0, 2.0], [10.0, 9.0]])
    distance = np.hypot(*(xy[:, None, :] - ap[None, :, :]).transpose(2, 0, 1))
    twin_rss = 20.0 - 40.0 - 20.0 * np.log10(distance)
    crossings = np.zeros((points, 3, 3))
    crossings[..., 0] = rng.integers(0, 3, size=(points, 3))  # concrete
    crossings[..., 1] = rng.integers(0, 2, size=(points, 3))  # glass
    return rng, np.c_[xy, np.ones(points)], distance, twin_rss, crossings


def test_known_offsets_and_material_losses_are_recovered_despite_outliers_and_gaps():
    rng, _, distance, twin_rss, crossings = _site(300, seed=7)
    offsets = np.array([-3.0, 2.5, 0.0])
    losses = np.array([4.0, 1.5, 0.0])  # metal is never crossed
    measured = twin_rss + offsets - crossings @ losses + rng.normal(0.0, 1.0, twin_rss.shape)
    measured[rng.random(twin_rss.shape) < 0.05] += 25.0  # a body in the way the other way round: outliers
    measured[rng.random(twin_rss.shape) < 0.1] = np.nan  # not heard
    twin = Twin(twin_rss, crossings, ("concrete", "glass", "metal"), ("AP1", "AP2", "AP3"))

    result = calibrate(twin, measured, distance)

    np.testing.assert_allclose(result.offsets_db, offsets, atol=0.35)
    np.testing.assert_allclose(result.material_loss_db[:2], losses[:2], atol=0.25)
    assert result.material_loss_db[2] == 0.0 and result.exponent_change == 0.0
    for parameter in result.parameters[:5]:
        truth = {"AP1": -3.0, "AP2": 2.5, "AP3": 0.0, "concrete": 4.0, "glass": 1.5}[parameter.name]
        assert parameter.identified and parameter.low <= truth <= parameter.high
    (metal,) = result.unidentified
    assert (metal.kind, metal.name, metal.reason) == ("material", "metal", "no heard link crosses metal")
    assert np.isnan(metal.low)
    heard = np.isfinite(measured)
    before = (measured - twin_rss)[heard]
    left = (measured - (twin_rss + offsets - crossings @ losses))[heard]  # noise and outliers
    assert result.rms_before_db == pytest.approx(np.sqrt(np.mean(before**2)))
    assert result.rms_after_db == pytest.approx(np.sqrt(np.mean(left**2)), rel=0.02)
    assert result.links == np.count_nonzero(np.isfinite(measured))


def test_offsets_alone_match_the_textbook_mean_and_its_t_interval():
    rng, _, distance, twin_rss, _ = _site(40, seed=3)
    measured = twin_rss + np.array([1.0, -2.0, 4.0]) + rng.normal(0.0, 2.0, twin_rss.shape)
    twin = Twin(twin_rss, np.zeros((40, 3, 0)), (), ("a", "b", "c"))

    result = calibrate(twin, measured, distance, fit_exponent=False, loss="linear")

    difference = measured - twin_rss
    np.testing.assert_allclose(result.offsets_db, difference.mean(axis=0), atol=1e-6)
    s = np.sqrt(np.sum((difference - difference.mean(axis=0)) ** 2) / (120 - 3))
    half = student_t.ppf(0.975, 117) * s / np.sqrt(40)
    for parameter, mean in zip(result.parameters, difference.mean(axis=0)):
        assert parameter.high - mean == pytest.approx(half, rel=1e-4)


def test_without_any_crossed_wall_a_path_loss_exponent_change_is_fitted():
    rng, _, distance, twin_rss, crossings = _site(200, seed=11)
    crossings[:] = 0.0
    measured = twin_rss + np.array([0.0, 1.0, -1.0]) - 10.0 * 0.7 * np.log10(distance) \
        + rng.normal(0.0, 0.5, twin_rss.shape)
    twin = Twin(twin_rss, crossings, ("concrete", "glass", "metal"), ("AP1", "AP2", "AP3"))

    result = calibrate(twin, measured, distance)

    assert result.exponent_change == pytest.approx(0.7, abs=0.05)
    np.testing.assert_allclose(result.offsets_db, [0.0, 1.0, -1.0], atol=0.3)
    assert {p.name for p in result.unidentified} == {"concrete", "glass", "metal"}


def test_a_material_crossed_only_and_always_by_one_transmitter_cannot_be_told_from_its_offset():
    rng, _, distance, twin_rss, crossings = _site(100, seed=5)
    crossings[..., 2] = 0.0
    crossings[:, 0, 2] = 1.0  # every link of AP1 crosses one metal door, no other link does
    measured = twin_rss + rng.normal(0.0, 1.0, twin_rss.shape)
    twin = Twin(twin_rss, crossings, ("concrete", "glass", "metal"), ("AP1", "AP2", "AP3"))

    result = calibrate(twin, measured, distance)

    (metal,) = result.unidentified
    assert metal.name == "metal" and "cannot tell metal apart" in metal.reason
    assert result.material_loss_db[2] == 0.0


def test_too_few_heard_links_and_bad_shapes_are_refused():
    _, _, distance, twin_rss, crossings = _site(1, seed=1)
    twin = Twin(twin_rss, crossings, ("concrete", "glass", "metal"), ("AP1", "AP2", "AP3"))
    with pytest.raises(ValueError, match="heard link"):
        calibrate(twin, twin_rss, distance)
    with pytest.raises(ValueError, match="measured RSS has shape"):
        calibrate(twin, twin_rss[:, :2], distance)
    with pytest.raises(ValueError, match="distances have shape"):
        calibrate(twin, twin_rss, distance[:, :2])


def test_the_residual_process_reproduces_a_smooth_residual_between_surveyed_points():
    gx, gy = np.meshgrid(np.arange(0.0, 21.0, 1.5), np.arange(0.0, 11.0, 1.5))
    survey = np.c_[gx.ravel(), gy.ravel(), np.ones(gx.size)]
    hx, hy = np.meshgrid(np.arange(0.75, 19.5, 1.5), np.arange(0.75, 9.8, 1.5))
    held_out = np.c_[hx.ravel(), hy.ravel(), np.ones(hx.size)]

    def smooth(points):  # what the twin misses: a slow ripple of a few dB, 1 transmitter
        return (3.0 * np.sin(points[:, 0] / 4.0) + 2.0 * np.cos(points[:, 1] / 5.0))[:, None]

    def twin_at(points):
        distance = np.hypot(points[:, 0] - 10.0, points[:, 1] - 5.0)[:, None] + 1.0
        return Twin(-30.0 - 20.0 * np.log10(distance), np.zeros((len(points), 1, 0)), (), ("AP",)), distance

    rng = np.random.default_rng(2)
    twin, distance = twin_at(survey)
    measured = twin.rss_dbm + 5.0 + smooth(survey) + rng.normal(0.0, 0.2, (len(survey), 1))
    calibration = calibrate(twin, measured, distance, fit_exponent=False)
    aided = twin_aided_map(calibration, survey, twin, measured, distance)

    twin_h, distance_h = twin_at(held_out)
    predicted = aided.predict(held_out, twin_h.rss_dbm, twin_h.crossings, distance_h)
    truth = twin_h.rss_dbm + 5.0 + smooth(held_out)
    error = np.abs(predicted - truth)
    assert error.mean() < 0.3 and error.max() < 1.0
    # The calibrated twin alone misses the ripple by its amplitude.
    assert np.abs(calibration.apply(twin_h.rss_dbm, twin_h.crossings, distance_h) - truth).mean() > 1.0


def test_range_calibration_recovers_a_scale_and_bias_per_transmitter():
    rng, _, distance, _, _ = _site(150, seed=9)
    measured = distance * np.array([1.1, 1.0, 0.95]) + np.array([-1.5, 0.5, 0.0]) + rng.normal(0.0, 0.2, distance.shape)
    measured[:10, 0] += 6.0  # NLOS excess on a few links
    measured[20:30, 1] = np.nan

    result = calibrate_ranges(distance, measured, ("AP1", "AP2", "AP3"))

    np.testing.assert_allclose(result.scale, [1.1, 1.0, 0.95], atol=0.02)
    np.testing.assert_allclose(result.bias_m, [-1.5, 0.5, 0.0], atol=0.15)
    ok = np.isfinite(measured)
    left = (measured - (distance * np.array([1.1, 1.0, 0.95]) + np.array([-1.5, 0.5, 0.0])))[ok]
    assert result.rms_before_m == pytest.approx(np.sqrt(np.mean((measured - distance)[ok] ** 2)))
    assert result.rms_after_m == pytest.approx(np.sqrt(np.mean(left**2)), rel=0.03)


def test_twin_aided_ranges_recover_a_smooth_nlos_excess_between_surveyed_points():
    gx, gy = np.meshgrid(np.arange(0.0, 21.0, 1.5), np.arange(0.0, 11.0, 1.5))
    survey = np.c_[gx.ravel(), gy.ravel(), np.ones(gx.size)]
    hx, hy = np.meshgrid(np.arange(0.75, 19.5, 1.5), np.arange(0.75, 9.8, 1.5))
    held_out = np.c_[hx.ravel(), hy.ravel(), np.ones(hx.size)]

    def twin_range(points):  # the twin's straight line from an access point at (2, 5, 2.5)
        return np.linalg.norm(points - np.array([2.0, 5.0, 2.5]), axis=1)[:, None]

    def excess(points):  # what walls the twin lacks add: up to 2 m behind x = 12, fading either side
        return 2.0 * np.exp(-((points[:, 0] - 14.0) ** 2) / 18.0)[:, None]

    def truth(points):
        return 1.05 * twin_range(points) + 0.4 + excess(points)

    measured = truth(survey) + np.random.default_rng(4).normal(0.0, 0.05, (len(survey), 1))
    aided = twin_aided_ranges(survey, twin_range(survey), measured, ("AP",))

    error = np.abs(aided.predict(held_out, twin_range(held_out)) - truth(held_out))
    assert error.mean() < 0.1 and error.max() < 0.4
    # The straight-line calibration alone misses the excess by most of a metre where it peaks.
    line = np.abs(aided.calibration.apply(twin_range(held_out)) - truth(held_out))
    assert line.max() > 0.7
