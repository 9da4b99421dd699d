"""A proposed anchor layout drawn in the viewport as translucent "ghost" spheres.

Ghosts are not anchors of the document: they preview the best layout so far while an
optimization runs, or a result picked in the results table. They cannot be picked or dragged.
Their name labels are placed afresh before every frame (the camera may have moved) beside
their spheres where they overlap no anchor label and no other ghost label.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv
from vtkmodules.vtkRenderingCore import vtkActor

from twinloc.gui.viewport.labels import label_point_for, place_beside, text_extents
from twinloc.gui.viewport.projection import display_to_world, world_to_display

GHOST_COLOR = "#16b8c9"
GHOST_OPACITY = 0.6
GHOST_RADIUS_M = 0.2
#: A ghost's label is placed around the point this far above its centre.
LABEL_LIFT_M = 0.35


class GhostLayout:
    """Ghost spheres and their labels in a plotter (actors change without rendering).

    Parameters
    ----------
    plotter : pyvista.BasePlotter
    avoid : callable, optional
        ``avoid()`` -> (K, 4) display-pixel rectangles (x0, y0, x1, y1) the labels keep clear
        of: the anchors' labels.
    """

    def __init__(self, plotter: pv.BasePlotter, avoid: Callable[[], np.ndarray] | None = None) -> None:
        self._plotter = plotter
        self._avoid = avoid or (lambda: np.zeros((0, 4)))
        self._sphere = pv.Sphere(radius=GHOST_RADIUS_M, theta_resolution=24, phi_resolution=16)
        self._actors: list[vtkActor] = []
        self._labels = None
        self._label_points: pv.PolyData | None = None
        self._names: list[str] = []
        self._observer: int | None = None
        self._positions = np.zeros((0, 3))

    @property
    def positions(self) -> np.ndarray:
        """(N, 3) float64: where the ghosts are drawn, metres (empty when none)."""
        return self._positions.copy()

    @property
    def labels_actor(self):
        """The actor drawing the ghosts' names (None when none are labelled)."""
        return self._labels

    def show(self, positions, names=None) -> None:
        """Draw ghosts at ``positions`` (N, 3) metres, labelled with ``names`` (N,) when given."""
        positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
        while len(self._actors) > len(positions):
            self._plotter.remove_actor(self._actors.pop(), reset_camera=False, render=False)
        while len(self._actors) < len(positions):
            actor = self._plotter.add_mesh(
                self._sphere, color=GHOST_COLOR, opacity=GHOST_OPACITY, smooth_shading=True, pickable=False, reset_camera=False, render=False
            )
            self._actors.append(actor)
        for actor, position in zip(self._actors, positions, strict=True):
            actor.SetPosition(*position)
        self._positions = positions
        self._show_labels(positions, names)

    def clear(self) -> None:
        for actor in self._actors:
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        self._actors.clear()
        self._remove_labels()
        self._positions = np.zeros((0, 3))

    def _show_labels(self, positions: np.ndarray, names) -> None:
        self._remove_labels()
        if names is None or not len(positions):
            return
        self._names = [str(n) for n in names]
        self._label_points = pv.PolyData(positions + (0.0, 0.0, LABEL_LIFT_M))
        self._label_points["name"] = np.array(self._names)
        self._labels = self._plotter.add_point_labels(
            self._label_points,
            "name",
            font_size=11,
            text_color="#0b5560",
            shape="rounded_rect",
            shape_color="#e6fbfd",
            shape_opacity=0.8,
            margin=2,
            show_points=False,
            always_visible=True,
            reset_camera=False,
            render=False,
            name="twinloc-ghost-labels",
        )
        self._observer = self._plotter.renderer.AddObserver("StartEvent", self._place_labels)

    def _place_labels(self, _renderer=None, _event=None) -> None:
        """Move each label beside its ghost, clear of the anchors' labels and of each other."""
        renderer = self._plotter.renderer
        lifted = [world_to_display(renderer, p) for p in self._positions + (0.0, 0.0, LABEL_LIFT_M)]
        mapper = self._labels.GetMapper()
        margin = mapper.GetMargin()
        extents = text_extents(renderer, mapper.GetInputAlgorithm().GetTextProperty(), self._names)
        sizes = np.column_stack([extents[:, 1] - extents[:, 0], extents[:, 3] - extents[:, 2]]) + 2 * margin
        boxes = place_beside([(x, y) for x, y, _ in lifted], sizes, self._avoid())
        self._label_points.points = np.array(
            [display_to_world(renderer, *label_point_for(box, extent, margin), depth) for box, extent, (_, _, depth) in zip(boxes, extents, lifted, strict=True)]
        )

    def _remove_labels(self) -> None:
        if self._observer is not None:
            self._plotter.renderer.RemoveObserver(self._observer)
        if self._labels is not None:
            self._plotter.remove_actor(self._labels, reset_camera=False, render=False)
        self._observer = None
        self._labels = None
        self._label_points = None
        self._names = []
