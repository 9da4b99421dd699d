"""Mouse handling of the viewport: placing anchors, dragging anchors and access points, reporting the cursor.

An event filter on the interactor widget sees every mouse event before VTK does. It keeps
events that belong to a device (a press on an anchor's or access point's glyph in navigate
mode and the moves and release that follow) and passes everything else on, so VTK's camera
interaction is untouched except while a device is being dragged. A device is dragged on the
horizontal plane at its height. Placing is recognised on release: a
left press and release without motion in place-anchor mode is a click on the scene (the
same press-and-drag still rotates the camera).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget
from vtkmodules.vtkRenderingCore import vtkRenderer

from twinloc.gui.viewport.devices import DeviceActors
from twinloc.gui.viewport.projection import camera_ray, ray_hits_plane_z, widget_to_display
from twinloc.gui.viewport.scene import SceneActors, placement_for_hit

_LOG = logging.getLogger(__name__)

MODES = ("navigate", "place_anchor")
#: A press and release closer than this (logical pixels) is a click, not a drag.
CLICK_SLOP_PX = 4.0
#: Drag previews and cursor reports are sent at most this often.
REPORT_INTERVAL_S = 1.0 / 30.0
_PRESS_TYPES = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick)


@dataclass(frozen=True)
class _Draggable:
    """One kind of device the mouse drags: its glyphs and the signals that report a drag and a click."""

    actors: DeviceActors
    finished: SignalInstance
    clicked: SignalInstance
    preview: SignalInstance | None = None


class ViewportMouse(QObject):
    """Turns mouse events on the interactor widget into anchor and access-point edits.

    Parameters
    ----------
    widget : QWidget
        The interactor widget whose events are filtered.
    renderer : vtkRenderer
        The renderer that projects between the widget and the scene.
    scene : SceneActors
        Picks scene surfaces.
    anchors : DeviceActors
        Picks and moves anchor spheres.
    request_render : callable
        Called after a glyph was moved on screen.
    access_points : DeviceActors, optional
        Picks and moves access-point glyphs (reported by the ``accessPoint…`` signals; no preview).
    """

    placeRequested = Signal(object)
    anchorDragPreview = Signal(str, object)
    anchorDragFinished = Signal(str, object)
    anchorClicked = Signal(str, bool)
    accessPointDragFinished = Signal(str, object)
    accessPointClicked = Signal(str, bool)
    cursorMoved = Signal(object)

    def __init__(
        self,
        widget: QWidget,
        renderer: vtkRenderer,
        scene: SceneActors,
        anchors: DeviceActors,
        request_render: Callable[[], None],
        access_points: DeviceActors | None = None,
    ) -> None:
        super().__init__(widget)
        self._widget = widget
        self._renderer = renderer
        self._scene = scene
        self._kinds = {"anchor": _Draggable(anchors, self.anchorDragFinished, self.anchorClicked, self.anchorDragPreview)}
        if access_points is not None:
            self._kinds["access_point"] = _Draggable(access_points, self.accessPointDragFinished, self.accessPointClicked)
        self._request_render = request_render
        self._mode = "navigate"
        self._mounting_height_m = 2.0
        self._press_pos: QPointF | None = None
        self._drag_kind: _Draggable | None = None
        self._drag_name: str | None = None
        self._drag_moved = False
        self._drag_origin: np.ndarray | None = None
        self._drag_position: np.ndarray | None = None
        self._last_preview = 0.0
        self._cursor_pos: QPointF | None = None
        self._cursor_timer = QTimer(self)
        self._cursor_timer.setSingleShot(True)
        self._cursor_timer.setInterval(round(REPORT_INTERVAL_S * 1000))
        self._cursor_timer.timeout.connect(self._report_cursor)
        widget.installEventFilter(self)

    @property
    def mode(self) -> str:
        """"navigate" or "place_anchor"."""
        return self._mode

    def dragged(self, kind: str) -> str | None:
        """The name of the device of ``kind`` ("anchor", "access_point") being dragged, or None."""
        dragging = self._drag_kind
        return self._drag_name if dragging is not None and dragging is self._kinds.get(kind) else None

    @property
    def drag_position(self) -> np.ndarray | None:
        """(3,) float64: where the dragged device is drawn, metres, or None when not dragging."""
        return None if self._drag_position is None else self._drag_position.copy()

    def cancel_drag(self) -> None:
        """End a drag in progress without reporting it; the glyph goes back where it was."""
        self._abort_drag()

    def set_mode(self, mode: str) -> None:
        """Switch between "navigate" and "place_anchor" (crosshair cursor)."""
        if mode not in MODES:
            raise ValueError(f"unknown viewport mode {mode!r}; expected one of {', '.join(MODES)}")
        self._mode = mode
        self._abort_drag()
        if mode == "place_anchor":
            self._widget.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self._widget.unsetCursor()

    def set_mounting_height(self, height_m: float) -> None:
        """Height above the floor at which anchors placed on the floor are mounted, metres."""
        self._mounting_height_m = float(height_m)

    def detach(self) -> None:
        """Stop filtering events and reporting the cursor."""
        self._cursor_timer.stop()
        self._widget.removeEventFilter(self)
        self._end_drag()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Handle mouse events of the interactor widget; True keeps an event from VTK."""
        try:
            return self._handle(event)
        except Exception:  # an exception escaping a Qt virtual aborts PySide
            _LOG.exception("viewport mouse handling failed")
            self._abort_drag()
            return False

    def _handle(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in _PRESS_TYPES and event.button() == Qt.MouseButton.LeftButton:
            return self._on_press(event)
        if kind == QEvent.Type.MouseMove:
            return self._on_move(event)
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            return self._on_release(event)
        if kind == QEvent.Type.Leave and self._drag_name is None:
            self._cursor_timer.stop()
            self.cursorMoved.emit(None)
        return False

    def _on_press(self, event: QMouseEvent) -> bool:
        self._press_pos = event.position()
        if self._mode != "navigate":
            return False
        display = self._display(event.position())
        grabs = [(grab, kind) for kind in self._kinds.values() if (grab := kind.actors.grab(self._renderer, *display))]
        if not grabs:
            return False
        (_depth, name), kind = min(grabs, key=lambda found: found[0][0])  # the glyph nearest the camera
        self._drag_kind = kind
        self._drag_name = name
        self._drag_moved = False
        self._drag_origin = kind.actors.position(name)
        self._drag_position = self._drag_origin
        return True

    def _on_move(self, event: QMouseEvent) -> bool:
        if self._drag_name is None:
            self._cursor_pos = event.position()
            if not self._cursor_timer.isActive():
                self._cursor_timer.start()
            return False
        if not self._drag_moved and not self._beyond_slop(event.position()):
            return True
        self._drag_moved = True
        target = self._drag_target(event.position())
        if target is not None:
            self._drag_position = target
            self._drag_kind.actors.move(self._drag_name, target)
            self._request_render()
            self.cursorMoved.emit(_as_tuple(target))
            now = time.monotonic()
            if self._drag_kind.preview is not None and now - self._last_preview >= REPORT_INTERVAL_S:
                self._last_preview = now
                self._drag_kind.preview.emit(self._drag_name, _as_tuple(target))
        return True

    def _on_release(self, event: QMouseEvent) -> bool:
        if self._drag_name is not None:
            kind, name, moved, position = self._drag_kind, self._drag_name, self._drag_moved, self._drag_position
            self._end_drag()
            if moved:
                kind.finished.emit(name, _as_tuple(position))
            else:
                ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
                kind.clicked.emit(name, ctrl)
            return True
        is_click = self._press_pos is not None and not self._beyond_slop(event.position())
        self._press_pos = None
        if self._mode == "place_anchor" and is_click:
            hit = self._scene.pick(self._renderer, *self._display(event.position()))
            if hit is not None:
                self.placeRequested.emit(placement_for_hit(hit, self._mounting_height_m))
        return False

    def _report_cursor(self) -> None:
        if self._cursor_pos is None or self._drag_name is not None:
            return
        try:
            hit = self._scene.pick(self._renderer, *self._display(self._cursor_pos))
        except Exception:  # a slot must not raise
            _LOG.exception("viewport cursor pick failed")
            return
        self.cursorMoved.emit(None if hit is None else _as_tuple(hit.point))

    def _drag_target(self, pos: QPointF) -> np.ndarray | None:
        origin, direction = camera_ray(self._renderer, *self._display(pos))
        return ray_hits_plane_z(origin, direction, float(self._drag_position[2]))

    def _beyond_slop(self, pos: QPointF) -> bool:
        if self._press_pos is None:
            return True
        delta = pos - self._press_pos
        return abs(delta.x()) + abs(delta.y()) > CLICK_SLOP_PX

    def _display(self, pos: QPointF) -> tuple[float, float]:
        return widget_to_display(pos.x(), pos.y(), self._widget.height(), self._widget.devicePixelRatioF())

    def _abort_drag(self) -> None:
        """End a drag that did not finish by a release: the glyph goes back where it was."""
        if self._drag_name is not None and self._drag_name in self._drag_kind.actors.names:
            self._drag_kind.actors.move(self._drag_name, self._drag_origin)
            self._request_render()
        self._end_drag()

    def _end_drag(self) -> None:
        self._drag_kind = None
        self._drag_name = None
        self._drag_moved = False
        self._drag_origin = None
        self._drag_position = None
        self._press_pos = None


def _as_tuple(point) -> tuple[float, float, float]:
    return (float(point[0]), float(point[1]), float(point[2]))
