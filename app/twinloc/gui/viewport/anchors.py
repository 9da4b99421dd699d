"""Anchors in the viewport: an orange sphere per UWB anchor, with its name above it."""

from __future__ import annotations

import pyvista as pv

from twinloc.gui.viewport.devices import DeviceActors, GlyphStyle

ANCHOR_RADIUS_M = 0.15
ANCHOR_COLOR = "#ff5a1f"
ANCHOR_STYLE = GlyphStyle(radius_m=ANCHOR_RADIUS_M, color=ANCHOR_COLOR, layer="twinloc-anchor-labels")


class AnchorActors(DeviceActors):
    """The anchors drawn in ``plotter`` (a pyvista plotter; actors change without rendering)."""

    def __init__(self, plotter: pv.BasePlotter) -> None:
        super().__init__(plotter, pv.Sphere(radius=ANCHOR_RADIUS_M, theta_resolution=32, phi_resolution=20), ANCHOR_STYLE)
