"""The "How many anchors?" part of the Optimize section: target, count range, run, the curve, accept.

A view of :class:`~twinloc.gui.features.layout.count_controller.CountController`. The search
settings (mounting regions, minimum distance, population, iterations, seed) are the Optimize
section's, so one set of settings serves both questions. Nothing here computes.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from twinloc.gui.features.layout.count_controller import CountController
from twinloc.gui.features.layout.count_plot import CountPlot
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row, int_spin, push_button, quantity_spin

#: Where the study's tasks run: a label for the user and the scheduler of :func:`twinloc.studies.open_runner`.
SCHEDULERS = {"All cores (worker processes)": "local", "This process": "none"}


class AnchorCountPart(QGroupBox):
    """Target p90, anchor range, Run/Cancel, the p90 curve and Accept.

    ``settings`` is the Optimize section: ``chosen_regions()``, ``min_distance``,
    ``population``, ``iterations`` and ``seed``.

    Signals
    -------
    message(str)
        A short note for the status bar.
    """

    message = Signal(str)

    def __init__(self, controller: CountController, settings, parent: QWidget | None = None) -> None:
        super().__init__("How many anchors?", parent)
        self.controller = controller
        self._settings = settings
        self.target = quantity_spin(0.01, 50.0, 0.05, 2, " m")
        self.target.setValue(0.3)
        self.target.setToolTip("p90 error the layout must reach; cells without a fix count as failing")
        self.fewest = int_spin(3, 32, 3, "Fewest anchors to try")
        self.most = int_spin(3, 32, 8, "Most anchors to try")
        self.scheduler = QComboBox()
        self.scheduler.addItems(list(SCHEDULERS))
        self.scheduler.setToolTip("Each anchor count is one task; worker processes run them in parallel")
        counts = QHBoxLayout()
        counts.addWidget(self.fewest)
        counts.addWidget(QLabel("to"))
        counts.addWidget(self.most)
        form = QFormLayout()
        form.addRow("Target p90", self.target)
        form.addRow("Anchors", counts)
        form.addRow("Run on", self.scheduler)
        self.run_button = push_button("Run", "Optimize a layout for every count in the range (the search settings above)", self.run)
        self.cancel_button = push_button("Cancel", "Stop the study", controller.cancel)
        self.cancel_button.setEnabled(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.dashboard_label = QLabel("")
        self.dashboard_label.setOpenExternalLinks(True)
        self.dashboard_label.setVisible(False)
        self.plot = CountPlot(self)
        self.plot.setToolTip("Click a point to preview that count's layout on the floor")
        self.accept_button = push_button("Accept", "Replace the anchors with the previewed layout (undoable)", self.accept_previewed)
        self.accept_button.setEnabled(False)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addLayout(button_row(self.run_button, self.cancel_button))
        box.addWidget(self.status)
        box.addWidget(self.dashboard_label)
        box.addWidget(self.plot)
        box.addLayout(button_row(self.accept_button))

        self.plot.countClicked.connect(self.preview)
        controller.runStarted.connect(self._on_run_started)
        controller.progressed.connect(lambda fraction, text: self.status.setText(f"{100 * fraction:.0f} %: {text}"))
        controller.studyChanged.connect(self._show_study)
        controller.runEnded.connect(self._on_run_ended)
        controller.dashboardLinked.connect(self._show_dashboard)

    def run(self) -> None:
        settings = self._settings
        try:
            self.controller.run(
                target_p90_m=self.target.value(),
                fewest=self.fewest.value(),
                most=self.most.value(),
                region_names=settings.chosen_regions(),
                min_distance_m=settings.min_distance.value(),
                population=settings.population.value(),
                iterations=settings.iterations.value(),
                seed=settings.seed.value(),
                scheduler=SCHEDULERS[self.scheduler.currentText()],
            )
        except ValueError as error:
            show_error(self, "Cannot plan the anchor count", str(error))

    def preview(self, count: int) -> None:
        self.controller.preview(count)
        self.plot.mark(count)
        plan = self.controller.plan(count)
        p90 = "no fix on over a tenth of the floor" if plan.p90_error_m is None else f"{plan.p90_error_m:.3f} m"
        self.status.setText(f"{count} anchors: p90 {p90}, mean {_metres(plan.mean_error_m)}, max {_metres(plan.max_error_m)}, "
                            f"{100 * plan.coverage:.0f} % of the floor with a fix (ghosts show it)")
        self.accept_button.setEnabled(True)

    def accept_previewed(self) -> None:
        count = self.controller.previewed
        if count is None:
            return
        self.controller.accept(count)
        self.plot.mark(None)
        self.accept_button.setEnabled(False)
        self.message.emit(f"Placed the {count}-anchor layout; Undo brings the previous anchors back")

    def _on_run_started(self) -> None:
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.accept_button.setEnabled(False)
        self.status.setText("Starting…")

    def _show_dashboard(self, link: str) -> None:
        self.dashboard_label.setText(f'Dask dashboard: <a href="{html.escape(link)}">{html.escape(link)}</a>' if link else "")
        self.dashboard_label.setVisible(bool(link))

    def _on_run_ended(self, outcome: str) -> None:
        self._show_dashboard("")
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        study = self.controller.study
        if outcome == "finished":
            answer = (f"{study.smallest_count} anchors meet the target" if study.smallest_count is not None
                      else "no count in the range meets the target")
            self.status.setText(f"{answer} ({study.seconds:.1f} s). Click a point to preview its layout.")
        elif outcome == "cancelled":
            self.status.setText("Cancelled.")
        else:
            self.status.setText(f"The study {outcome}.")

    def _show_study(self) -> None:
        self.plot.show_study(self.controller.study)
        self.accept_button.setEnabled(False)


def _metres(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} m"
