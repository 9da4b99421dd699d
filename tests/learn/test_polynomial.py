"""The cubic polynomial surface fit baseline."""

from __future__ import annotations

import numpy as np
import pytest

from twinloc.learn.polynomial import CubicSurfaceFit


def test_an_exact_cubic_surface_is_recovered():
    rng = np.random.default_rng(0)
    measured = rng.uniform([0.0, 0.0], [18.0, 8.0], size=(300, 2))
    x, y = measured.T
    true = np.column_stack([
        0.5 + 1.01 * x - 0.02 * y + 0.003 * x * y - 0.0004 * x**3 + 0.001 * x * y**2,
        -0.2 + 0.98 * y + 0.01 * x**2 - 0.0005 * y**3 + 0.0002 * x**2 * y,
    ])
    fit = CubicSurfaceFit.fit(measured, true)
    probe = rng.uniform([0.0, 0.0], [18.0, 8.0], size=(50, 2))
    px, py = probe.T
    expected = np.column_stack([
        0.5 + 1.01 * px - 0.02 * py + 0.003 * px * py - 0.0004 * px**3 + 0.001 * px * py**2,
        -0.2 + 0.98 * py + 0.01 * px**2 - 0.0005 * py**3 + 0.0002 * px**2 * py,
    ])
    assert np.abs(fit.predict(probe) - expected).max() < 1e-9


def test_too_few_points_are_refused():
    with pytest.raises(ValueError, match="at least 10"):
        CubicSurfaceFit.fit(np.zeros((5, 2)), np.zeros((5, 2)))
