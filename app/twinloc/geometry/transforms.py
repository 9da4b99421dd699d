"""Rotation matrices for the transforms scene files apply to their objects."""

from __future__ import annotations

import math

import numpy as np


def axis_angle_matrix(axis, angle_deg: float) -> np.ndarray:
    """(3, 3) float64 rotation by ``angle_deg`` degrees about ``axis`` (right-hand rule).

    Raises
    ------
    ValueError
        The axis has zero length.
    """
    axis = np.asarray(axis, dtype=np.float64)
    norm = np.linalg.norm(axis)
    if not norm > 0.0:
        raise ValueError(f"rotation axis must be non-zero, got {axis.tolist()}")
    x, y, z = axis / norm
    angle = math.radians(angle_deg)
    c, s = math.cos(angle), math.sin(angle)
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)


def euler_xyz_matrix(angles_deg) -> np.ndarray:
    """(3, 3) float64 rotation about the fixed x, then y, then z axis: Rz @ Ry @ Rx.

    Parameters
    ----------
    angles_deg : (3,) float, degrees
    """
    rx, ry, rz = (float(a) for a in angles_deg)
    return axis_angle_matrix((0, 0, 1), rz) @ axis_angle_matrix((0, 1, 0), ry) @ axis_angle_matrix((1, 0, 0), rx)
