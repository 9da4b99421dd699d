"""Anchors in the viewport: one sphere actor per anchor and one label layer with their names.

The spheres share one mesh centred at the origin and are placed by their actor position,
so moving, recolouring or highlighting an anchor changes actor properties only; the label
layer reads its positions from a point set that is edited in place.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
from vtkmodules.vtkRenderingCore import vtkActor, vtkActor2D, vtkRenderer

from twinloc.gui.viewport.labels import label_boxes
from twinloc.gui.viewport.projection import pixels_per_metre, world_to_display
from twinloc.model.devices import Anchor

ANCHOR_RADIUS_M = 0.15
ANCHOR_COLOR = "#ff5a1f"
SELECTED_COLOR = "#ffc61a"
DISABLED_COLOR = "#9a9ea6"
SELECTED_SCALE = 1.35
LABEL_LIFT_M = 0.3
#: Anchors are grabbed within at least this many display pixels of their centre.
MIN_GRAB_RADIUS_PX = 8.0


class AnchorActors:
    """The anchors drawn in a plotter.

    Parameters
    ----------
    plotter : pyvista.BasePlotter
        The plotter to draw into; actors are added and changed without rendering.
    """

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._sphere = pv.Sphere(radius=ANCHOR_RADIUS_M, theta_resolution=32, phi_resolution=20)
        self._actors: dict[str, vtkActor] = {}
        self._positions: dict[str, np.ndarray] = {}
        self._scales: dict[str, float] = {}
        self._label_points: pv.PolyData | None = None
        self._label_actor: vtkActor2D | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the drawn anchors, in the order last given."""
        return tuple(self._actors)

    def position(self, name: str) -> np.ndarray:
        """(3,) float64: where anchor ``name`` is drawn, metres."""
        return self._positions[name].copy()

    def show(self, anchors: tuple[Anchor, ...], selected: set[str]) -> None:
        """Draw exactly ``anchors``, highlighting the ``selected`` names.

        Anchors already drawn keep their actors; only added or removed names create or delete them.
        """
        wanted = {anchor.name for anchor in anchors}
        for name in [n for n in self._actors if n not in wanted]:
            self._plotter.remove_actor(self._actors.pop(name), reset_camera=False, render=False)
            del self._positions[name]
            del self._scales[name]
        ordered: dict[str, vtkActor] = {}
        for anchor in anchors:
            actor = self._actors.get(anchor.name)
            if actor is None:
                actor = self._plotter.add_mesh(
                    self._sphere,
                    smooth_shading=True,
                    specular=0.5,
                    specular_power=30.0,
                    ambient=0.2,
                    pickable=False,
                    reset_camera=False,
                    render=False,
                )
            ordered[anchor.name] = actor
            is_selected = anchor.name in selected
            if not anchor.enabled:
                actor.prop.color = DISABLED_COLOR
            else:
                actor.prop.color = SELECTED_COLOR if is_selected else ANCHOR_COLOR
            self._scales[anchor.name] = SELECTED_SCALE if is_selected else 1.0
            actor.SetScale(self._scales[anchor.name])
            self._positions[anchor.name] = np.asarray(anchor.position, dtype=float)
            actor.SetPosition(*self._positions[anchor.name])
        self._actors = ordered
        self._update_labels()

    def move(self, name: str, position) -> None:
        """Draw anchor ``name`` at ``position`` ((3,) metres) without changing anything else."""
        self._positions[name] = np.asarray(position, dtype=float)
        self._actors[name].SetPosition(*self._positions[name])
        self._update_labels()

    def label_boxes(self, renderer: vtkRenderer) -> np.ndarray:
        """(N, 4) float64: the name labels' rectangles (x0, y0, x1, y1) on the screen, display pixels."""
        return label_boxes(renderer, self._label_actor)

    def grab(self, renderer: vtkRenderer, xd: float, yd: float) -> str | None:
        """The anchor under a display pixel, nearest to the camera first, or None."""
        best: tuple[float, str] | None = None
        for name, centre in self._positions.items():
            cx, cy, depth = world_to_display(renderer, centre)
            radius_px = ANCHOR_RADIUS_M * self._scales[name] * pixels_per_metre(renderer, centre)
            if np.hypot(cx - xd, cy - yd) <= max(radius_px, MIN_GRAB_RADIUS_PX) and 0.0 <= depth <= 1.0:
                if best is None or depth < best[0]:
                    best = (depth, name)
        return None if best is None else best[1]

    def clear(self) -> None:
        """Remove every anchor actor and the labels."""
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
        points = np.array([self._positions[n] for n in names]) + (0.0, 0.0, LABEL_LIFT_M)
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
            text_color="#1c1f24",
            shape="rounded_rect",
            shape_color="#ffffff",
            shape_opacity=0.75,
            margin=3,
            show_points=False,
            always_visible=True,
            reset_camera=False,
            render=False,
            name="twinloc-anchor-labels",
        )

    def _remove_labels(self) -> None:
        if self._label_actor is not None:
            self._plotter.remove_actor(self._label_actor, reset_camera=False, render=False)
        self._label_actor = None
        self._label_points = None
