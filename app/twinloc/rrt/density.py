"""The position density: the product of the per-base-station mixtures, and its maximum.

The maximum is searched over candidate positions (the points the mixtures were fitted to
and the component means), and the best few are refined by quasi-Newton steps on the
negative log product with its analytic gradient.

Uncertainty is the Laplace approximation at the mode: the covariance is the inverse of
the Hessian of the negative log product there, i.e. the covariance of the Gaussian that
matches the product's curvature at its peak. Its radius ``sqrt(trace)`` is the RMS
distance of that Gaussian from the estimate. It says how sharp the chosen peak is, not
whether another peak was the right one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twinloc.rrt.mixture import Mixture

REFINED_CANDIDATES = 3
_MIN_CURVATURE = 1e-6  # 1/m^2: a flat direction counts as 1,000 m of standard deviation


@dataclass(frozen=True)
class DensityMode:
    """The maximum of a product of densities.

    position : (D,) float64, metres.
    log_density : float, the log of the product at ``position`` (unnormalised).
    covariance : (D, D) float64, square metres; Laplace approximation at the mode.
    """

    position: np.ndarray
    log_density: float
    covariance: np.ndarray

    @property
    def radius_m(self) -> float:
        """RMS distance of the Laplace Gaussian from the mode, metres."""
        return float(np.sqrt(np.trace(self.covariance)))


def product_log_density(mixtures: Sequence[Mixture], points: np.ndarray) -> np.ndarray:
    """(M,) float64: sum over ``mixtures`` of their log densities at ``points`` (M, D) metres."""
    return np.sum([mixture.log_density(points) for mixture in mixtures], axis=0)


def product_mode(mixtures: Sequence[Mixture], candidates: np.ndarray | None = None) -> DensityMode:
    """The highest point of the product of ``mixtures``.

    Parameters
    ----------
    mixtures : sequence of Mixture, all of the same dimension D
    candidates : (M, D) float, metres, optional
        Start positions besides the component means (e.g. the fitted points).

    Returns
    -------
    DensityMode
    """
    if not mixtures:
        raise ValueError("need at least one mixture")
    starts = np.vstack([m.means for m in mixtures] + ([np.asarray(candidates, dtype=np.float64)] if candidates is not None else []))
    values = product_log_density(mixtures, starts)
    order = np.argsort(-values)
    from scipy.optimize import minimize  # SciPy's optimizers load with the first estimate, not at start-up

    best_position, best_value = starts[order[0]], values[order[0]]
    tried: list[np.ndarray] = []
    for index in order:
        start = starts[index]
        if any(np.linalg.norm(start - other) < 1e-3 for other in tried):
            continue
        tried.append(start)
        result = minimize(_negative_log_product, start, args=(mixtures,), jac=True, method="BFGS", options={"gtol": 1e-6})
        if -result.fun > best_value:
            best_position, best_value = result.x, -result.fun
        if len(tried) == REFINED_CANDIDATES:
            break
    hessian = np.sum([m.log_density_hessian(best_position) for m in mixtures], axis=0)
    curvature, axes = np.linalg.eigh(-hessian)
    covariance = (axes / np.maximum(curvature, _MIN_CURVATURE)) @ axes.T
    return DensityMode(position=np.asarray(best_position, dtype=np.float64), log_density=float(best_value), covariance=covariance)


def _negative_log_product(x: np.ndarray, mixtures: Sequence[Mixture]) -> tuple[float, np.ndarray]:
    value, gradient = 0.0, np.zeros_like(x)
    for mixture in mixtures:
        v, g = mixture.log_density_gradient(x)
        value += v
        gradient += g
    return -value, -gradient
