"""Access points in the viewport: a teal diamond per Wi-Fi access point or beacon, on a thin mast
down to the floor (so its place on the floor reads in an oblique view), with its name above it.

They differ from the anchors' orange spheres in shape and colour; a disabled access point is
grey and see-through, and a highlighted one (the transmitter whose radio map is on the floor)
is larger and yellow like a selected anchor.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
from vtkmodules.vtkRenderingCore import vtkActor

from twinloc.gui.viewport.devices import DeviceActors, GlyphStyle

ACCESS_POINT_RADIUS_M = 0.25
ACCESS_POINT_COLOR = "#0b7285"
MAST_COLOR = "#0b7285"
MAST_OPACITY = 0.55
ACCESS_POINT_STYLE = GlyphStyle(
    radius_m=ACCESS_POINT_RADIUS_M, color=ACCESS_POINT_COLOR, layer="twinloc-access-point-labels",
    disabled_opacity=0.45, smooth=False, label_offset_m=(0.3, 0.3, 0.4), label_color="#0b4f5c",
)


def diamond(radius_m: float) -> pv.PolyData:
    """An octahedron centred at the origin, ``radius_m`` across its waist and 1.5 × that tall."""
    solid = pv.PlatonicSolid("octahedron", radius=radius_m)
    solid.clear_data()  # its face numbers would colour it through a colormap, with a legend
    solid.points *= (1.0, 1.0, 1.5)
    return solid


class AccessPointActors(DeviceActors):
    """The access points drawn in ``plotter`` (a pyvista plotter; actors change without rendering)."""

    def __init__(self, plotter: pv.BasePlotter) -> None:
        super().__init__(plotter, diamond(ACCESS_POINT_RADIUS_M), ACCESS_POINT_STYLE)
        self._floor_z = 0.0
        self._masts: pv.PolyData | None = None
        self._mast_actor: vtkActor | None = None

    def mast_points(self) -> np.ndarray:
        """(2N, 3) float64: the masts' top and foot per access point, in the order of :attr:`names`, metres."""
        return np.zeros((0, 3)) if self._masts is None else np.asarray(self._masts.points, dtype=float).copy()

    def show(self, devices, selected: set[str], floor_z: float = 0.0) -> None:
        """Draw exactly ``devices`` with masts down to ``floor_z`` metres (see :meth:`DeviceActors.show`)."""
        self._floor_z = float(floor_z)
        super().show(devices, selected)
        self._update_masts()

    def move(self, name: str, position) -> None:
        super().move(name, position)
        self._update_masts()

    def clear(self) -> None:
        super().clear()
        self._update_masts()

    def _update_masts(self) -> None:
        tops = np.array([self._positions[name] for name in self._actors]).reshape(-1, 3)
        if not len(tops):
            if self._mast_actor is not None:
                self._plotter.remove_actor(self._mast_actor, reset_camera=False, render=False)
            self._masts, self._mast_actor = None, None
            return
        feet = tops * (1.0, 1.0, 0.0) + (0.0, 0.0, self._floor_z)
        points = np.stack([tops, feet], axis=1).reshape(-1, 3)
        if self._masts is not None and self._masts.n_points == len(points):
            self._masts.points = points
            return
        if self._mast_actor is not None:
            self._plotter.remove_actor(self._mast_actor, reset_camera=False, render=False)
        segments = np.arange(len(points)).reshape(-1, 2)
        self._masts = pv.PolyData(points, lines=np.hstack([np.full((len(segments), 1), 2), segments]).ravel())
        self._mast_actor = self._plotter.add_mesh(
            self._masts, color=MAST_COLOR, opacity=MAST_OPACITY, line_width=1.5, pickable=False,
            reset_camera=False, render=False, name="twinloc-access-point-masts",
        )
