"""The live loss curves of a training run: training and validation loss per epoch, both stages."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from PySide6.QtWidgets import QSizePolicy, QWidget

from twinloc.gui.widgets.figure_host import FigureHost

TRAIN_COLOR = "#1f5fbf"
VALIDATION_COLOR = "#d62728"
#: A stage of at most this many epochs gets a marker per epoch: a one-epoch stage is a single
#: point, which a line alone does not draw. Longer curves stay plain lines.
MARKED_EPOCHS = 50


class LossPlot(FigureHost):
    """Training (solid) and validation (dashed) loss, normalised MSE on a log axis.

    The stages follow each other on one epoch axis; a dotted line marks where the second
    (fine-tuning on measured data) begins. Call :meth:`show_losses` from the GUI thread; redrawing is deferred with
    ``draw_idle`` so a burst of epochs costs one repaint.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__((3.6, 2.2), self._add_axes, parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(210)
        self._losses: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def axes(self):
        return self.figure.axes[0]

    @property
    def losses(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{stage: (training loss (E,), validation loss (E,))} as drawn."""
        return dict(self._losses)

    def clear(self) -> None:
        self._losses = {}
        self.axes.clear()
        self._style_axes()
        self.draw_idle()

    def show_losses(self, losses: dict[str, tuple[list[float], list[float]]]) -> None:
        """Draw ``losses``: {"pretrain" | "fine_tune": (training losses, validation losses)},
        one value per completed epoch, in stage order."""
        self._losses = {stage: (np.asarray(train, float), np.asarray(validation, float))
                        for stage, (train, validation) in losses.items()}
        self.axes.clear()
        self._style_axes()
        offset = 0
        for train, validation in self._losses.values():
            epochs = np.arange(offset + 1, offset + len(train) + 1)
            first = offset == 0
            if not first:
                self.axes.axvline(offset + 0.5, color="#7a8391", linestyle=":", linewidth=1.2, label="fine-tuning begins")
            marker = "o" if len(train) <= MARKED_EPOCHS else None
            self.axes.plot(epochs, train, color=TRAIN_COLOR, linewidth=1.6, marker=marker, markersize=3,
                           label="training" if first else None)
            self.axes.plot(epochs, validation, color=VALIDATION_COLOR, linewidth=1.4, linestyle="--", marker=marker,
                           markersize=3, label="validation" if first else None)
            offset += len(train)
        if offset:
            self.axes.set_xlim(0.5, offset + 0.5)
            self.axes.legend(fontsize=6.5, loc="best", frameon=True, framealpha=0.9, edgecolor="#dde2e8")
        self.draw_idle()

    def _add_axes(self, figure: Figure) -> None:
        figure.add_subplot()
        self._style_axes()

    def _style_axes(self) -> None:
        axes = self.axes
        axes.set_yscale("log")
        axes.set_xlabel("epoch", fontsize=8)
        axes.set_ylabel("loss (normalised MSE)", fontsize=8)
        axes.tick_params(labelsize=7)
        axes.grid(True, which="both", color="#dde2e8", linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)


def losses_so_far(publish: Callable[[object], None]):
    """The trainer's epoch listener, publishing every stage's (training, validation) losses so far.

    Each report holds all stages, so the newest report alone never loses the end of a stage
    that finished while the GUI thread was busy. Called on the worker thread only.
    """
    losses: dict[str, tuple[list[float], list[float]]] = {}

    def listener(stage: str, _epoch: int, history) -> None:
        losses[stage] = (list(history.train_loss), list(history.validation_loss))
        publish(dict(losses))

    return listener
