"""Triangle meshes of the shapes scene descriptors are built from.

Every function returns ``(vertices, faces)``: vertices (V, 3) float64 in metres and faces
(F, 3) int64 indices into them. Closed shapes (box, cylinder) are wound counter-clockwise
seen from outside, so their normals point outward.
"""

from __future__ import annotations

import math

import numpy as np

#: Most sides a cylinder's polygon may have (4 triangles each).
MAX_CYLINDER_SECTIONS = 1024


def box_mesh(size, center=(0.0, 0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box.

    Parameters
    ----------
    size : (3,) float, metres
        Edge lengths along x, y, z; each positive.
    center : (3,) float, metres
        Centre of the box.

    Returns
    -------
    vertices : (8, 3) float64, metres
    faces : (12, 3) int64, outward normals
    """
    size = _positive_vector(size, 3, "box size")
    center = _finite_vector(center, 3, "box center")
    corners = np.array(
        [[x, y, z] for z in (-0.5, 0.5) for y in (-0.5, 0.5) for x in (-0.5, 0.5)], dtype=np.float64
    )
    vertices = corners * size + center
    # Corner index = 4*z + 2*y + x, with each bit 1 on the positive side.
    faces = np.array(
        [
            [0, 2, 3], [0, 3, 1],  # z-
            [4, 5, 7], [4, 7, 6],  # z+
            [0, 1, 5], [0, 5, 4],  # y-
            [2, 6, 7], [2, 7, 3],  # y+
            [0, 4, 6], [0, 6, 2],  # x-
            [1, 3, 7], [1, 7, 5],  # x+
        ],
        dtype=np.int64,
    )
    return vertices, faces


def cylinder_mesh(radius, height, center=(0.0, 0.0, 0.0), sections=32) -> tuple[np.ndarray, np.ndarray]:
    """A closed cylinder with its axis along z.

    Parameters
    ----------
    radius : float, metres, > 0
    height : float, metres, > 0
    center : (3,) float, metres
        Centre of the cylinder (half way up its axis).
    sections : int, default: 32
        Number of sides of the polygon that approximates the circle, 3 to
        ``MAX_CYLINDER_SECTIONS``.

    Returns
    -------
    vertices : (2 * sections + 2, 3) float64, metres
    faces : (4 * sections, 3) int64, outward normals
    """
    radius = _positive_scalar(radius, "cylinder radius")
    height = _positive_scalar(height, "cylinder height")
    center = _finite_vector(center, 3, "cylinder center")
    if isinstance(sections, bool) or not isinstance(sections, (int, float)) or not (
        3 <= sections <= MAX_CYLINDER_SECTIONS and int(sections) == sections
    ):
        raise ValueError(
            f"cylinder sections must be a whole number from 3 to {MAX_CYLINDER_SECTIONS}, got {sections!r:.40}"
        )
    n = int(sections)
    angles = np.arange(n) * (2.0 * math.pi / n)
    ring = np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])
    bottom = np.column_stack([ring, np.full(n, -0.5 * height)])
    top = np.column_stack([ring, np.full(n, 0.5 * height)])
    vertices = np.vstack([bottom, top, [[0.0, 0.0, -0.5 * height], [0.0, 0.0, 0.5 * height]]]) + center
    i = np.arange(n)
    j = (i + 1) % n
    bottom_center, top_center = 2 * n, 2 * n + 1
    side_low = np.column_stack([i, j, j + n])
    side_high = np.column_stack([i, j + n, i + n])
    cap_bottom = np.column_stack([np.full(n, bottom_center), j, i])
    cap_top = np.column_stack([np.full(n, top_center), i + n, j + n])
    faces = np.vstack([side_low, side_high, cap_bottom, cap_top]).astype(np.int64)
    return vertices, faces


def wall_mesh(start_xy, end_xy, base_z=0.0, height=1.0) -> tuple[np.ndarray, np.ndarray]:
    """A thin vertical wall: a rectangle standing on the segment from start to end.

    Parameters
    ----------
    start_xy, end_xy : (2,) float, metres
        Ends of the wall's footprint in the floor plane; must differ.
    base_z : float, metres
        Height of the wall's bottom edge.
    height : float, metres, > 0

    Returns
    -------
    vertices : (4, 3) float64, metres
    faces : (2, 3) int64; the normal points to the left of the direction start -> end
        (seen from above), i.e. along z x (end - start).
    """
    start = _finite_vector(start_xy, 2, "wall start")
    end = _finite_vector(end_xy, 2, "wall end")
    base_z = _finite_vector([base_z], 1, "wall base height")[0]
    height = _positive_scalar(height, "wall height")
    if np.linalg.norm(end - start) <= 0.0:
        raise ValueError(f"wall start and end must differ, both are {start.tolist()}")
    z0, z1 = float(base_z), float(base_z) + height
    vertices = np.array(
        [[start[0], start[1], z0], [end[0], end[1], z0], [end[0], end[1], z1], [start[0], start[1], z1]]
    )
    faces = np.array([[0, 2, 1], [0, 3, 2]], dtype=np.int64)
    return vertices, faces


def plane_mesh(size_xy, center=(0.0, 0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """A horizontal rectangle (floor, ceiling) with its normal along +z.

    Parameters
    ----------
    size_xy : (2,) float, metres, each > 0
    center : (3,) float, metres

    Returns
    -------
    vertices : (4, 3) float64, metres
    faces : (2, 3) int64
    """
    sx, sy = _positive_vector(size_xy, 2, "plane size")
    center = _finite_vector(center, 3, "plane center")
    vertices = np.array(
        [[-0.5 * sx, -0.5 * sy, 0.0], [0.5 * sx, -0.5 * sy, 0.0], [0.5 * sx, 0.5 * sy, 0.0], [-0.5 * sx, 0.5 * sy, 0.0]]
    ) + center
    faces = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64)
    return vertices, faces


def _finite_vector(values, length: int, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond float range
        raise ValueError(f"{what} must be {length} finite numbers, got {values!r}") from None
    if array.shape != (length,):
        raise ValueError(f"{what} must be {length} numbers, got {values!r}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite, got {array.tolist()}")
    return array


def _positive_vector(values, length: int, what: str) -> np.ndarray:
    array = _finite_vector(values, length, what)
    if np.any(array <= 0.0):
        raise ValueError(f"{what} must be positive, got {array.tolist()}")
    return array


def _positive_scalar(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be a finite number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0.0):
        raise ValueError(f"{what} must be a positive finite number, got {value!r}")
    return number
