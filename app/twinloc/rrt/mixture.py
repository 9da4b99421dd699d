"""Gaussian mixtures fitted to a base station's points by EM, components chosen by BIC."""

from __future__ import annotations

import functools
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

DEFAULT_MAX_COMPONENTS = 6
REG_COVAR_M2 = 1e-5
"""Added to every covariance diagonal (a 3 mm floor on a component's spread): ray bundles
near their base station are thinner than any position question asked of them."""


@dataclass(frozen=True)
class Mixture:
    """A Gaussian mixture density over positions.

    weights : (K,) float64, summing to 1.
    means : (K, D) float64, metres.
    covariances : (K, D, D) float64, square metres.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    def __post_init__(self) -> None:
        precisions = np.linalg.inv(self.covariances)
        _, log_det = np.linalg.slogdet(self.covariances)
        dimension = self.means.shape[1]
        # Per-component log(weight) + log normalising constant, computed once.
        constant = np.log(self.weights) - 0.5 * (log_det + dimension * np.log(2.0 * np.pi))
        object.__setattr__(self, "_precisions", precisions)
        object.__setattr__(self, "_constant", constant)

    @property
    def dimension(self) -> int:
        return int(self.means.shape[1])

    def log_density(self, points: np.ndarray) -> np.ndarray:
        """(M,) float64: log density at ``points`` (M, D) metres."""
        log_terms, _ = self._log_terms(np.atleast_2d(points))
        return _logsumexp(log_terms)

    def log_density_gradient(self, point: np.ndarray) -> tuple[float, np.ndarray]:
        """Log density and its gradient (D,) per metre at one ``point`` (D,) metres."""
        value, responsibility, pulls = self._at_point(point)
        return value, responsibility @ pulls

    def log_density_hessian(self, point: np.ndarray) -> np.ndarray:
        """(D, D) Hessian of the log density at one ``point`` (D,) metres, per square metre."""
        _, responsibility, pulls = self._at_point(point)
        gradient = responsibility @ pulls
        return (
            np.einsum("k,ki,kj->ij", responsibility, pulls, pulls)
            - np.einsum("k,kij->ij", responsibility, self._precisions)
            - np.outer(gradient, gradient)
        )

    def _at_point(self, point: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log density, component responsibilities (K,) and pulls -P_k (x - mu_k) (K, D)."""
        log_terms, pulls = self._log_terms(np.asarray(point, dtype=np.float64)[None])
        value = float(_logsumexp(log_terms)[0])
        return value, np.exp(log_terms[0] - value), pulls[0]

    def _log_terms(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        offsets = points[:, None, :] - self.means[None]  # (M, K, D)
        pulls = -np.einsum("kij,mkj->mki", self._precisions, offsets)
        mahalanobis = -np.einsum("mki,mki->mk", offsets, pulls)
        return self._constant[None] - 0.5 * mahalanobis, pulls


def fit_mixture(
    points: np.ndarray,
    max_components: int = DEFAULT_MAX_COMPONENTS,
    seed: int = 0,
    max_iter: int = 40,
    tol: float = 1e-2,
) -> Mixture:
    """Fit Gaussian mixtures with 1 to ``max_components`` components by EM; keep the lowest BIC.

    Parameters
    ----------
    points : (M, D) float, metres; M >= 2.
    max_components : int, default: 6
        Bound on the number of components (also limited to M // 10, at least 1).
    seed : int, default: 0
        ``random_state`` of every fit: the same points give the same mixture.
    max_iter, tol
        EM stopping rule; loose on purpose, the position estimate needs the modes, not
        the last digit of the likelihood.

    Returns
    -------
    Mixture
    """
    # scikit-learn takes a noticeable part of the GUI's start-up: loaded by the first fit.
    from sklearn import config_context
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or len(points) < 2:
        raise ValueError(f"need at least two points of shape (M, D), got {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError("points must be finite")
    bound = max(1, min(int(max_components), len(points) // 10))
    best, best_bic, rising = None, np.inf, 0
    # The points are checked above and the parameters are fixed here: scikit-learn's own
    # checks, repeated on every fit and every score, took a tenth of the fitting time.
    with warnings.catch_warnings(), _single_threaded_blas(), config_context(
        assume_finite=True, skip_parameter_validation=True
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for components in range(1, bound + 1):
            model = GaussianMixture(
                n_components=components,
                covariance_type="full",
                reg_covar=REG_COVAR_M2,
                max_iter=max_iter,
                tol=tol,
                init_params="k-means++",
                random_state=seed,
            ).fit(points)
            bic = model.bic(points)
            if bic < best_bic:
                best, best_bic, rising = model, bic, 0
            else:
                # BIC over the component count is close to convex here: two rises in a row
                # end the search, which halves the fitting time on compact point sets.
                rising += 1
                if rising == 2:
                    break
    return Mixture(weights=best.weights_.copy(), means=best.means_.copy(), covariances=best.covariances_.copy())


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit = None


@contextmanager
def _single_threaded_blas():
    """BLAS on one thread while any fit runs, whichever thread runs it.

    EM on 3x3 covariances makes thousands of tiny BLAS calls; with BLAS threads each call
    waits on thread hand-offs, which made the fits 2-5 times slower. The limit is process
    wide, so fits running side by side share one: set by the first, lifted by the last.
    Finding the BLAS libraries takes some 10 ms, so the controller is made once.
    """
    global _blas_users, _blas_limit
    with _blas_lock:
        if _blas_users == 0:
            _blas_limit = _blas_controller().limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _logsumexp(values: np.ndarray) -> np.ndarray:
    top = values.max(axis=1)
    return top + np.log(np.exp(values - top[:, None]).sum(axis=1))
