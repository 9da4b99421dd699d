"""Devices in the viewport: one glyph actor per device and one label layer with their names.

The glyphs of one kind share one mesh centred at the origin and are placed by their actor
position, so moving, recolouring or highlighting a device changes actor properties only; the
label layer reads its positions from a point set that is edited in place. Anchors
(:mod:`~twinloc.gui.viewport.anchors`) and access points (:mod:`~twinloc.gui.viewport.access_points`)
are such kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from vtkmodules.vtkRenderingCore import vtkActor, vtkActor2D, vtkRenderer

from twinloc.gui.viewport.labels import label_boxes
from twinloc.gui.viewport.projection import pixels_per_metre, world_to_display

SELECTED_COLOR = "#ffc61a"
DISABLED_COLOR = "#9a9ea6"
SELECTED_SCALE = 1.35
#: Devices are grabbed within at least this many display pixels of their centre.
MIN_GRAB_RADIUS_PX = 8.0


@dataclass(frozen=True)
class GlyphStyle:
    """How one kind of device is drawn.

    radius_m : the glyph's half size, metres (also the grab radius).
    color, selected_color, disabled_color : hex colours of a device enabled, highlighted, disabled.
    disabled_opacity : opacity of a disabled device's glyph (1: opaque).
    smooth : smooth shading (a sphere) rather than flat facets (a diamond).
    label_offset_m : where the name label's lower-left corner stands relative to the device, (x, y, z)
        metres (above it; beside it too, so that the label leaves the glyph visible in the top view).
    label_color : hex colour of the name label's text.
    layer : the name of the label actor in the plotter (one per kind).
    """

    radius_m: float
    color: str
    layer: str
    selected_color: str = SELECTED_COLOR
    disabled_color: str = DISABLED_COLOR
    disabled_opacity: float = 1.0
    smooth: bool = True
    label_offset_m: tuple[float, float, float] = (0.0, 0.0, 0.3)
    label_color: str = "#1c1f24"


class DeviceActors:
    """The devices of one kind drawn in a plotter.

    Parameters
    ----------
    plotter : pyvista.BasePlotter
        The plotter to draw into; actors are added and changed without rendering.
    glyph : pyvista.PolyData
        The shape of one device, centred at the origin, metres.
    style : GlyphStyle
    """

    def __init__(self, plotter: pv.BasePlotter, glyph: pv.PolyData, style: GlyphStyle) -> None:
        self._plotter = plotter
        self._glyph = glyph
        self.style = style
        self._actors: dict[str, vtkActor] = {}
        self._positions: dict[str, np.ndarray] = {}
        self._scales: dict[str, float] = {}
        self._label_points: pv.PolyData | None = None
        self._label_actor: vtkActor2D | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the drawn devices, in the order last given."""
        return tuple(self._actors)

    def position(self, name: str) -> np.ndarray:
        """(3,) float64: where device ``name`` is drawn, metres."""
        return self._positions[name].copy()

    def actor(self, name: str) -> vtkActor:
        """The glyph actor of device ``name`` (its colour, opacity and scale say how it is drawn)."""
        return self._actors[name]

    def show(self, devices, selected: set[str]) -> None:
        """Draw exactly ``devices`` (each with ``name``, ``position`` and ``enabled``), highlighting
        the ``selected`` names.

        Devices already drawn keep their actors; only added or removed names create or delete them.
        """
        style = self.style
        wanted = {device.name for device in devices}
        for name in [n for n in self._actors if n not in wanted]:
            self._plotter.remove_actor(self._actors.pop(name), reset_camera=False, render=False)
            del self._positions[name]
            del self._scales[name]
        ordered: dict[str, vtkActor] = {}
        for device in devices:
            actor = self._actors.get(device.name)
            if actor is None:
                actor = self._plotter.add_mesh(
                    self._glyph,
                    smooth_shading=style.smooth,
                    specular=0.5,
                    specular_power=30.0,
                    ambient=0.2,
                    pickable=False,
                    reset_camera=False,
                    render=False,
                )
            ordered[device.name] = actor
            is_selected = device.name in selected
            if not device.enabled:
                actor.prop.color = style.disabled_color
            else:
                actor.prop.color = style.selected_color if is_selected else style.color
            actor.prop.opacity = 1.0 if device.enabled else style.disabled_opacity
            self._scales[device.name] = SELECTED_SCALE if is_selected else 1.0
            actor.SetScale(self._scales[device.name])
            self._positions[device.name] = np.asarray(device.position, dtype=float)
            actor.SetPosition(*self._positions[device.name])
        self._actors = ordered
        self._update_labels()

    def move(self, name: str, position) -> None:
        """Draw device ``name`` at ``position`` ((3,) metres) without changing anything else."""
        self._positions[name] = np.asarray(position, dtype=float)
        self._actors[name].SetPosition(*self._positions[name])
        self._update_labels()

    def label_boxes(self, renderer: vtkRenderer) -> np.ndarray:
        """(N, 4) float64: the name labels' rectangles (x0, y0, x1, y1) on the screen, display pixels."""
        return label_boxes(renderer, self._label_actor)

    def grab(self, renderer: vtkRenderer, xd: float, yd: float) -> tuple[float, str] | None:
        """The device under a display pixel nearest to the camera, as (depth 0..1, name), or None."""
        best: tuple[float, str] | None = None
        for name, centre in self._positions.items():
            cx, cy, depth = world_to_display(renderer, centre)
            radius_px = self.style.radius_m * self._scales[name] * pixels_per_metre(renderer, centre)
            if np.hypot(cx - xd, cy - yd) <= max(radius_px, MIN_GRAB_RADIUS_PX) and 0.0 <= depth <= 1.0:
                if best is None or depth < best[0]:
                    best = (depth, name)
        return best

    def clear(self) -> None:
        """Remove every glyph actor and the labels."""
        for actor in self._actors.values():
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        self._actors.clear()
        self._positions.clear()
        self._scales.clear()
        self._remove_labels()

    def _update_labels(self) -> None:
        names = list(self._actors)
        if not names:
            self._remove_labels()
            return
        points = np.array([self._positions[n] for n in names]) + self.style.label_offset_m
        if self._label_points is not None and list(self._label_points["name"]) == names:
            self._label_points.points = points
            return
        self._remove_labels()
        self._label_points = pv.PolyData(points)
        self._label_points["name"] = np.array(names)
        self._label_actor = self._plotter.add_point_labels(
            self._label_points,
            "name",
            font_size=13,
            bold=True,
            text_color=self.style.label_color,
            shape="rounded_rect",
            shape_color="#ffffff",
            shape_opacity=0.75,
            margin=3,
            show_points=False,
            always_visible=True,
            reset_camera=False,
            render=False,
            name=self.style.layer,
        )

    def _remove_labels(self) -> None:
        if self._label_actor is not None:
            self._plotter.remove_actor(self._label_actor, reset_camera=False, render=False)
        self._label_actor = None
        self._label_points = None
