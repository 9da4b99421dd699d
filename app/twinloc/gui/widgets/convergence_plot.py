"""The live convergence curve of a layout optimization: best fitness per iteration.

The fitness is the search's objective, evaluated on a coarser grid than the error maps the
results are scored on; the plot's title names that grid so the two kinds of sums are not
taken for one.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from PySide6.QtWidgets import QSizePolicy, QWidget

from twinloc.gui.widgets.figure_host import FigureHost
from twinloc.layout.problem import LayoutRequest

LINE_COLOR = "#1f5fbf"


class ConvergencePlot(FigureHost):
    """A small matplotlib canvas showing the best fitness (summed error, m) after each iteration.

    Call :meth:`show_curve` from the GUI thread (the optimizer's listener posts the curve
    through a queued signal); redrawing is deferred with ``draw_idle`` so a burst of
    iterations costs one repaint.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__((3.2, 1.8), self._add_curve, parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(170)
        self._total = 1

    @property
    def axes(self):
        return self.figure.axes[0]

    @property
    def values(self) -> np.ndarray:
        """(T,) float64: the best fitness shown, one per iteration so far."""
        return np.asarray(self._curve.get_ydata(), dtype=np.float64)

    @property
    def title(self) -> str:
        return self.axes.get_title()

    def start(self, iterations: int, objective_grid_m: float) -> None:
        """Begin a new run of ``iterations`` iterations (the x axis spans them) whose objective
        is evaluated on a grid of ``objective_grid_m`` metres."""
        self._total = max(int(iterations), 1)
        self._set_title(objective_grid_m)
        self.clear_curve()

    def clear_curve(self) -> None:
        self._curve.set_data([], [])
        self.axes.set_xlim(0.5, self._total + 0.5)
        self.axes.set_ylim(0.0, 1.0)
        self.draw_idle()

    def show_curve(self, convergence) -> None:
        """Show ``convergence`` (T,) float, metres: the best fitness after iterations 1..T."""
        values = np.asarray(convergence, dtype=np.float64).ravel()
        iterations = np.arange(1, values.size + 1)
        self._curve.set_data(iterations, values)
        self.axes.set_xlim(0.5, max(self._total, values.size) + 0.5)
        finite = values[np.isfinite(values)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            pad = 0.08 * (high - low) if high > low else max(abs(high) * 0.05, 1.0)
            self.axes.set_ylim(low - pad, high + pad)
        self.draw_idle()

    @property
    def _curve(self):
        return self.axes.lines[0]

    def _add_curve(self, figure: Figure) -> None:
        figure.add_subplot().plot([], [], color=LINE_COLOR, linewidth=1.8, marker="o", markersize=2.5)
        self._style_axes()
        self._set_title(LayoutRequest.objective_resolution_m)
        self.clear_curve()

    def _set_title(self, objective_grid_m: float) -> None:
        self.axes.set_title(f"Search objective on the {objective_grid_m:g} m grid", fontsize=8)

    def _style_axes(self) -> None:
        axes = self.axes
        axes.set_xlabel("iteration", fontsize=8)
        axes.set_ylabel("best sum (m)", fontsize=8)
        axes.tick_params(labelsize=7)
        axes.grid(True, color="#dde2e8", linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.xaxis.get_major_locator().set_params(integer=True)
