"""The residuals of a calibration, before and after: one column per anchor (ranges) or a line per point (positions)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from PySide6.QtWidgets import QSizePolicy, QWidget

from twinloc.gui.widgets.figure_host import FigureHost

BEFORE_COLOR, AFTER_COLOR = "#7a8391", "#1f5fbf"
#: Half the horizontal gap between the before and after dots of an anchor.
OFFSET = 0.17


class ResidualPlot(FigureHost):
    """Measured minus predicted, centimetres: grey before calibration, blue after.

    For ranges, each anchor is a column of dots, one per measuring point whose link to it was
    measured; for positions, each measuring point is a column with its residual position length.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__((4.0, 2.4), lambda figure: figure.add_subplot(), parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(240)
        self.columns = 0
        """Columns drawn (anchors, or measuring points); 0 when empty."""

    @property
    def axes(self):
        return self.figure.axes[0]

    def clear(self) -> None:
        self.columns = 0
        self.axes.clear()
        self.draw_idle()

    def show_result(self, result) -> None:
        """Draw a :class:`~twinloc.uwb.calibration.MaterialCalibration`'s residuals."""
        self.clear()
        axes = self.axes
        if result.measured == "ranges":
            before, after = result.residuals_before, result.residuals_after
            labels, ylabel = [f"A{k + 1}" for k in range(before.shape[1])], "range residual (cm)"
        else:
            before, after = (np.linalg.norm(r, axis=1)[:, None].T for r in (result.residuals_before, result.residuals_after))
            labels, ylabel = [], "position residual (cm)"
        for column in range(before.shape[1]):
            for values, shift, color in ((before, -OFFSET, BEFORE_COLOR), (after, OFFSET, AFTER_COLOR)):
                finite = values[:, column][np.isfinite(values[:, column])]
                axes.scatter(np.full(finite.size, column + shift), 100 * finite, s=9, color=color, alpha=0.7, linewidths=0)
        axes.axhline(0.0, color="black", linewidth=0.6)
        if labels:
            axes.set_xticks(range(len(labels)), labels)
        axes.set_ylabel(ylabel, fontsize=7.5)
        axes.tick_params(labelsize=6.5)
        axes.grid(True, axis="y", color="#dde2e8", linewidth=0.6)
        axes.scatter([], [], color=BEFORE_COLOR, s=9, label="before")
        axes.scatter([], [], color=AFTER_COLOR, s=9, label="after")
        axes.legend(fontsize=6.5, loc="upper right")
        self.columns = before.shape[1]
        self.draw_idle()
