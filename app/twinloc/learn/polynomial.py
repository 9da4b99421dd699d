"""The cubic polynomial surface fit of seed 004 (§4.3): the baseline the network is compared with.

Each true coordinate is a full cubic polynomial of the measured (x, y), fitted by linear least
squares, one axis at a time. The measured coordinates are centred and scaled first, because raw
metres cubed over a hall of 18 m make the design matrix badly conditioned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CubicSurfaceFit"]

#: Exponents (i, j) of the ten terms x**i * y**j of a full bivariate cubic.
_EXPONENTS = tuple((i, total - i) for total in range(4) for i in range(total, -1, -1))


@dataclass(frozen=True, eq=False)
class CubicSurfaceFit:
    """A fitted map from measured (x, y) to true (x, y), metres.

    coefficients : (10, 2) float64; column k gives true axis k, rows follow the term exponents.
    center : (2,) float64, metres; subtracted from the measured coordinates.
    scale : float, metres; the centred coordinates are divided by it.
    """

    coefficients: np.ndarray
    center: np.ndarray
    scale: float

    @classmethod
    def fit(cls, measured: np.ndarray, true: np.ndarray) -> CubicSurfaceFit:
        """Least-squares fit.

        Parameters
        ----------
        measured : (N, 2) float, metres; N >= 10 distinct enough points.
        true : (N, 2) float, metres.
        """
        measured = np.asarray(measured, dtype=np.float64).reshape(-1, 2)
        true = np.asarray(true, dtype=np.float64).reshape(-1, 2)
        if len(measured) != len(true) or len(measured) < len(_EXPONENTS):
            raise ValueError(f"a cubic surface needs at least {len(_EXPONENTS)} matching points, got {len(measured)}")
        center = measured.mean(axis=0)
        scale = float(np.abs(measured - center).max()) or 1.0
        design = _terms((measured - center) / scale)
        coefficients, *_ = np.linalg.lstsq(design, true, rcond=None)
        return cls(coefficients=coefficients, center=center, scale=scale)

    def predict(self, measured: np.ndarray) -> np.ndarray:
        """(N, 2) float64 metres: corrected positions of (N, 2) measured positions."""
        measured = np.asarray(measured, dtype=np.float64).reshape(-1, 2)
        return _terms((measured - self.center) / self.scale) @ self.coefficients


def _terms(xy: np.ndarray) -> np.ndarray:
    """(N, 10) design matrix of the cubic terms of (N, 2) coordinates."""
    return np.column_stack([xy[:, 0] ** i * xy[:, 1] ** j for i, j in _EXPONENTS])
