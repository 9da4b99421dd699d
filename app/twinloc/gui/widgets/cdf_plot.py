"""CDFs of positioning errors: :class:`ErrorCdf`, the curves of any errors, and :class:`CdfPlot`,
those of a reverse-ray-tracing evaluation with its percentile table.

The evaluation shows one solid curve per evaluated setting (the twin's reverse ray tracing) and
a dashed curve in the same colour for the LoS triangulation baseline that got the same noisy angles.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from twinloc.gui.widgets.figure_host import FigureHost
from twinloc.rrt.evaluation import PERCENTILES, Evaluation, error_percentiles

CURVE_COLORS = ("#1f5fbf", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")
CSV_FIELDS = ("setting", "estimator", "drops", *(f"p{q}_m" for q in PERCENTILES), "mean_m", "failures")


class ErrorCdf(FigureHost):
    """Empirical CDFs of positioning errors on a log error axis, one step curve each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__((4.0, 2.8), self._add_axes, parent)
        self.setMinimumHeight(240)
        self._curves: list[tuple[str, np.ndarray]] = []

    @property
    def axes(self):
        return self.figure.axes[0]

    @property
    def curves(self) -> list[tuple[str, np.ndarray]]:
        """(label, sorted finite errors in metres) of every curve drawn."""
        return list(self._curves)

    def clear(self) -> None:
        self._curves = []
        self.axes.clear()
        self._style_axes()
        self.draw_idle()

    def show_curves(self, curves) -> None:
        """Draw ``curves``: (label, errors (N,) metres with NaN for failures, colour, line style) each."""
        self.clear()
        for label, errors, color, style in curves:
            errors = np.asarray(errors, dtype=np.float64)
            finite = np.sort(errors[np.isfinite(errors)])
            # Failures stay in the denominator: the curve tops out below 1 when some failed.
            fraction = np.arange(1, finite.size + 1) / max(len(errors), 1)
            self.axes.step(np.concatenate([[0.0], finite]), np.concatenate([[0.0], fraction]), where="post",
                           color=color, linestyle=style, linewidth=1.8 if style == "-" else 1.2, label=label)
            self._curves.append((label, finite))
        largest = max((c[-1] for _, c in self._curves if c.size), default=1.0)
        self.axes.set_xscale("log")
        self.axes.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks collide in a narrow dock
        smallest = min((c[0] for _, c in self._curves if c.size and c[0] > 0), default=0.01)
        self.axes.set_xlim(max(smallest * 0.8, 1e-3), largest * 1.2)
        legend = self.axes.legend(fontsize=6.5, loc="lower right", frameon=True, framealpha=0.92, edgecolor="#dde2e8")
        legend.set_zorder(5)
        self.draw_idle()

    def _add_axes(self, figure: Figure) -> None:
        figure.add_subplot()
        self._style_axes()

    def _style_axes(self) -> None:
        axes = self.axes
        axes.set_xlabel("positioning error (m)", fontsize=8)
        axes.set_ylabel("CDF", fontsize=8)
        axes.set_ylim(0.0, 1.02)
        axes.tick_params(labelsize=7)
        axes.grid(True, which="both", color="#dde2e8", linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)


class CdfPlot(QWidget):
    """An embedded matplotlib CDF of the errors of an :class:`Evaluation`, and its percentile table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = ErrorCdf()
        self.table = QTableWidget(0, len(CSV_FIELDS) - 1)
        self.table.setHorizontalHeaderLabels(
            ["Setting", "Estimator", "Drops", *(f"p{q} (m)" for q in PERCENTILES), "Mean (m)"]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(110)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        layout.addWidget(self.table)
        self._rows: list[dict] = []

    @property
    def figure(self) -> Figure:
        return self.canvas.figure

    @property
    def axes(self):
        return self.canvas.axes

    @property
    def curves(self) -> list[tuple[str, np.ndarray]]:
        """(label, sorted finite errors in metres) of every curve drawn."""
        return self.canvas.curves

    @property
    def rows(self) -> list[dict]:
        """The percentile rows (keys of :data:`CSV_FIELDS`), twin and baseline per setting."""
        return [dict(row) for row in self._rows]

    def clear(self) -> None:
        self._rows = []
        self.canvas.clear()
        self.table.setRowCount(0)

    def show_evaluation(self, evaluation: Evaluation) -> None:
        """Draw the CDFs of ``evaluation`` and fill the table."""
        self._rows = []
        curves = []
        for index, result in enumerate(evaluation.results):
            color = CURVE_COLORS[index % len(CURVE_COLORS)]
            label = setting_label(result.setting)
            for estimator, errors, style in (
                ("twin", result.errors_m, "-"),
                ("triangulation", result.baseline_errors_m, "--"),
            ):
                curves.append((f"{label}, {estimator}", errors, color, style))
                self._rows.append({"setting": label, "estimator": estimator, "drops": len(errors), **error_percentiles(errors)})
        self.canvas.show_curves(curves)
        self._fill_table()

    def save_png(self, path: str | Path) -> None:
        self.figure.savefig(str(path), dpi=150)

    def write_csv(self, path: str | Path) -> None:
        """Write the percentile rows to ``path`` (one row per setting and estimator; blank: failed)."""
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=CSV_FIELDS, extrasaction="ignore")
            writer.writeheader()
            for row in self._rows:
                writer.writerow({key: "" if row.get(key) is None else row.get(key) for key in CSV_FIELDS})

    def _fill_table(self) -> None:
        keys = ("setting", "estimator", "drops", *(f"p{q}_m" for q in PERCENTILES), "mean_m")
        self.table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            for c, key in enumerate(keys):
                value = row[key]
                text = "fail" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
                self.table.setItem(r, c, QTableWidgetItem(text))


def setting_label(setting) -> str:
    """"3D, AoA 1°, PT 0.5 m" for an :class:`~twinloc.rrt.evaluation.EvaluationSetting`."""
    noise = setting.noise
    parts = [setting.mode.upper(), f"AoA {noise.aoa_sigma_deg:g}°"]
    if noise.pt_sigma_m is not None:
        parts.append(f"PT {noise.pt_sigma_m:g} m")
    if noise.rpt_sigma_m is not None:
        parts.append(f"RPT {noise.rpt_sigma_m:g} m")
    return ", ".join(parts)
