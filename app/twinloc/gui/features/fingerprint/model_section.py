"""The Model section of the Fingerprinting dock: train a positioning model, watch its losses,
compare its errors with the session's earlier runs (table and CDF, as seed 002's Tables 6-7)
and see its RMSE heat map on the floor."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from twinloc.fingerprint.evaluation import position_errors
from twinloc.gui.features.fingerprint.positioning import TRAINING_DATA, PositioningController, TrainingRequest
from twinloc.gui.features.fingerprint.task_buttons import TaskButtons
from twinloc.gui.widgets.cdf_plot import CURVE_COLORS, ErrorCdf
from twinloc.gui.widgets.forms import button_row, fit_rows, int_spin, quantity_spin
from twinloc.gui.widgets.loss_plot import LossPlot

MODELS = {"knn": "Weighted kNN", "mlp": "MLP", "lstm1": "LSTM Model 1", "lstm2": "LSTM Model 2"}
FEATURES = {"rss": "RSS", "range": "Range", "rss+range": "RSS + range"}
#: The evaluation table's metric columns: (Metrics field, header).
METRICS = (("mean_m", "Mean"), ("rmse_m", "RMSE"), ("p50_m", "p50"), ("p67_m", "p67"), ("p80_m", "p80"),
           ("p90_m", "p90"), ("within_2m", "≤ 2 m"))
#: Training data in a table cell.
DATA_SHORT = {"none": "survey", "only": "twin", "prior": "twin + survey"}
#: Runs compared in the table and the CDF: the newest, one colour each.
COMPARED_RUNS = len(CURVE_COLORS)


class ModelSection(QGroupBox):
    """Model kind, features and training data; Train and Cancel; losses, errors and the heat map.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, positioning: PositioningController, parent: QWidget | None = None) -> None:
        super().__init__("Model", parent)
        self._positioning = positioning
        self.kind = _choices(MODELS)
        self.features = _choices(FEATURES)
        self.data = _choices(TRAINING_DATA)
        self.data.setToolTip("Train on the measured survey, on the twin's virtual survey of the floor, or pre-train "
                             "on the twin and fine-tune on the measured survey")
        self.calibrate = QCheckBox("Calibrate the twin first")
        self.calibrate.setToolTip("Fit the twin to the measured training points before its virtual survey "
                                  "(twinloc fingerprint --calibrate)")
        self.test_fraction = quantity_spin(0.05, 0.9, 0.05, 2)
        self.test_fraction.setValue(0.3)
        self.test_fraction.setToolTip("Fraction of the measured reference points held out for testing (whole points)")
        self.seed = int_spin(0, 2**31 - 1, 0, "Seed of the split, the initial weights and the batches")
        self.epochs = int_spin(0, 10_000, 0, "Epochs of a neural model (0: the seed paper's)")
        self.epochs.setSpecialValueText("paper's")
        self.task = TaskButtons(self, "Train", "Train the model and evaluate it on the test points",
                                lambda: positioning.train(self.request()), "Cannot train the model", "Training…",
                                "Stop training: the best weights so far are evaluated", positioning.cancel, "Training")
        self.train_button, self.cancel_button, self.status = self.task.start_button, self.task.cancel_button, self.task.status
        self.loss_plot = LossPlot()
        self.metrics = QTableWidget(0, 2 + len(METRICS))
        self.metrics.setHorizontalHeaderLabels(["Model", "Data", *(header for _field, header in METRICS)])
        self.metrics.setToolTip("Test errors of this session's runs, newest first (metres; ≤ 2 m: share of errors)")
        self.metrics.verticalHeader().setVisible(False)
        self.metrics.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.metrics.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        fit_rows(self.metrics, 3, scroll_bar=True)
        self.cdf = ErrorCdf()
        self._compared: list[tuple[object, str, np.ndarray]] = []  # (run, label, errors), newest first

        form = QFormLayout(self)
        form.addRow("Model", self.kind)
        form.addRow("Features", self.features)
        form.addRow("Training data", self.data)
        form.addRow(self.calibrate)
        form.addRow("Test points", self.test_fraction)
        form.addRow("Seed", self.seed)
        form.addRow("Epochs", self.epochs)
        form.addRow(button_row(self.train_button, self.cancel_button))
        form.addRow(self.status)
        form.addRow(self.loss_plot)
        form.addRow(self.metrics)
        form.addRow(self.cdf)
        self.kind.currentIndexChanged.connect(self._show_kind)
        self._show_kind()
        self.data.currentIndexChanged.connect(self._show_data)
        self._show_data()
        positioning.lossesChanged.connect(lambda: self.loss_plot.show_losses(positioning.losses))
        positioning.trainingEnded.connect(self.task.ended)
        positioning.resultChanged.connect(self._show_result)

    def _show_kind(self) -> None:
        """A kNN has no epochs: no losses to plot, no epochs to set."""
        neural = self.kind.currentData() != "knn"
        self.loss_plot.setVisible(neural)
        self.epochs.setEnabled(neural)

    def _show_data(self) -> None:
        """Only the twin is calibrated."""
        self.calibrate.setEnabled(self.data.currentData() != "none")

    def request(self) -> TrainingRequest:
        """What the widgets ask for."""
        return TrainingRequest(kind=self.kind.currentData(), features=self.features.currentData(),
                               twin=self.data.currentData(), test_fraction=self.test_fraction.value(),
                               seed=self.seed.value(), epochs=self.epochs.value(),
                               calibrated=self.calibrate.isChecked())

    def _show_result(self) -> None:
        run = self._positioning.run
        if run is None:
            self._compared = []
            self.metrics.setRowCount(0)
            self.cdf.clear()
            self.loss_plot.clear()
            self.status.setText("")
            return
        if not self._compared or self._compared[0][0] is not run:
            errors = position_errors(self._positioning.test_positions, run.predicted)
            label = f"{MODELS[run.model.kind]}, {DATA_SHORT[run.twin]}"
            self._compared = [(run, label, errors), *self._compared][:COMPARED_RUNS]
            self._show_comparison()
        heat = "RMSE heat map on the floor." if self._positioning.heat_map is not None else "Mapping the RMSE…"
        trained = {
            "none": f"Trained on {run.labelled_points} measured reference points",
            "only": f"Trained on the twin's {run.twin_points} reference points",
            "prior": f"Pre-trained on the twin's {run.twin_points} and fine-tuned on {run.labelled_points} measured reference points",
        }[run.twin]
        self.status.setText(f"{trained}; tested on {run.test_samples} samples at {len(run.points.point_ids)} "
                            f"held-out points.{_twin_text(run, self._positioning.twin)} {heat}")

    def _show_comparison(self) -> None:
        self.metrics.setRowCount(len(self._compared))
        for row, (run, _label, _errors) in enumerate(self._compared):
            cells = [MODELS[run.model.kind], DATA_SHORT[run.twin]]
            for field, _header in METRICS:
                value = getattr(run.metrics, field)
                cells.append(f"{100 * value:.0f} %" if field == "within_2m" else f"{value:.2f} m")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.metrics.setItem(row, column, item)
        self.cdf.show_curves([(label, errors, CURVE_COLORS[row], "-")
                              for row, (_run, label, errors) in enumerate(self._compared)])


def _twin_text(run, twin) -> str:
    """kNN's k and the twin's calibration in words: the ``neighbours`` and ``calibration`` of the CLI's JSON."""
    text = ""
    if run.model.kind == "knn":
        chosen = twin is not None and twin.neighbours is not None
        text += f" k = {run.model.settings.neighbours}" + (", chosen by leaving out each training point in turn"
                                                          if chosen else "") + "."
    report = None if twin is None else twin.twin.calibration_report()
    if report is not None:
        text += (f" Twin calibrated on {report['links']} links: RSS RMS {report['rms_before_db']:g} → "
                 f"{report['rms_after_db']:g} dB")
        if "range_rms_before_m" in report:
            text += f", range RMS {report['range_rms_before_m']:g} → {report['range_rms_after_m']:g} m"
        text += "."
    return text


def _choices(options: dict[str, str]) -> QComboBox:
    combo = QComboBox()
    for key, text in options.items():
        combo.addItem(text, key)
    return combo
