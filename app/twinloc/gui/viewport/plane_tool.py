"""What the viewport's drawing modes share: an event filter that acts only while its mode is on,
and clicks turned into points of a horizontal plane.

A mode (drawing a mounting region, placing the outer markers of a reference-point plan) is
installed after the viewport's own mouse filter, so Qt asks it first; while it is off it lets
every event through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pyvista as pv
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtWidgets import QWidget
from vtkmodules.vtkRenderingCore import vtkRenderer

from twinloc.gui.viewport.projection import camera_ray, ray_hits_plane_z, widget_to_display

_LOG = logging.getLogger(__name__)

#: A press and release closer than this (logical pixels) is a click, not a drag.
CLICK_SLOP_PX = 4.0
#: A click closer than this to the previous vertex (metres) adds none (the first click of a double click).
DUPLICATE_VERTEX_M = 0.05


class PlaneTool(QObject):
    """Base of a drawing mode of the viewport: subclasses implement ``_handle(event) -> bool``
    (True keeps the event from the camera and the anchors), called only while the mode is on.

    Parameters
    ----------
    widget : QWidget
        The interactor widget (its events are filtered).
    renderer : vtkRenderer
    plotter : pyvista.BasePlotter
        Where the mode draws.
    request_render : callable
    """

    def __init__(self, widget: QWidget, renderer: vtkRenderer, plotter: pv.BasePlotter, request_render: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._renderer = renderer
        self._plotter = plotter
        self._request_render = request_render
        self._active = False
        widget.installEventFilter(self)

    @property
    def active(self) -> bool:
        """True while the mode is on."""
        return self._active

    def detach(self) -> None:
        """Stop filtering events."""
        self._widget.removeEventFilter(self)
        self._active = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if not self._active:
            return False
        try:
            return self._handle(event)
        except Exception:  # an exception escaping a Qt virtual aborts PySide
            _LOG.exception("%s failed", type(self).__name__)
            self._recover()
            return False

    def _recover(self) -> None:
        """Forget a gesture an exception interrupted (nothing to forget by default)."""

    def _switch(self, on: bool) -> None:
        """Turn the mode on (crosshair cursor, keyboard focus for its keys) or off."""
        self._active = on
        if on:
            self._widget.setCursor(Qt.CursorShape.CrossCursor)
            self._widget.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._widget.unsetCursor()

    def _plane_point(self, pos: QPointF, z: float) -> np.ndarray | None:
        """(3,) metres: where the line of sight through widget position ``pos`` meets the plane
        at height ``z``, or None (the line is parallel to it or points away)."""
        origin, direction = camera_ray(self._renderer, *self._display(pos))
        return ray_hits_plane_z(origin, direction, z)

    def _display(self, pos: QPointF) -> tuple[float, float]:
        """VTK display coordinates of widget position ``pos``."""
        return widget_to_display(pos.x(), pos.y(), self._widget.height(), self._widget.devicePixelRatioF())


def is_click(press: QPointF | None, release: QPointF) -> bool:
    """True when a press at ``press`` (None: none seen) and a release at ``release`` make a click."""
    if press is None:
        return False
    delta = release - press
    return abs(delta.x()) + abs(delta.y()) <= CLICK_SLOP_PX


def append_vertex(vertices: list[np.ndarray], x: float, y: float) -> bool:
    """Append (x, y) metres to ``vertices`` unless it repeats the last one; True when appended."""
    point = np.array([float(x), float(y)])
    if vertices and np.linalg.norm(point - vertices[-1]) < DUPLICATE_VERTEX_M:
        return False
    vertices.append(point)
    return True
