"""Coordinate conversions between the widget, VTK's display and the scene.

Three frames meet in the viewport:

- widget coordinates: Qt logical pixels, origin at the top-left corner, y down;
- display coordinates: VTK device pixels, origin at the bottom-left corner, y up;
- world coordinates: scene metres, z up.

The widget-to-display rule is the one pyvistaqt uses to feed mouse events to VTK, so a
point converted here lands on the pixel VTK would pick for the same mouse event.
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingCore import vtkRenderer

#: A ray more parallel than this to a plane (|cos| of the angle to its normal) misses it.
_PARALLEL_COS = 1e-6


def widget_to_display(x: float, y: float, widget_height: int, pixel_ratio: float) -> tuple[float, float]:
    """Convert a widget position to VTK display coordinates.

    Parameters
    ----------
    x, y : float
        Logical pixels, origin top-left.
    widget_height : int
        Height of the widget in logical pixels.
    pixel_ratio : float
        The widget's device pixel ratio.

    Returns
    -------
    tuple of float
        Device pixels, origin bottom-left.
    """
    return x * pixel_ratio, (widget_height - y - 1) * pixel_ratio


def display_to_widget(xd: float, yd: float, widget_height: int, pixel_ratio: float) -> tuple[float, float]:
    """Convert VTK display coordinates to a widget position (inverse of :func:`widget_to_display`)."""
    return xd / pixel_ratio, widget_height - 1 - yd / pixel_ratio


def world_to_display(renderer: vtkRenderer, point) -> tuple[float, float, float]:
    """Project a world point to display coordinates.

    Parameters
    ----------
    renderer : vtkRenderer
        The renderer whose active camera projects.
    point : (3,) float, metres

    Returns
    -------
    tuple of float
        (x, y) device pixels from the bottom-left corner and the depth in [0, 1].
    """
    renderer.SetWorldPoint(float(point[0]), float(point[1]), float(point[2]), 1.0)
    renderer.WorldToDisplay()
    xd, yd, depth = renderer.GetDisplayPoint()
    return xd, yd, depth


def camera_ray(renderer: vtkRenderer, xd: float, yd: float) -> tuple[np.ndarray, np.ndarray]:
    """The line of sight through a display pixel.

    Returns
    -------
    origin : (3,) float64, metres
        The point on the near clipping plane.
    direction : (3,) float64
        Unit vector pointing into the scene.
    """
    near = display_to_world(renderer, xd, yd, 0.0)
    far = display_to_world(renderer, xd, yd, 1.0)
    direction = far - near
    return near, direction / np.linalg.norm(direction)


def ray_hits_plane_z(origin: np.ndarray, direction: np.ndarray, z: float) -> np.ndarray | None:
    """Where a ray meets the horizontal plane at height ``z``.

    Returns
    -------
    (3,) float64 or None
        The intersection in metres, or None when the ray is parallel to the plane or points away.
    """
    if abs(direction[2]) < _PARALLEL_COS:
        return None
    t = (z - origin[2]) / direction[2]
    if t < 0.0:
        return None
    hit = origin + t * direction
    hit[2] = z
    return hit


def pixels_per_metre(renderer: vtkRenderer, point) -> float:
    """How many display pixels one metre spans at ``point``, across the screen."""
    camera = renderer.GetActiveCamera()
    up = np.asarray(camera.GetViewUp(), dtype=float)
    centre = np.asarray(point, dtype=float)
    x0, y0, _ = world_to_display(renderer, centre)
    x1, y1, _ = world_to_display(renderer, centre + up / np.linalg.norm(up))
    return float(np.hypot(x1 - x0, y1 - y0))


def display_to_world(renderer: vtkRenderer, xd: float, yd: float, depth: float) -> np.ndarray:
    """(3,) float64: the world point (metres) drawn at display pixel (xd, yd) and ``depth`` in [0, 1]."""
    renderer.SetDisplayPoint(float(xd), float(yd), float(depth))
    renderer.DisplayToWorld()
    x, y, z, w = renderer.GetWorldPoint()
    return np.array([x, y, z]) / w
