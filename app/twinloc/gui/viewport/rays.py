"""Reverse ray tracing in the viewport: rays, point clouds, mixtures, the estimate, and the UE marker.

:class:`RayActors` draws a :class:`RayDrawing` (plain arrays, built off the GUI from a locate
result) and replaces everything on the next ``show``. :class:`UeMarker` is the draggable UE
sphere and :class:`MarkerDrag` the event filter that drags it on its horizontal plane; it is
installed after the viewport's own mouse filter, so it sees presses first and passes on every
event that does not start on the marker. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pyvista as pv
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtWidgets import QWidget
from vtkmodules.vtkRenderingCore import vtkActor, vtkRenderer

from twinloc.gui.viewport.projection import (
    camera_ray,
    pixels_per_metre,
    ray_hits_plane_z,
    widget_to_display,
    world_to_display,
)
from twinloc.rrt.drawing import RayDrawing

_LOG = logging.getLogger(__name__)

#: One colour per base station, in station order (repeating after eight).
STATION_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
ESTIMATE_COLOR = "#e0119d"
TRUTH_COLOR = "#111111"
UE_COLOR = "#22c55e"
UE_RADIUS_M = 0.18
STATION_SIZE_M = 0.3
ESTIMATE_RADIUS_M = 0.2
#: The UE marker is grabbed within at least this many display pixels of its centre.
MIN_GRAB_RADIUS_PX = 9.0
#: Drag previews are sent at most this often.
PREVIEW_INTERVAL_S = 1.0 / 20.0
CLICK_SLOP_PX = 4.0
CAPTION_NAME = "twinloc-rrt-caption"


def station_color(index: int) -> str:
    """The colour of base station ``index`` (its position in the project's list)."""
    return STATION_COLORS[index % len(STATION_COLORS)]


class RayActors:
    """The actors of one :class:`RayDrawing` in a plotter; ``show`` replaces them all.

    Attributes (read them in tests and screenshots)
    ----------
    clouds : station index -> (actor, colour, point count)
    contours : station index -> actor (2D ellipses or 3D ellipsoids, one actor per station)
    estimate_position : (3,) float64 or None, where the estimate marker is drawn.
    caption : str
    """

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._actors: list = []
        self.clouds: dict[int, tuple[vtkActor, str, int]] = {}
        self.contours: dict[int, vtkActor] = {}
        self.estimate_position: np.ndarray | None = None
        self.caption = ""

    @property
    def actor_count(self) -> int:
        return len(self._actors)

    def show(self, drawing: RayDrawing | None, stations_only: np.ndarray | None = None, rays: bool = True) -> None:
        """Draw ``drawing`` (None: nothing but ``stations_only`` (B, 3) metres), replacing the previous one.

        ``rays`` False leaves out the launched rays (the point clouds are easier to read).
        """
        self.clear()
        stations = drawing.stations if drawing is not None else stations_only
        if stations is not None and len(stations):
            self._add_stations(np.asarray(stations, dtype=float))
        if drawing is None:
            return
        for b, points in drawing.paths.items():
            self._add(pv.lines_from_points(points), color=station_color(b), line_width=4)
        for b, segments in drawing.rays.items() if rays else ():
            if len(segments):
                self._add(_segments(segments), color=station_color(b), line_width=1, opacity=0.18)
        for b, points in drawing.clouds.items():
            if len(points):
                actor = self._add(
                    pv.PolyData(np.asarray(points, dtype=float)),
                    color=station_color(b),
                    point_size=5,
                    render_points_as_spheres=True,
                )
                self.clouds[b] = (actor, station_color(b), len(points))
        for b, loops in drawing.contours.items():
            if loops:
                mesh = pv.merge([pv.lines_from_points(loop) for loop in loops])
                self.contours[b] = self._add(mesh, color=station_color(b), line_width=3)
        for b, shapes in drawing.ellipsoids.items():
            if shapes:
                mesh = pv.merge([_ellipsoid(centre, axes) for centre, axes in shapes])
                self.contours[b] = self._add(mesh, color=station_color(b), opacity=0.3, smooth_shading=True)
        if drawing.estimate is not None:
            self.estimate_position = np.asarray(drawing.estimate, dtype=float)
            self._add(pv.Octahedron(center=self.estimate_position, radius=ESTIMATE_RADIUS_M), color=ESTIMATE_COLOR)
            if drawing.truth is not None:
                line = pv.Line(self.estimate_position, np.asarray(drawing.truth, dtype=float))
                self._add(line, color=TRUTH_COLOR, line_width=3)
        if drawing.caption:
            self.caption = drawing.caption
            self._actors.append(
                self._plotter.add_text(drawing.caption, position="upper_edge", font_size=12, color=TRUTH_COLOR,
                                       name=CAPTION_NAME, render=False)
            )

    def clear(self) -> None:
        for actor in self._actors:
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        self._actors.clear()
        self.clouds.clear()
        self.contours.clear()
        self.estimate_position = None
        self.caption = ""

    def _add_stations(self, stations: np.ndarray) -> None:
        for b, position in enumerate(stations):
            cube = pv.Cube(center=position, x_length=STATION_SIZE_M, y_length=STATION_SIZE_M, z_length=STATION_SIZE_M)
            self._add(cube, color=station_color(b))

    def _add(self, mesh, **style) -> vtkActor:
        actor = self._plotter.add_mesh(mesh, pickable=False, reset_camera=False, render=False, **style)
        self._actors.append(actor)
        return actor


class UeMarker:
    """The UE: a sphere at the true position, grabbed and moved by :class:`MarkerDrag`."""

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._actor: vtkActor | None = None
        self._position = np.zeros(3)

    @property
    def visible(self) -> bool:
        return self._actor is not None

    @property
    def position(self) -> np.ndarray:
        """(3,) float64, metres."""
        return self._position.copy()

    def show(self, position) -> None:
        self._position = np.asarray(position, dtype=float).reshape(3)
        if self._actor is None:
            sphere = pv.Sphere(radius=UE_RADIUS_M, theta_resolution=24, phi_resolution=16)
            self._actor = self._plotter.add_mesh(
                sphere, color=UE_COLOR, smooth_shading=True, specular=0.4, pickable=False, reset_camera=False, render=False
            )
        self._actor.SetPosition(*self._position)

    def hide(self) -> None:
        if self._actor is not None:
            self._plotter.remove_actor(self._actor, reset_camera=False, render=False)
        self._actor = None

    def grabbed(self, renderer: vtkRenderer, xd: float, yd: float) -> bool:
        """Whether the display pixel (xd, yd) is on the marker."""
        if self._actor is None:
            return False
        cx, cy, depth = world_to_display(renderer, self._position)
        radius_px = UE_RADIUS_M * pixels_per_metre(renderer, self._position)
        return bool(np.hypot(cx - xd, cy - yd) <= max(radius_px, MIN_GRAB_RADIUS_PX) and 0.0 <= depth <= 1.0)


class MarkerDrag(QObject):
    """Drags a :class:`UeMarker` on its horizontal plane with the left mouse button.

    Signals
    -------
    dragPreview(object)
        The marker's (x, y, z) while dragging, at most ~20 times a second.
    dragFinished(object)
        The final (x, y, z) when the button is released after a move.
    """

    dragPreview = Signal(object)
    dragFinished = Signal(object)

    def __init__(self, widget: QWidget, renderer: vtkRenderer, marker: UeMarker, request_render: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._renderer = renderer
        self._marker = marker
        self._request_render = request_render
        self._press: QPointF | None = None
        self._moved = False
        self._last_preview = 0.0
        widget.installEventFilter(self)

    @property
    def dragging(self) -> bool:
        return self._press is not None

    def detach(self) -> None:
        self._widget.removeEventFilter(self)
        self._press = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        try:
            return self._handle(event)
        except Exception:  # an exception escaping a Qt virtual aborts PySide
            _LOG.exception("UE marker drag failed")
            self._press = None
            return False

    def _handle(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            if self._marker.grabbed(self._renderer, *self._display(event.position())):
                self._press, self._moved = event.position(), False
                return True
            return False
        if self._press is None:
            return False
        if kind == QEvent.Type.MouseMove:
            delta = event.position() - self._press
            if not self._moved and abs(delta.x()) + abs(delta.y()) <= CLICK_SLOP_PX:
                return True
            self._moved = True
            target = self._target(event.position())
            if target is not None:
                self._marker.show(target)
                self._request_render()
                now = time.monotonic()
                if now - self._last_preview >= PREVIEW_INTERVAL_S:
                    self._last_preview = now
                    self.dragPreview.emit(_as_tuple(target))
            return True
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            moved = self._moved
            self._press = None
            if moved:
                self.dragFinished.emit(_as_tuple(self._marker.position))
            return True
        return False

    def _target(self, pos: QPointF) -> np.ndarray | None:
        origin, direction = camera_ray(self._renderer, *self._display(pos))
        return ray_hits_plane_z(origin, direction, float(self._marker.position[2]))

    def _display(self, pos: QPointF) -> tuple[float, float]:
        return widget_to_display(pos.x(), pos.y(), self._widget.height(), self._widget.devicePixelRatioF())


def _segments(segments: np.ndarray) -> pv.PolyData:
    """Line segments (M, 2, 3) metres as one PolyData."""
    points = np.asarray(segments, dtype=float).reshape(-1, 3)
    count = len(segments)
    cells = np.column_stack([np.full(count, 2), np.arange(0, 2 * count, 2), np.arange(1, 2 * count, 2)]).ravel()
    return pv.PolyData(points, lines=cells)


def _ellipsoid(centre: np.ndarray, axes: np.ndarray) -> pv.PolyData:
    """A unit sphere mapped through ``axes`` (3, 3) (semi-axis vectors as columns) onto ``centre``."""
    sphere = pv.Sphere(radius=1.0, theta_resolution=20, phi_resolution=12)
    sphere.points = np.asarray(centre, dtype=float) + sphere.points @ np.asarray(axes, dtype=float).T
    return sphere


def _as_tuple(point) -> tuple[float, float, float]:
    return (float(point[0]), float(point[1]), float(point[2]))
