"""The 3D viewport: the scene, its anchors and a floor map in a pyvistaqt interactor.

The viewport is a view: it draws what it is given (``set_scene``, ``set_anchors``,
``set_floor_map``) and reports what the user does with the mouse as signals; it never
edits the project. Everything here runs on the GUI thread.

Changes never render on the spot: they ask for a render (:meth:`SceneViewport.request_render`)
and the view is drawn once when the event loop next paints, however many layers one edit
changed. On a scene of thousands of objects a render takes a sizeable fraction of a second
on a software OpenGL; rendering once per change of every layer froze the window for seconds.

Examples
--------
>>> viewport = SceneViewport()                                   # doctest: +SKIP
>>> viewport.set_scene(load_scene("uwb_hall"))                   # doctest: +SKIP
>>> viewport.placeRequested.connect(lambda p: document.add_anchor(p))  # doctest: +SKIP
>>> viewport.set_mode("place_anchor")                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from twinloc.geometry.floor_layer import ArrowSet, PointSet, PolylineSet
from twinloc.geometry.scene import Scene
from twinloc.gui.viewport.anchors import AnchorActors
from twinloc.gui.viewport.floor_map import FloorMapActor, MapStyle
from twinloc.gui.viewport.markers import FloorMarkers
from twinloc.gui.viewport.mouse import ViewportMouse
from twinloc.gui.viewport.projection import display_to_widget, world_to_display
from twinloc.gui.viewport.scene import SceneActors
from twinloc.model.devices import Anchor

BACKGROUND_BOTTOM = "#f7f8fa"
BACKGROUND_TOP = "#d9e0e8"
#: Translucent layers drawn in depth order (each costs a render pass).
DEPTH_PEELS = 4
#: Direction the isometric camera looks from (towards the scene centre), unnormalised.
ISO_DIRECTION = (-0.55, -1.0, 0.75)
#: Room left around the scene when framing it, as fractions of the view's height and width
#: (wider at the sides: the floor map's legend stands at the right edge).
FIT_MARGIN_VERTICAL = 0.08
FIT_MARGIN_HORIZONTAL = 0.2


class SceneViewport(QWidget):
    """A 3D view of a scene with anchors and an optional floor map.

    Parameters
    ----------
    parent : QWidget, optional

    Attributes
    ----------
    plotter : pyvistaqt.QtInteractor
        The interactor widget (also a pyvista plotter).

    Signals
    -------
    placeRequested(object)
        In place-anchor mode, a click on the scene: the (x, y, z) metres where an anchor
        should go (mounting height above a floor point, or the picked wall/ceiling point).
    anchorDragPreview(str, object)
        An anchor is being dragged: its name and current (x, y, z), at most ~30 times a second.
    anchorDragFinished(str, object)
        The drag ended: the name and final (x, y, z).
    anchorClicked(str, bool)
        A click without motion on an anchor: its name and whether Ctrl was held (extend selection).
    cursorMoved(object)
        The scene point (x, y, z) under the mouse, or None when the mouse is over empty space.
    """

    placeRequested = Signal(object)
    anchorDragPreview = Signal(str, object)
    anchorDragFinished = Signal(str, object)
    anchorClicked = Signal(str, bool)
    cursorMoved = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plotter = QtInteractor(self, auto_update=False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plotter)
        self.plotter.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)
        _enable_translucency_and_smoothing(self.plotter.render_window, self.plotter.renderer)
        self.plotter.add_axes(interactive=False, line_width=2, color="#1c1f24")
        self._scene_actors = SceneActors(self.plotter)
        self._anchor_actors = AnchorActors(self.plotter)
        self._floor_map = FloorMapActor(self.plotter)
        self._markers = FloorMarkers(self.plotter)
        self._mouse = ViewportMouse(
            self.plotter, self.plotter.renderer, self._scene_actors, self._anchor_actors, self.request_render
        )
        self._mouse.placeRequested.connect(self.placeRequested)
        self._mouse.anchorDragPreview.connect(self.anchorDragPreview)
        self._mouse.anchorDragFinished.connect(self.anchorDragFinished)
        self._mouse.anchorClicked.connect(self.anchorClicked)
        self._mouse.cursorMoved.connect(self.cursorMoved)
        self._scene_bounds: np.ndarray | None = None
        self._preset: Callable[[], None] = self.view_iso
        self._preset_camera: tuple | None = None
        self._closed = False
        # Every frame, before drawing: cut away the envelope walls the camera now sees from outside.
        self._cutaway_observer = self.plotter.renderer.AddObserver("StartEvent", self._on_render_start)
        self.view_iso()

    # ---- content -----------------------------------------------------------------------

    def set_scene(self, scene: Scene) -> None:
        """Draw ``scene``, replacing the previous one; the camera is reframed when its extent changed."""
        self._scene_actors.show(scene)
        bounds = self._scene_actors.bounds
        reframe = self._scene_bounds is None or not np.allclose(bounds, self._scene_bounds)
        self._scene_bounds = bounds
        if reframe:
            self.view_iso()
        else:
            self.request_render()

    def update_materials(self, scene: Scene) -> None:
        """Recolour the objects from ``scene``'s materials; redraws fully if its objects differ."""
        if self._scene_actors.update_materials(scene):
            self.request_render()
        else:
            self.set_scene(scene)

    def set_anchors(self, anchors: tuple[Anchor, ...], selected: set[str]) -> None:
        """Draw ``anchors`` as labelled spheres; ``selected`` names are highlighted, disabled ones grey."""
        self._anchor_actors.show(tuple(anchors), set(selected))
        dragged = self._mouse.dragged_anchor
        if dragged is not None:
            if dragged in self._anchor_actors.names:
                self._anchor_actors.move(dragged, self._mouse.drag_position)
            else:
                self._mouse.cancel_drag()
        self.request_render()

    def set_floor_map(
        self,
        grid,
        values: np.ndarray,
        title: str,
        cmap: str = "viridis",
        clim: tuple[float, float] | None = None,
        categorical: bool = False,
    ) -> None:
        """Draw a per-cell map flat above the floor, with a legend.

        Parameters
        ----------
        grid : twinloc.geometry.grid.FloorGrid
            The cells the values belong to.
        values : (M,) float
            One value per masked cell of ``grid``, in the map's unit; NaN cells are not drawn.
        title : str
            Legend title, with the unit (e.g. "NLOS error (m)").
        cmap : str, default: "viridis"
            A matplotlib colormap name.
        clim : (float, float), optional
            Colour range; the finite range of ``values`` when omitted.
        categorical : bool, default: False
            One colour per integer in ``clim`` (e.g. the number of anchors in line of sight).
        """
        values = np.asarray(values, dtype=float)
        if clim is None:
            finite = values[np.isfinite(values)]
            clim = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        low, high = float(clim[0]), float(clim[1])
        if high <= low:
            high = low + 1.0
        self._floor_map.show(grid, values, MapStyle(title, cmap, (low, high), bool(categorical)))
        self.request_render()

    def clear_floor_map(self) -> None:
        """Remove the floor map and its legend."""
        self._floor_map.clear()
        self.request_render()

    def anchor_label_boxes(self) -> np.ndarray:
        """(N, 4) float64: where the anchors' name labels stand, (x0, y0, x1, y1) display pixels."""
        return self._anchor_actors.label_boxes(self.plotter.renderer)

    def floor_map_values(self) -> np.ndarray | None:
        """(H, W) float64 copy of the floor map shown (NaN where no cell is drawn), or None."""
        return self._floor_map.image

    def set_floor_markers(self, items: list[ArrowSet | PointSet | PolylineSet], caption: str = "") -> None:
        """Draw arrows and points just above the floor, replacing the previous ones.

        Parameters
        ----------
        items : list of ArrowSet, PointSet or PolylineSet
            One-colour sets with a label get a legend entry; arrows coloured by length and points
            coloured by value get a colour bar (so do not combine them with a floor map, whose
            legend stands there too).
        caption : str, default: ""
            A note in the top-left corner (e.g. the arrows' scale).
        """
        self._markers.show(list(items), caption)
        self.request_render()

    def clear_floor_markers(self) -> None:
        """Remove the arrows, points, caption and legend."""
        self._markers.clear()
        self.request_render()

    def floor_markers(self) -> tuple[ArrowSet | PointSet | PolylineSet, ...]:
        """The arrow and point sets drawn now."""
        return self._markers.items

    def floor_markers_caption(self) -> str:
        return self._markers.caption

    def request_render(self) -> None:
        """Draw the view again when the event loop next paints (at once if nothing else is queued).

        Qt merges every request of one event-loop turn into one paint, and a paint renders
        the scene once; a hidden view is not drawn until it is shown. Use this after changing
        actors; :meth:`screenshot` renders on the spot.
        """
        if not self._closed:
            QWidget.update(self.plotter)  # the widget's update(); BasePlotter has another

    # ---- interaction -------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """"navigate" (drag anchors, orbit the camera) or "place_anchor" (click places)."""
        return self._mouse.mode

    def set_mode(self, mode: str) -> None:
        """Switch between "navigate" and "place_anchor"; raises ValueError for other names."""
        self._mouse.set_mode(mode)

    def set_mounting_height(self, height_m: float) -> None:
        """Height above the floor at which anchors placed by clicking the floor go, metres."""
        self._mouse.set_mounting_height(height_m)

    # ---- camera ------------------------------------------------------------------------

    def view_iso(self) -> None:
        """Look at the whole scene obliquely from above, from the south-west."""
        self._look_from(np.asarray(ISO_DIRECTION, dtype=float), view_up=(0.0, 0.0, 1.0), preset=self.view_iso)

    def view_top(self) -> None:
        """Look straight down on the scene, +y up on screen."""
        self._look_from(np.array([0.0, 0.0, 1.0]), view_up=(0.0, 1.0, 0.0), preset=self.view_top)

    def view_fit(self) -> None:
        """Frame the whole scene, keeping the current viewing direction."""
        camera = self.plotter.camera
        direction = np.subtract(camera.position, camera.focal_point)
        self._look_from(direction, view_up=camera.up, preset=self.view_fit)

    def world_to_widget(self, point) -> QPoint:
        """The position in :attr:`plotter` (logical pixels, top-left origin) where a world point is drawn.

        Send mouse events for that point to ``plotter`` (it fills this widget, so the position
        is also valid in this widget's coordinates).

        Parameters
        ----------
        point : (3,) float, metres
        """
        xd, yd, _ = world_to_display(self.plotter.renderer, point)
        x, y = display_to_widget(xd, yd, self.plotter.height(), self.plotter.devicePixelRatioF())
        return QPoint(round(x), round(y))

    # ---- output and lifetime -----------------------------------------------------------

    def screenshot(self, path: str | Path | None = None) -> np.ndarray:
        """Render and return the view as an (H, W, 3) uint8 image, also written to ``path`` if given."""
        self.plotter.render()
        filename = None if path is None else str(path)
        return np.asarray(self.plotter.screenshot(filename, return_img=True))[..., :3]

    def close(self) -> bool:
        """Release the VTK objects and the event filter, then close the widget."""
        if not self._closed:
            self._closed = True
            self.plotter.renderer.RemoveObserver(self._cutaway_observer)
            self._mouse.detach()
            self._floor_map.clear()
            self._markers.clear()
            self._anchor_actors.clear()
            self._scene_actors.clear()
            self.plotter.close()
        return super().close()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Keep the scene framed while the camera still shows the last preset untouched."""
        super().resizeEvent(event)
        if not self._closed and self._preset_camera == self._camera_state():
            self._preset()

    def _camera_state(self) -> tuple:
        camera = self.plotter.camera
        return (camera.position, camera.focal_point, camera.up)

    def _on_render_start(self, _renderer, _event) -> None:
        self._scene_actors.cut_away(self.plotter.camera.position)

    def _look_from(self, direction: np.ndarray, view_up, preset: Callable[[], None]) -> None:
        bounds = self._scene_actors.bounds
        centre = bounds.mean(axis=0)
        direction = np.asarray(direction, dtype=float) / np.linalg.norm(direction)
        camera = self.plotter.camera
        camera.focal_point = tuple(centre)
        camera.position = tuple(centre + direction)
        camera.up = tuple(view_up)
        camera.OrthogonalizeViewUp()
        camera.position = tuple(centre + direction * self._fit_distance(bounds, camera))
        self.plotter.renderer.ResetCameraClippingRange()
        self._preset = preset
        self._preset_camera = self._camera_state()
        self.request_render()

    def _fit_distance(self, bounds: np.ndarray, camera) -> float:
        """Camera distance at which every corner of ``bounds`` is in view (perspective camera)."""
        width, height = max(self.width(), 1), max(self.height(), 1)
        tan_half = np.tan(np.radians(camera.view_angle) / 2.0)
        tan_v = tan_half * (1.0 - FIT_MARGIN_VERTICAL)
        tan_h = tan_half * width / height * (1.0 - FIT_MARGIN_HORIZONTAL)
        forward = np.subtract(camera.focal_point, camera.position)
        forward /= np.linalg.norm(forward)
        up = np.asarray(camera.up, dtype=float)
        right = np.cross(forward, up)
        corners = np.array([[x, y, z] for x in bounds[:, 0] for y in bounds[:, 1] for z in bounds[:, 2]])
        offsets = corners - bounds.mean(axis=0)
        along = offsets @ forward
        needed = np.maximum(np.abs(offsets @ right) / tan_h, np.abs(offsets @ up) / tan_v) - along
        return float(max(needed.max(), 1.0))


def _enable_translucency_and_smoothing(render_window, renderer) -> None:
    """Depth peeling (see-through walls drawn in the right order) and FXAA on ``renderer``.

    Set directly rather than through pyvista's ``enable_depth_peeling`` and
    ``enable_anti_aliasing``: those first probe the OpenGL driver with throw-away render
    windows (about 0.15 s, a tenth of start-up). VTK's OpenGL2 backend needs OpenGL 3.2,
    which has both features, and falls back to plain alpha blending on its own.
    """
    render_window.SetMultiSamples(0)  # FXAA replaces multisampling
    render_window.AlphaBitPlanesOn()  # depth peeling keeps alpha per pixel
    renderer.SetUseDepthPeeling(True)
    renderer.SetMaximumNumberOfPeels(DEPTH_PEELS)
    renderer.SetOcclusionRatio(0.0)
    renderer.SetUseFXAA(True)
