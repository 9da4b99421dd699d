"""How the trained network corrects the held-out measured positions (seed 004, Fig. 11).

:class:`PositionsPlot` draws, for LOS and NLOS test points, the true position (dot), the
measured positions (triangles) and the network's corrected positions (stars), one colour per
measuring point (Fig. 11a,b). :class:`SampleErrorsPlot` draws the error of each test sample
before correction, after the network and after the polynomial fit (Fig. 11c,d).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PySide6.QtWidgets import QSizePolicy, QWidget

from twinloc.gui.widgets.figure_host import FigureHost

AREAS = (("los", "LOS test points"), ("nlos", "NLOS test points"))
#: Measuring points drawn per area in the positions plot (more would be an unreadable cloud).
POINTS_PER_AREA = 8
#: Samples drawn per area in the error plot (the paper shows 100).
SAMPLES_PER_AREA = 100
ERROR_STYLES = (("raw", "measured", "#7a8391", "x"), ("nn", "network", "#1f5fbf", "."), ("poly", "polynomial", "#ff7f0e", "^"))


class _TwoAreaCanvas(FigureHost):
    """A canvas with one axes per area, side by side."""

    def __init__(self, parent: QWidget | None, height: int) -> None:
        super().__init__((4.0, 2.4), self._add_areas, parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(height)

    @property
    def axes(self) -> dict:
        """{"los" | "nlos": the axes of that area}."""
        return dict(zip((area for area, _ in AREAS), self.figure.axes))

    def clear(self) -> None:
        for axes in self.axes.values():
            axes.clear()
        self._style_areas()
        self.draw_idle()

    def _add_areas(self, figure: Figure) -> None:
        figure.subplots(1, 2)
        self._style_areas()

    def _style_areas(self) -> None:
        for area, title in AREAS:
            axes = self.axes[area]
            axes.set_title(title, fontsize=8)
            axes.tick_params(labelsize=6.5)
            axes.grid(True, color="#dde2e8", linewidth=0.6)


class PositionsPlot(_TwoAreaCanvas):
    """True, measured and corrected positions of a few test points per area (Fig. 11a,b)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, 250)
        self.points_shown = {area: 0 for area, _ in AREAS}

    def clear(self) -> None:
        self.points_shown = {area: 0 for area, _ in AREAS}
        super().clear()

    def show_result(self, result) -> None:
        """Draw a :class:`~twinloc.mitigation.training.MitigationResult`'s test set."""
        self.clear()
        test, corrected = result.test, result.corrected["nn"]
        for area, _ in AREAS:
            axes = self.axes[area]
            in_area = test.nlos if area == "nlos" else ~test.nlos
            points = np.unique(test.point[in_area])[:POINTS_PER_AREA]
            for number, point in enumerate(points):
                color = _palette(number)
                mine = in_area & (test.point == point)
                axes.scatter(*test.raw[mine].T, marker="^", s=14, color=color, alpha=0.55, linewidths=0)
                axes.scatter(*test.true[mine][0], marker="o", s=34, color=color, edgecolors="black", linewidths=0.6)
                axes.scatter(*corrected[mine].T, marker="*", s=22, color=color, edgecolors="black", linewidths=0.3, zorder=3)
            self.points_shown[area] = len(points)
            axes.set_aspect("equal", adjustable="datalim")
            axes.set_xlabel("x (m)", fontsize=7)
        self.axes["los"].set_ylabel("y (m)", fontsize=7)
        proxies = [Line2D([], [], linestyle="", marker=m, color="#4a5260", label=label)
                   for m, label in (("o", "true"), ("^", "measured"), ("*", "corrected"))]
        self.axes["nlos"].legend(handles=proxies, fontsize=6, loc="best", framealpha=0.9)
        self.draw_idle()


class SampleErrorsPlot(_TwoAreaCanvas):
    """Error of each test sample: measured, network-corrected, polynomial-corrected (Fig. 11c,d)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, 230)
        self.errors_shown: dict[str, dict[str, np.ndarray]] = {}

    def clear(self) -> None:
        self.errors_shown = {}
        super().clear()

    def show_result(self, result) -> None:
        """Draw the first :data:`SAMPLES_PER_AREA` test samples of each area, errors in centimetres."""
        self.clear()
        test = result.test
        for area, _ in AREAS:
            axes = self.axes[area]
            in_area = test.nlos if area == "nlos" else ~test.nlos
            shown = {}
            for key, label, color, marker in ERROR_STYLES:
                errors = 100 * np.linalg.norm(result.corrected[key][in_area] - test.true[in_area], axis=1)[:SAMPLES_PER_AREA]
                axes.plot(np.arange(1, len(errors) + 1), errors, color=color, marker=marker, markersize=3,
                          linewidth=0.8, label=label)
                shown[key] = errors
            self.errors_shown[area] = shown
            axes.set_xlabel("test sample", fontsize=7)
        self.axes["los"].set_ylabel("error (cm)", fontsize=7)
        self.axes["nlos"].legend(fontsize=6, loc="upper right", framealpha=0.9)
        self.draw_idle()


def _palette(number: int) -> str:
    colors = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
    return colors[number % len(colors)]
