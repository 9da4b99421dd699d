"""What the twin's robust least-squares calibrations share (radio maps, UWB materials).

Which parameters the data can identify, and the confidence intervals of the fitted ones from
the Jacobian at the solution. Below every layer, like :mod:`twinloc.cancellation`, so that
:mod:`twinloc.radio` and :mod:`twinloc.uwb`, which may not import each other, both use it.
"""

from __future__ import annotations

import numpy as np

#: Two-sided confidence level of the reported intervals.
CONFIDENCE = 0.95


def separable_columns(design: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """(K,) bool: the candidate columns of ``design`` (N, K), kept in order, each only if the
    ones kept before do not already explain it.

    A parameter whose effect on every observation is a combination of earlier parameters'
    cannot be told apart from them. Columns are kept in order, so of two parameters that change
    the observations alike the later one is dropped: put the nuisance parameters (offsets,
    biases) first, and the one reported unidentified is the one the user asked about.
    """
    keep = np.zeros(candidates.size, dtype=bool)
    for column in np.flatnonzero(candidates):
        trial = keep.copy()
        trial[column] = True
        block = design[:, trial]
        if np.linalg.matrix_rank(block, tol=1e-8 * max(1.0, np.abs(block).max())) == np.count_nonzero(trial):
            keep = trial
    return keep


def interval_half_widths(result, dof: int, confidence: float = CONFIDENCE) -> np.ndarray:
    """(P,) half widths of the two-sided intervals of a ``scipy.optimize.least_squares`` result's P parameters.

    Gauss-Newton covariance at the solution: least_squares scales its Jacobian by the robust
    loss, so J^T J approximates the Hessian of its cost; the residual variance is 2 cost / dof
    (``dof``: observations minus parameters, > 0); Student's t for the few-observation case.
    """
    from scipy.stats import t as student_t

    if result.x.size == 0:
        return np.zeros(0)
    sigma2 = 2.0 * result.cost / dof
    covariance = sigma2 * np.linalg.pinv(result.jac.T @ result.jac)
    return student_t.ppf(0.5 + confidence / 2.0, dof) * np.sqrt(np.clip(np.diag(covariance), 0.0, None))
