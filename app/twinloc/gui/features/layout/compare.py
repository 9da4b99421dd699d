"""Side by side: the current layout's error map and a proposed layout's, on one colour scale."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from twinloc.geometry.scene import Scene
from twinloc.gui.widgets.figure_host import FigureHost
from twinloc.layout.study import LayoutStudy
from twinloc.uwb.error_map import ErrorMap

CMAP = "viridis"


class LayoutCompareDialog(QDialog):
    """Two heatmaps (current layout, proposed layout ``index``) sharing the colour range ``clim``."""

    def __init__(self, study: LayoutStudy, index: int, clim: tuple[float, float], scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare: current layout and layout {index + 1}")
        layout = study.optimization.layouts[index]
        self.canvas = FigureHost((11, 4.2), lambda figure: draw_comparison(
            figure, study.current_map, study.current_stats, layout.error_map, layout.stats, index, clim))
        self.figure = self.canvas.figure
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        box = QVBoxLayout(self)
        box.addWidget(self.canvas)
        box.addWidget(buttons)
        self.resize(1100, 480)


def draw_comparison(figure: Figure, before: ErrorMap, before_stats: dict, after: ErrorMap, after_stats: dict, index: int, clim) -> None:
    """Draw the two maps into ``figure`` with one colour bar."""
    axes = figure.subplots(1, 2, sharex=True, sharey=True)
    image = None
    for ax, error_map, stats, title in (
        (axes[0], before, before_stats, "Current layout"),
        (axes[1], after, after_stats, f"Optimized layout {index + 1}"),
    ):
        grid = error_map.grid
        values = grid.to_image(np.where(error_map.degenerate, np.nan, error_map.cell_error))
        half = 0.5 * grid.resolution_m
        extent = (grid.x_centers[0] - half, grid.x_centers[-1] + half, grid.y_centers[0] - half, grid.y_centers[-1] + half)
        image = ax.imshow(values, origin="lower", extent=extent, cmap=CMAP, vmin=clim[0], vmax=clim[1], interpolation="nearest")
        anchors = error_map.anchor_positions
        ax.plot(anchors[:, 0], anchors[:, 1], "^", color="#ff5a1f", markeredgecolor="white", markersize=9, clip_on=False)
        ax.set_title(f"{title}\nmean {stats['mean_error_m']:.2f} m · p90 {stats['p90_error_m']:.2f} m · sum {stats['sum_error_m']:.0f} m", fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
    axes[0].set_ylabel("y (m)")
    figure.colorbar(image, ax=list(axes), label="positioning error (m)", shrink=0.9)
