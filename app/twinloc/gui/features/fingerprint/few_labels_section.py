"""The Few labels section of the Fingerprinting dock: learn positions from the channel dataset
when only a fraction of its samples is labelled (seed 003), watch the pseudo-label rounds
arrive, and compare the runs' errors (table, CDF; the test errors on the floor)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from twinloc.fingerprint.evaluation import position_errors
from twinloc.fingerprint.ssl import MAX_ROUNDS
from twinloc.gui.features.fingerprint.few_labels import INPUT_TITLES, METHOD_TITLES, FewLabelsController, FewLabelsRequest
from twinloc.gui.features.fingerprint.task_buttons import TaskButtons
from twinloc.gui.widgets.cdf_plot import CURVE_COLORS, ErrorCdf
from twinloc.gui.widgets.forms import button_row, fit_rows, int_spin, quantity_spin
from twinloc.gui.widgets.loss_plot import LossPlot

ROUND_HEADERS = ("Round", "Accepted", "Rejected", "Acc. error", "Rej. error")
#: The error table's columns: (Metrics field, header).
ERROR_COLUMNS = (("mean_m", "Mean"), ("p50_m", "p50"), ("p67_m", "p67"), ("p80_m", "p80"), ("p90_m", "p90"))


def readonly_table(headers, tip: str, rows: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setToolTip(tip)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    fit_rows(table, rows, scroll_bar=True)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            table.setItem(row, column, item)


def metres_text(value: float) -> str:
    return "–" if value != value else f"{value:.2f} m"  # NaN: no pseudo-label of that kind


class FewLabelsSection(QGroupBox):
    """Labelled fraction, method, rounds and input; Run and Cancel; losses, rounds, errors, CDF.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, few_labels: FewLabelsController, parent: QWidget | None = None) -> None:
        super().__init__("Few labels", parent)
        self._few_labels = few_labels
        defaults = FewLabelsRequest()
        self.fraction = quantity_spin(0.001, 1.0, 0.05, 3)
        self.fraction.setValue(defaults.labelled_fraction)
        self.fraction.setToolTip("Share of the training samples whose positions are known (20 % of the dataset is "
                                 "held out for testing)")
        self.method = QComboBox()
        for key, title in METHOD_TITLES.items():
            self.method.addItem(title, key)
        self.method.setCurrentIndex(self.method.findData(defaults.method))
        self.rounds = int_spin(1, MAX_ROUNDS, defaults.rounds, "Pseudo-label rounds of the consistency method")
        self.input = QComboBox()
        for key, title in INPUT_TITLES.items():
            self.input.addItem(title, key)
        self.epochs = int_spin(1, 10_000, defaults.epochs, "Epochs of the first training; fine-tunings take 1 / 2.5 of them")
        self.seed = int_spin(0, 2**31 - 1, defaults.seed, "Seed of the split, the initial weights and the batches")
        self.sector_rotation = QCheckBox("Sector rotation")
        self.sector_rotation.setToolTip("Rotate each sector's labelled samples into the other sectors (seed 003), "
                                        "where the twin looks the same from every sector")
        self.sector_reason = QLabel()
        self.sector_reason.setWordWrap(True)
        self.task = TaskButtons(self, "Run", "Train and test the method on the channel dataset",
                                lambda: few_labels.run(self.request()), "Cannot run", "Training…",
                                "Stop the run (nothing is kept)", few_labels.cancel, "Run")
        self.run_button, self.cancel_button, self.status = self.task.start_button, self.task.cancel_button, self.task.status
        self.loss_plot = LossPlot()
        self.rounds_table = readonly_table(ROUND_HEADERS, "Pseudo-labels kept (the two fine-tuned models agree) and dropped per "
                                   "round, with their true mean errors, known in the twin", 3)
        self.errors = readonly_table(("Model", *(header for _field, header in ERROR_COLUMNS)),
                             "Test errors of this session's runs, newest first; an ensemble adds a row per member "
                             "and per combination rule", 4)
        self.cdf = ErrorCdf()
        self._compared: list[tuple[object, str, object]] = []  # (result, label, errors), newest first

        form = QFormLayout(self)
        form.addRow("Labelled", self.fraction)
        form.addRow("Method", self.method)
        form.addRow("Rounds", self.rounds)
        form.addRow("Input", self.input)
        form.addRow("Epochs", self.epochs)
        form.addRow("Seed", self.seed)
        form.addRow(self.sector_rotation)
        form.addRow(self.sector_reason)
        form.addRow(button_row(self.run_button, self.cancel_button))
        form.addRow(self.status)
        form.addRow(self.loss_plot)
        form.addRow(QLabel("Pseudo-label rounds"))
        form.addRow(self.rounds_table)
        form.addRow(self.errors)
        form.addRow(self.cdf)
        self.method.currentIndexChanged.connect(self._show_method)
        self._show_method()
        few_labels.liveChanged.connect(self._show_live)
        few_labels.runEnded.connect(self.task.ended)
        few_labels.resultChanged.connect(self._show_result)
        few_labels.datasetChanged.connect(self._show_sectors)
        self._show_sectors()

    def request(self) -> FewLabelsRequest:
        """What the widgets ask for."""
        return FewLabelsRequest(labelled_fraction=self.fraction.value(), method=self.method.currentData(),
                                rounds=self.rounds.value(), input=self.input.currentData(),
                                epochs=self.epochs.value(), seed=self.seed.value(),
                                sector_rotation=self.sector_rotation.isEnabled() and self.sector_rotation.isChecked())

    def _show_method(self) -> None:
        """Only the consistency method (alone or in the ensemble) has rounds."""
        self.rounds.setEnabled(self.method.currentData() in ("consistency", "ensemble"))

    def _show_sectors(self) -> None:
        """The checkbox only where rotation applies; otherwise why not, in words."""
        applies, reason = self._few_labels.sector_rotation()
        self.sector_rotation.setEnabled(applies)
        if not applies:
            self.sector_rotation.setChecked(False)
        self.sector_reason.setText(reason)
        self.sector_reason.setVisible(not applies)

    def _show_live(self) -> None:
        few_labels = self._few_labels
        self.loss_plot.show_losses(few_labels.losses)
        fill_table(self.rounds_table, [[str(number), str(found.accepted), str(found.rejected),
                                   metres_text(found.accepted_error_m), metres_text(found.rejected_error_m)]
                                  for number, found in enumerate(few_labels.rounds, 1)])

    def _show_result(self) -> None:
        result = self._few_labels.result
        if result is None:
            self._compared = []
            self.errors.setRowCount(0)
            self.rounds_table.setRowCount(0)
            self.cdf.clear()
            self.status.setText("")
            return
        errors = position_errors(self._few_labels.test_positions, result.predictions)
        label = f"{result.method}, {100 * self._few_labels.request.labelled_fraction:g} % labelled"
        self._compared = [(result, label, errors), *self._compared][: len(CURVE_COLORS)]
        rows = []
        for compared, compared_label, _errors in self._compared:
            rows.append([compared_label, *(metres_text(getattr(compared.metrics, field)) for field, _h in ERROR_COLUMNS)])
            if compared is result:
                rows += [[f"  {name}", *(metres_text(getattr(metrics, field)) for field, _h in ERROR_COLUMNS)]
                         for name, metrics in result.members.items()]
        fill_table(self.errors, rows)
        self.cdf.show_curves([(text, found, CURVE_COLORS[row], "-")
                              for row, (_result, text, found) in enumerate(self._compared)])
        self.status.setText(f"{result.labelled} labelled and {result.unlabelled} unlabelled samples; tested on "
                            f"{len(result.test)}: mean {result.metrics.mean_m:.2f} m, p90 {result.metrics.p90_m:.2f} m; "
                            f"trained in {result.train_seconds:.1f} s. Test errors on the floor.")
