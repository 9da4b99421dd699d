"""Mounting regions in the viewport: translucent patches, and drawing new ones with the mouse.

:class:`RegionPatches` draws mounting regions (areas as filled polygons at their height, wall
bands as ribbons around theirs). :class:`RegionDrawer` is a second event filter on the
interactor that only acts in draw mode: left clicks put vertices on the horizontal plane at
the drawing height (the ceiling, the floor or a band's height along a wall), shown as a
polyline; a double click or Enter closes the shape, Backspace removes the last vertex and
Esc cancels. It is installed after the viewport's own mouse filter, so Qt asks it first and
it keeps the left button from the anchor dragging and camera rotation while drawing; the
middle and right buttons and the wheel still move the camera.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtWidgets import QWidget
from vtkmodules.vtkRenderingCore import vtkActor, vtkRenderer

from twinloc.gui.viewport.plane_tool import PlaneTool, append_vertex, is_click

AREA_COLOR = "#2ca25f"
BAND_COLOR = "#3182bd"
PATCH_OPACITY = 0.3
#: Half height of the ribbon that shows a wall band, metres.
BAND_HALF_HEIGHT_M = 0.15
SKETCH_COLOR = "#d6336c"


class RegionPatches:
    """The mounting regions drawn in a plotter.

    Parameters
    ----------
    plotter : pyvista.BasePlotter
        Actors are added and removed without rendering.
    """

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._actors: list[vtkActor] = []
        self.names: tuple[str, ...] = ()

    def show(self, regions) -> None:
        """Draw exactly ``regions``: objects with ``name``, ``polygon`` ((K, 2) metres),
        ``z_range_m`` and ``is_polyline`` (scene Regions and model MountingRegions both do)."""
        self.clear()
        for region in regions:
            outline = np.asarray(region.polygon, dtype=np.float64).reshape(-1, 2)
            z = 0.5 * (float(region.z_range_m[0]) + float(region.z_range_m[1]))
            mesh = band_mesh(outline, z) if region.is_polyline else area_mesh(outline, z)
            color = BAND_COLOR if region.is_polyline else AREA_COLOR
            self._actors.append(
                self._plotter.add_mesh(mesh, color=color, opacity=PATCH_OPACITY, pickable=False, reset_camera=False, render=False)
            )
            self._actors.append(
                self._plotter.add_mesh(
                    outline_mesh(outline, z, closed=not region.is_polyline),
                    color=color,
                    line_width=2.5,
                    pickable=False,
                    reset_camera=False,
                    render=False,
                )
            )
        self.names = tuple(region.name for region in regions)

    def clear(self) -> None:
        for actor in self._actors:
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        self._actors.clear()
        self.names = ()


class RegionDrawer(PlaneTool):
    """Draw mode of the viewport: clicks become the vertices of a new mounting region.

    Parameters
    ----------
    widget : QWidget
        The interactor widget (its events are filtered).
    renderer : vtkRenderer
    plotter : pyvista.BasePlotter
        Where the sketch is drawn.
    request_render : callable

    Signals
    -------
    regionDrawn(object, bool)
        The shape was closed: (K, 2) float64 vertices in metres and whether it is a polyline.
    drawingEnded()
        Draw mode ended (closed or cancelled).
    verticesChanged(int)
        The number of vertices placed so far.
    """

    regionDrawn = Signal(object, bool)
    drawingEnded = Signal()
    verticesChanged = Signal(int)

    def __init__(self, widget: QWidget, renderer: vtkRenderer, plotter: pv.BasePlotter, request_render: Callable[[], None]) -> None:
        super().__init__(widget, renderer, plotter, request_render)
        self._polyline = False
        self._height_m = 0.0
        self._vertices: list[np.ndarray] = []
        self._press_pos: QPointF | None = None
        self._sketch: list[vtkActor] = []

    @property
    def vertices(self) -> np.ndarray:
        """(K, 2) float64: the vertices placed so far, metres."""
        return np.array(self._vertices, dtype=np.float64).reshape(-1, 2)

    def start(self, height_m: float, polyline: bool) -> None:
        """Enter draw mode on the horizontal plane at ``height_m`` metres.

        polyline : bool
            True to draw a wall band (open polyline, at least 2 vertices), False for an area
            (closed polygon, at least 3).
        """
        self._clear_sketch()
        self._switch(True)
        self._polyline = bool(polyline)
        self._height_m = float(height_m)
        self._vertices = []
        self.verticesChanged.emit(0)

    def add_vertex(self, x: float, y: float) -> None:
        """Add a vertex at floor coordinates (x, y) metres (a click does this)."""
        if not append_vertex(self._vertices, x, y):
            return
        self._show_sketch()
        self.verticesChanged.emit(len(self._vertices))

    def finish(self) -> bool:
        """Close the shape; False (and still drawing) when it has too few vertices."""
        if not self._active:
            return False
        least = 2 if self._polyline else 3
        if len(self._vertices) < least:
            return False
        vertices = self.vertices
        polyline = self._polyline
        self._end()
        self.regionDrawn.emit(vertices, polyline)
        return True

    def cancel(self) -> None:
        """Leave draw mode without a region."""
        if self._active:
            self._end()

    def detach(self) -> None:
        """Stop filtering events and remove the sketch."""
        super().detach()
        self._clear_sketch()

    # ------------------------------------------------------------------ internals

    def _handle(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.finish()
                return True
            if key == Qt.Key.Key_Escape:
                self.cancel()
                return True
            if key == Qt.Key.Key_Backspace and self._vertices:
                self._vertices.pop()
                self._show_sketch()
                self.verticesChanged.emit(len(self._vertices))
                return True
            return False
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick):
            if event.button() != Qt.MouseButton.LeftButton:
                return False
            if kind == QEvent.Type.MouseButtonDblClick:
                self.finish()
            elif kind == QEvent.Type.MouseButtonPress:
                self._press_pos = event.position()
            else:
                self._on_release(event.position())
            return True
        return False

    def _on_release(self, pos: QPointF) -> None:
        press, self._press_pos = self._press_pos, None
        if not is_click(press, pos):
            return
        hit = self._plane_point(pos, self._height_m)
        if hit is not None:
            self.add_vertex(hit[0], hit[1])

    def _end(self) -> None:
        self._switch(False)
        self._vertices = []
        self._press_pos = None
        self._clear_sketch()
        self._request_render()
        self.drawingEnded.emit()

    def _show_sketch(self) -> None:
        self._clear_sketch()
        self._sketch = add_sketch(self._plotter, self.vertices, self._height_m, SKETCH_COLOR, closed=False)
        self._request_render()

    def _clear_sketch(self) -> None:
        for actor in self._sketch:
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        self._sketch.clear()


def add_sketch(plotter: pv.BasePlotter, vertices: np.ndarray, z: float, color: str, closed: bool,
               point_size: float = 11.0, line_width: float = 3.0) -> list[vtkActor]:
    """Draw ``vertices`` ((K, 2) metres) at height ``z`` as spheres joined by a polyline (closed
    back to the first if ``closed``), without rendering; returns the actors added."""
    if not len(vertices):
        return []
    points = np.column_stack([vertices, np.full(len(vertices), z)])
    actors = [plotter.add_points(points, color=color, point_size=point_size, render_points_as_spheres=True,
                                 pickable=False, reset_camera=False, render=False)]
    if len(vertices) >= 2:
        actors.append(plotter.add_mesh(outline_mesh(vertices, z, closed=closed), color=color, line_width=line_width,
                                       pickable=False, reset_camera=False, render=False))
    return actors


def area_mesh(outline: np.ndarray, z: float) -> pv.PolyData:
    """A filled polygon (K, 2) metres at height ``z``, triangulated."""
    points = np.column_stack([outline, np.full(len(outline), z)])
    faces = np.concatenate([[len(outline)], np.arange(len(outline))])
    return pv.PolyData(points, faces=faces).triangulate()


def band_mesh(outline: np.ndarray, z: float) -> pv.PolyData:
    """A vertical ribbon along the polyline (K, 2) metres, ``BAND_HALF_HEIGHT_M`` above and below ``z``."""
    count = len(outline)
    low = np.column_stack([outline, np.full(count, z - BAND_HALF_HEIGHT_M)])
    high = np.column_stack([outline, np.full(count, z + BAND_HALF_HEIGHT_M)])
    faces = np.concatenate([[4, i, i + 1, count + i + 1, count + i] for i in range(count - 1)])
    return pv.PolyData(np.vstack([low, high]), faces=faces)


def outline_mesh(outline: np.ndarray, z: float, closed: bool) -> pv.PolyData:
    """The polyline (K, 2) metres at height ``z`` as line segments, closed back to the start if asked."""
    points = np.column_stack([outline, np.full(len(outline), z)])
    order = list(range(len(outline))) + ([0] if closed else [])
    return pv.PolyData(points, lines=np.concatenate([[len(order)], order]))
