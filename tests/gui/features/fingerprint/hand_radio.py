"""Radio values worked by hand for the Fingerprinting GUI tests: free-space RSS and line of sight
past uwb_hall's columns (full-height boxes, so a plan view decides)."""

from __future__ import annotations

import numpy as np

SPEED_OF_LIGHT_M_S = 299_792_458.0
#: uwb_hall's columns, (x_min, y_min, x_max, y_max) metres.
COLUMNS = [(x, y, x + 0.7, y + 0.7) for x in (3.31, 6.97, 10.63, 14.29) for y in (2.45, 5.25)]


def free_space_rss_dbm(points, source, frequency_hz: float, power_dbm: float) -> np.ndarray:
    """(N,) dBm: ``power_dbm`` + 20 log10(lambda / (4 pi d)) between ``points`` (N, 3) and ``source`` (3,)."""
    distance = np.linalg.norm(np.asarray(points, float) - np.asarray(source, float), axis=1)
    wavelength = SPEED_OF_LIGHT_M_S / frequency_hz
    return power_dbm + 20.0 * np.log10(wavelength / (4.0 * np.pi * distance))


def clear_of_columns(points, source, margin_m: float = 0.05) -> np.ndarray:
    """(N,) bool: the straight line from each point to ``source`` passes no column (grown by
    ``margin_m``), by the slab test in the plan."""
    points = np.asarray(points, float)[:, :2]
    start, clear = points, np.ones(len(points), dtype=bool)
    direction = np.asarray(source, float)[:2] - start
    for x0, y0, x1, y1 in COLUMNS:
        low, high = np.zeros(len(points)), np.ones(len(points))
        for axis, (a, b) in enumerate(((x0 - margin_m, x1 + margin_m), (y0 - margin_m, y1 + margin_m))):
            d = direction[:, axis]
            with np.errstate(divide="ignore", invalid="ignore"):
                t0, t1 = (a - start[:, axis]) / d, (b - start[:, axis]) / d
            parallel = np.abs(d) < 1e-12
            inside = (start[:, axis] >= a) & (start[:, axis] <= b)
            near, far = np.minimum(t0, t1), np.maximum(t0, t1)
            low = np.where(parallel, np.where(inside, low, 2.0), np.maximum(low, near))
            high = np.where(parallel, np.where(inside, high, -1.0), np.minimum(high, far))
        clear &= ~(low <= high)
    return clear
