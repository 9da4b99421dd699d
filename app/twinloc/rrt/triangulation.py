"""The baseline without the twin: intersect the measured AoA lines as if every path were LoS."""

from __future__ import annotations

import numpy as np

from twinloc.rrt.paths import angles_to_directions


def triangulate(stations, aoa_deg, height_m: float | None = None) -> np.ndarray:
    """Least-squares intersection of the lines from each station along its measured AoA.

    Minimises the sum of squared distances to the lines. With ``height_m`` (2D) the
    lines are the azimuths in the floor plane and the estimate is at that height.

    Parameters
    ----------
    stations : (B, 3) float, metres
    aoa_deg : (B, 2) float, measured (azimuth, elevation), degrees; NaN rows are skipped.
    height_m : float, optional
        The UE's known height, metres (2D). None: 3D lines.

    Returns
    -------
    (3,) float64, metres

    Raises
    ------
    ValueError
        With fewer than two usable lines, or lines all parallel.
    """
    stations = np.asarray(stations, dtype=np.float64).reshape(-1, 3)
    aoa = np.asarray(aoa_deg, dtype=np.float64).reshape(-1, 2)
    usable = np.all(np.isfinite(aoa), axis=1)
    if usable.sum() < 2:
        raise ValueError("triangulation needs angles from at least two base stations")
    azimuth, elevation = np.radians(aoa[usable]).T
    if height_m is None:
        origins, directions = stations[usable], angles_to_directions(azimuth, elevation)
    else:
        origins = stations[usable, :2]
        directions = np.column_stack([np.cos(azimuth), np.sin(azimuth)])
    dimension = origins.shape[1]
    # Each line contributes the projector onto its normal space: (I - u u^T)(x - o) = 0.
    projectors = np.eye(dimension)[None] - directions[:, :, None] * directions[:, None, :]
    matrix = projectors.sum(axis=0)
    if np.linalg.cond(matrix) > 1e12:
        raise ValueError("the AoA lines are parallel")
    position = np.linalg.solve(matrix, np.einsum("bij,bj->i", projectors, origins))
    return position if height_m is None else np.array([position[0], position[1], height_m])
