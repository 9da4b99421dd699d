"""The "How many anchors?" curve: p90 error against the anchor count, the target as a line.

A count whose best layout leaves more than a tenth of the floor without a fix has no finite
p90; it is marked with a cross along the top of the plot. Clicking anywhere in the plot picks
the count nearest the click (within half a count), so every count, crossed or not, can be chosen.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSizePolicy, QWidget

from twinloc.gui.widgets.figure_host import FigureHost
from twinloc.layout.plan_count import CountStudy

LINE_COLOR = "#1f5fbf"
TARGET_COLOR = "#d0342c"
CHOSEN_COLOR = "#ff5a1f"


class CountPlot(FigureHost):
    """p90 (m) per anchor count, the target line, and the chosen count ringed.

    Signals
    -------
    countClicked(int)
        The user clicked the plot nearest this count.
    """

    countClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__((3.2, 1.9), self._add_axes, parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(180)
        self._counts = np.zeros(0, dtype=int)

    @property
    def axes(self):
        return self.figure.axes[0]

    @property
    def counts(self) -> np.ndarray:
        """(K,) int: the counts plotted."""
        return self._counts

    def point_of(self, count: int) -> tuple[float, float]:
        """Where the point of ``count`` is drawn, in data coordinates (a crossed count: the top edge)."""
        index = int(np.flatnonzero(self._counts == count)[0])
        values = self._curve.get_ydata()
        if np.isfinite(values[index]):
            return float(count), float(values[index])
        return float(count), float(self.axes.get_ylim()[1])

    def show_study(self, study: CountStudy | None) -> None:
        """Plot ``study`` (None: empty)."""
        plans = study.plans if study is not None else ()
        self._counts = np.array([plan.anchor_count for plan in plans], dtype=int)
        p90 = np.array([np.nan if plan.p90_error_m is None else plan.p90_error_m for plan in plans], dtype=np.float64)
        self._curve.set_data(self._counts, p90)
        target = study.target_p90_m if study is not None else np.nan
        self._target.set_ydata([target, target])
        finite = np.concatenate([p90[np.isfinite(p90)], [target] if np.isfinite(target) else []])
        high = 1.25 * float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        self.axes.set_ylim(0.0, high)
        missing = self._counts[~np.isfinite(p90)]
        self._missing.set_data(missing, np.full(missing.size, high))
        if self._counts.size:
            self.axes.set_xlim(self._counts.min() - 0.5, self._counts.max() + 0.5)
        self.mark(None)

    def mark(self, count: int | None) -> None:
        """Ring the point of ``count`` (None: no ring)."""
        if count is None or count not in self._counts:
            self._ring.set_data([], [])
        else:
            x, y = self.point_of(count)
            self._ring.set_data([x], [y])
        self.draw_idle()

    @property
    def _curve(self):
        return self.axes.lines[0]

    @property
    def _missing(self):
        return self.axes.lines[1]

    @property
    def _target(self):
        return self.axes.lines[2]

    @property
    def _ring(self):
        return self.axes.lines[3]

    def _add_axes(self, figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.plot([], [], color=LINE_COLOR, linewidth=1.8, marker="o", markersize=5)
        axes.plot([], [], linestyle="none", marker="x", color=TARGET_COLOR, markersize=7, clip_on=False)
        axes.axhline(np.nan, color=TARGET_COLOR, linestyle="--", linewidth=1.2)
        axes.plot([], [], linestyle="none", marker="o", markersize=11, markerfacecolor="none", markeredgecolor=CHOSEN_COLOR,
                  markeredgewidth=2.0, clip_on=False)
        for unclipped in (axes.lines[1], axes.lines[3]):  # empty, each reports a box at the origin to the layout
            unclipped.set_in_layout(False)
        axes.set_xlabel("anchors", fontsize=8)
        axes.set_ylabel("p90 error (m)", fontsize=8)
        # Two lines: on one the note ran past the right edge at the Optimize tab's width.
        axes.set_title("Best layout per count\ndashed: target; x: no fix on over 10 % of the floor", fontsize=7)
        axes.tick_params(labelsize=7)
        axes.grid(True, color="#dde2e8", linewidth=0.6)
        axes.xaxis.get_major_locator().set_params(integer=True)
        figure.canvas.mpl_connect("button_press_event", self._on_press)

    def _on_press(self, event) -> None:
        if event.inaxes is not self.axes or event.xdata is None or not self._counts.size:
            return
        nearest = int(self._counts[np.argmin(np.abs(self._counts - event.xdata))])
        if abs(nearest - event.xdata) <= 0.5:
            self.countClicked.emit(nearest)
