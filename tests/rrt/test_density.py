"""Mixture densities, their product's mode against the analytic product of Gaussians, BIC fits."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from twinloc.rrt.density import product_mode
from twinloc.rrt.mixture import Mixture, fit_mixture


def _gaussian(mean, covariance):
    return Mixture(np.array([1.0]), np.array([mean], dtype=float), np.array([covariance], dtype=float))


def test_mixture_log_density_and_gradient_match_scipy():
    mixture = Mixture(
        np.array([0.3, 0.7]),
        np.array([[0.0, 0.0, 1.0], [2.0, 1.0, 0.5]]),
        np.array([np.diag([0.2, 0.3, 0.1]), [[0.5, 0.1, 0.0], [0.1, 0.4, 0.05], [0.0, 0.05, 0.3]]]),
    )
    points = np.random.default_rng(0).normal(size=(20, 3))
    expected = np.log(
        0.3 * multivariate_normal(mixture.means[0], mixture.covariances[0]).pdf(points)
        + 0.7 * multivariate_normal(mixture.means[1], mixture.covariances[1]).pdf(points)
    )
    np.testing.assert_allclose(mixture.log_density(points), expected, rtol=1e-10)
    x, h = points[0], 1e-6
    _, gradient = mixture.log_density_gradient(x)
    numeric = [(mixture.log_density(x + h * e) - mixture.log_density(x - h * e))[0] / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5)


def test_the_mode_of_a_product_of_two_gaussians_is_the_analytic_product_mode():
    first = _gaussian([1.0, 2.0, 0.5], [[0.5, 0.2, 0.0], [0.2, 0.3, 0.1], [0.0, 0.1, 0.2]])
    second = _gaussian([2.0, 1.0, 1.5], [[0.1, 0.0, 0.0], [0.0, 0.8, -0.1], [0.0, -0.1, 0.4]])
    precision_1, precision_2 = np.linalg.inv(first.covariances[0]), np.linalg.inv(second.covariances[0])
    covariance = np.linalg.inv(precision_1 + precision_2)
    expected = covariance @ (precision_1 @ first.means[0] + precision_2 @ second.means[0])
    mode = product_mode([first, second])
    np.testing.assert_allclose(mode.position, expected, atol=1e-6)
    # The product of Gaussians is Gaussian: the Laplace covariance is exact.
    np.testing.assert_allclose(mode.covariance, covariance, atol=1e-9)
    assert mode.radius_m == pytest.approx(np.sqrt(np.trace(covariance)))


def test_the_product_mode_picks_the_right_peak_of_multimodal_mixtures():
    left_or_right = Mixture(np.array([0.6, 0.4]), np.array([[0.0, 0.0], [5.0, 0.0]]), np.array([np.eye(2) * 0.1] * 2))
    near_right = _gaussian([4.8, 0.3], np.eye(2) * 0.2)
    mode = product_mode([left_or_right, near_right])
    assert np.linalg.norm(mode.position - [4.933, 0.1]) < 0.01


def test_bic_chooses_the_number_of_clusters_and_fits_are_repeatable():
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 1.0], [0.0, 4.0, 2.0]])
    points = np.vstack([c + 0.1 * rng.standard_normal((300, 3)) for c in centres])
    mixture = fit_mixture(points, max_components=6, seed=1)
    assert len(mixture.weights) == 3
    found = mixture.means[np.argsort(mixture.means[:, 1] * 10 + mixture.means[:, 0])]
    np.testing.assert_allclose(found, centres[[0, 1, 2]], atol=0.03)
    again = fit_mixture(points, max_components=6, seed=1)
    np.testing.assert_array_equal(again.means, mixture.means)
