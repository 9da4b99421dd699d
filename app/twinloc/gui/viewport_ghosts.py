"""A proposed anchor layout drawn in the viewport as translucent "ghost" spheres.

Ghosts are not anchors of the document: they preview the best layout so far while an
optimisation runs, or a result picked in the results table. They cannot be picked or dragged.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
from vtkmodules.vtkRenderingCore import vtkActor

GHOST_COLOR = "#16b8c9"
GHOST_OPACITY = 0.6
GHOST_RADIUS_M = 0.2


class GhostLayout:
    """Ghost spheres and their labels in a plotter (actors change without rendering)."""

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._sphere = pv.Sphere(radius=GHOST_RADIUS_M, theta_resolution=24, phi_resolution=16)
        self._actors: list[vtkActor] = []
        self._labels: vtkActor | None = None
        self._positions = np.zeros((0, 3))

    @property
    def positions(self) -> np.ndarray:
        """(N, 3) float64: where the ghosts are drawn, metres (empty when none)."""
        return self._positions.copy()

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
        labels = pv.PolyData(positions + (0.0, 0.0, 0.35))
        labels["name"] = np.array([str(n) for n in names])
        self._labels = self._plotter.add_point_labels(
            labels,
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

    def _remove_labels(self) -> None:
        if self._labels is not None:
            self._plotter.remove_actor(self._labels, reset_camera=False, render=False)
        self._labels = None
