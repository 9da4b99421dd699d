"""The outer markers of a reference-point plan: placed by clicks on the floor, dragged to adjust.

:class:`OuterMarkerEditor` is a drawing mode of the viewport, like the region drawer
(a :class:`~twinloc.gui.viewport.plane_tool.PlaneTool`). In draw mode a left click on the floor
adds a marker at the end of the outline, a left press on a marker (within
:data:`GRAB_PX`) drags it along the floor plane, Backspace removes the last marker and Enter
or Esc ends the mode (the markers stay). The middle and right buttons and the wheel still
move the camera. The markers are drawn as spheres joined by a closed outline whether or not
the mode is on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pyvista as pv
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtWidgets import QWidget
from vtkmodules.vtkRenderingCore import vtkActor, vtkRenderer

from twinloc.gui.viewport.plane_tool import PlaneTool, append_vertex, is_click
from twinloc.gui.viewport.projection import world_to_display
from twinloc.gui.viewport.regions import add_sketch

MARKER_COLOR = "#e8590c"
#: A press this close to a marker (display pixels) grabs it instead of adding a new one.
GRAB_PX = 10.0
#: The markers float this far above the floor plane so the floor map never hides them, metres.
LIFT_M = 0.08
#: While a marker is dragged, ``markersChanged`` is emitted at most this often.
DRAG_REPORT_S = 1.0 / 15.0


class OuterMarkerEditor(PlaneTool):
    """The outline a reference-point plan is made from, edited with the mouse.

    Parameters
    ----------
    widget : QWidget
        The interactor widget (its events are filtered).
    renderer : vtkRenderer
    plotter : pyvista.BasePlotter
        Where the markers are drawn.
    request_render : callable

    Signals
    -------
    markersChanged(object)
        The markers moved, were added or removed: (K, 2) float64 metres, in outline order
        (also while one is dragged, at most every :data:`DRAG_REPORT_S`).
    editingEnded()
        Draw mode ended.
    """

    markersChanged = Signal(object)
    editingEnded = Signal()

    def __init__(self, widget: QWidget, renderer: vtkRenderer, plotter: pv.BasePlotter, request_render: Callable[[], None]) -> None:
        super().__init__(widget, renderer, plotter, request_render)
        self._floor_z = 0.0
        self._markers: list[np.ndarray] = []
        self._press_pos: QPointF | None = None
        self._dragged: int | None = None
        self._last_report = 0.0
        self._actors: list[vtkActor] = []

    @property
    def dragging(self) -> bool:
        """True while a marker is being dragged."""
        return self._dragged is not None

    @property
    def markers(self) -> np.ndarray:
        """(K, 2) float64: the markers, metres, in outline order."""
        return np.array(self._markers, dtype=np.float64).reshape(-1, 2)

    def set_floor_height(self, z_m: float) -> None:
        """The height of the floor plane the clicks land on, metres."""
        self._floor_z = float(z_m)
        self._show()

    def start(self) -> None:
        """Enter draw mode (the markers placed so far stay and can be dragged)."""
        self._switch(True)

    def stop(self) -> None:
        """Leave draw mode; the markers stay."""
        if self._active:
            self._switch(False)
            self._recover()
            self.editingEnded.emit()

    def set_markers(self, markers) -> None:
        """Replace the markers with ``markers`` ((K, 2) metres)."""
        self._markers = [np.array(point, dtype=np.float64) for point in np.asarray(markers, dtype=np.float64).reshape(-1, 2)]
        self._changed()

    def add_marker(self, x: float, y: float) -> None:
        """Add a marker at floor point (x, y) metres at the end of the outline (a click does this)."""
        if append_vertex(self._markers, x, y):
            self._changed()

    def detach(self) -> None:
        """Stop filtering events and remove the drawn markers."""
        super().detach()
        self._clear()

    # ------------------------------------------------------------------ internals

    def _handle(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
                self.stop()
                return True
            if key == Qt.Key.Key_Backspace and self._markers:
                self._markers.pop()
                self._changed()
                return True
            return False
        if kind == QEvent.Type.MouseMove:
            if self._dragged is None:
                return False
            self._drag_to(event.position())
            return True
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseButtonRelease):
            if event.button() != Qt.MouseButton.LeftButton:
                return False
            if kind == QEvent.Type.MouseButtonRelease:
                self._on_release(event.position())
            else:
                self._press_pos = event.position()
                self._dragged = self._marker_at(event.position())
            return True
        return False

    def _recover(self) -> None:
        self._dragged = None
        self._press_pos = None

    def _on_release(self, pos: QPointF) -> None:
        press, dragged = self._press_pos, self._dragged
        self._recover()
        if dragged is not None:
            self._drag_to(pos)
            self.markersChanged.emit(self.markers)
            return
        if not is_click(press, pos):
            return
        hit = self._plane_point(pos, self._floor_z)
        if hit is not None:
            self.add_marker(hit[0], hit[1])

    def _drag_to(self, pos: QPointF) -> None:
        hit = self._plane_point(pos, self._floor_z)
        if hit is None or self._dragged is None:
            return
        self._markers[self._dragged] = np.array(hit[:2], dtype=np.float64)
        self._show()
        now = time.monotonic()
        if now - self._last_report >= DRAG_REPORT_S:
            self._last_report = now
            self.markersChanged.emit(self.markers)

    def _marker_at(self, pos: QPointF) -> int | None:
        """The index of the marker drawn within :data:`GRAB_PX` of ``pos`` (the nearest), or None."""
        xd, yd = self._display(pos)
        best, nearest = None, GRAB_PX
        for index, marker in enumerate(self._markers):
            mx, my, _ = world_to_display(self._renderer, (marker[0], marker[1], self._floor_z + LIFT_M))
            distance = float(np.hypot(mx - xd, my - yd))
            if distance <= nearest:
                best, nearest = index, distance
        return best

    def _changed(self) -> None:
        self._show()
        self.markersChanged.emit(self.markers)

    def _show(self) -> None:
        self._clear()
        self._actors = add_sketch(self._plotter, self.markers, self._floor_z + LIFT_M, MARKER_COLOR,
                                  closed=len(self._markers) >= 3, point_size=14.0, line_width=2.5)
        self._request_render()

    def _clear(self) -> None:
        for actor in self._actors:
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        self._actors.clear()

