"""The Training dock: data, model and training settings, live losses, results, model files, map.

A view of :class:`~twinloc.gui.features.training.controller.TrainingController`: buttons call it, its
signals refresh the labels, plots and tables. Data from the simulated site are labelled
SIMULATED wherever they appear, so that nobody mistakes them for a survey. The results show
every protocol (held-out points, per-sample as in the paper, the floor maps) and a warning
in red names each area a model makes worse than raw.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from twinloc.gui.features.training.controller import TrainingController
from twinloc.gui.features.training.plots import PositionsPlot, SampleErrorsPlot
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row, fit_rows, push_button, quantity_spin, scroll_column
from twinloc.gui.widgets.loss_plot import LossPlot
from twinloc.learn.runs import TrainingSettings
from twinloc.mitigation.per_link import PerLinkModel
from twinloc.mitigation.site import SiteSimulation
from twinloc.mitigation.training import DEFAULT_FINE_TUNE, DEFAULT_PRETRAIN, PROTOCOL_LABELS, worse_than_raw

MODEL_FILTER = "TwinLoc models (*.pt)"
DATA_FILTER = "Training data (*.npz)"
#: Result rows: the key in the errors, the row header. The methods are rows and the two areas
#: columns, so every header stays readable in a narrow dock.
RESULT_METHODS = (("raw", "Raw fixes"), ("nn_pretrained", "NN pre-trained"), ("nn", "NN fine-tuned"), ("poly", "Polynomial"))
#: Result columns: the area key in the errors, the header.
RESULT_AREAS = (("los", "LOS (cm)"), ("nlos", "NLOS (cm)"))
ARCHITECTURES = (("per_link", "Per-link range correction"), ("mitigation_net", "Paper model (FC → 3 conv → 4 FC)"),
                 ("linear", "Linear (baseline)"))
#: Protocol table columns: (area, "raw" or "nn"), the header.
PROTOCOL_COLUMNS = ((("los", "raw"), "LOS raw"), (("los", "nn"), "LOS model"), (("nlos", "raw"), "NLOS raw"),
                    (("nlos", "nn"), "NLOS model"))
SIMULATED_STYLE = "color: #b45309; font-weight: bold;"
WARNING_STYLE = "color: #b91c1c; font-weight: bold;"
_STOPPED_TEXT = {"completed": "completed", "early stopping": "stopped early (no improvement)",
                 "time limit": "stopped at the time limit", "cancelled": "cancelled (best weights kept)", "failed": "failed"}


class TrainingDock(QDockWidget):
    """Dock controlling a :class:`TrainingController`.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, trainer: TrainingController, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("TrainingDock")
        self._trainer = trainer
        self.setWidget(
            scroll_column(
                self._build_data_group(),
                self._build_model_group(),
                self._build_training_group(),
                self._build_plots(),
                self._build_results_group(),
                self._build_map_group(),
            )
        )
        trainer.dataChanged.connect(self._show_data)
        trainer.dataForgotten.connect(self.message)
        trainer.lossesChanged.connect(lambda: self.loss_plot.show_losses(trainer.losses))
        trainer.modelChanged.connect(self._show_model)
        trainer.trainingEnded.connect(self._on_training_ended)
        trainer.mapChanged.connect(self._show_map_state)
        trainer.saved.connect(lambda path: self.message.emit(f"Virtual data saved to {Path(path).name}"))
        trainer.progress.connect(self._on_progress)
        trainer.dataEnded.connect(self._on_data_ended)
        self._show_data()
        self._show_model()
        self._show_map_state()

    # ------------------------------------------------------------------ construction

    def _build_data_group(self) -> QGroupBox:
        self.resolution_spin = quantity_spin(0.05, 5.0, 0.05, 2, " m")
        self.resolution_spin.setValue(0.1)
        self.resolution_spin.setToolTip("Grid spacing of the virtual measuring points (seed 004: 10 cm)")
        self.groups_spin = _int_spin(1, 200, 20, "Samples of eight fixes per grid point (seed 004: 20)")
        self.data_seed_spin = _int_spin(0, 2**31 - 1, 0, "Seed of the simulated ranging noise")
        self.site_points_spin = _int_spin(4, 2000, SiteSimulation.points, "Measuring points of the simulated site")
        self.site_fixes_spin = _int_spin(8, 10_000, SiteSimulation.fixes, "Fixes taken at each simulated measuring point")
        form = QFormLayout()
        form.addRow("Grid spacing", self.resolution_spin)
        form.addRow("Groups per point", self.groups_spin)
        form.addRow("Noise seed", self.data_seed_spin)

        self.generate_button = push_button("Generate from twin", "Simulate fixes at every grid point of the evaluation area with the twin's NLOS model", self.generate_virtual)
        self.save_data_button = push_button("Save…", "Save the virtual data with their provenance (.npz)", self._save_virtual)
        self.load_data_button = push_button("Load…", "Load virtual data saved before for this scene and these anchors", self._load_virtual)
        self.virtual_label = QLabel()
        self.virtual_label.setWordWrap(True)

        site_form = QFormLayout()
        site_form.addRow("Site points", self.site_points_spin)
        site_form.addRow("Fixes per point", self.site_fixes_spin)
        self.import_button = push_button("Import measured CSV…", "Measuring points: true_x,true_y,measured_x,measured_y (or x1,y1,x2,y2,...)", self._import_measured)
        self.simulate_button = QPushButton("Simulate site")
        self.simulate_button.setToolTip("Measure a SIMULATED physical site: other permittivities, an unmodelled "
                                        "obstacle and other noise than the twin's (for demos without a site)")
        self.simulate_button.clicked.connect(self.simulate_site)
        self.measured_label = QLabel()
        self.measured_label.setWordWrap(True)

        group = QGroupBox("Data")
        layout = QVBoxLayout(group)
        layout.addLayout(form)
        layout.addLayout(button_row(self.generate_button, self.save_data_button, self.load_data_button))
        layout.addWidget(self.virtual_label)
        layout.addLayout(site_form)
        layout.addLayout(button_row(self.import_button, self.simulate_button))
        layout.addWidget(self.measured_label)
        return group

    def _build_model_group(self) -> QGroupBox:
        self.architecture_combo = QComboBox()
        for name, label in ARCHITECTURES:
            self.architecture_combo.addItem(label, name)
        self.architecture_combo.currentIndexChanged.connect(self._on_architecture_changed)
        self.side_spin = _int_spin(2, 32, 8, "The 16 inputs are expanded to side × side values, an image for the convolutions")
        self.side_spin.setSingleStep(2)
        self.architecture_combo.setToolTip(
            "Per-link: corrects each anchor's range from what the twin knows of that link (LOS, excess path, "
            "material crossed) and solves the position again; LOS ranges that look like LOS pass unchanged. "
            "Paper model: seed 004's network, eight fixes in, a position out")
        self.model_seed_spin = _int_spin(0, 2**31 - 1, 0, "Seed of the initial weights, the splits and the batch order")
        group = QGroupBox("Model")
        form = QFormLayout(group)
        form.addRow("Model", self.architecture_combo)
        form.addRow("Image side", self.side_spin)
        form.addRow("Seed", self.model_seed_spin)
        self._on_architecture_changed()
        return group

    def _build_training_group(self) -> QGroupBox:
        grid = QGridLayout()
        grid.addWidget(QLabel("Pre-train"), 0, 1)
        grid.addWidget(QLabel("Fine-tune"), 0, 2)
        self.stage_spins: dict[str, dict[str, QWidget]] = {}
        for column, (stage, defaults) in enumerate((("pretrain", DEFAULT_PRETRAIN), ("fine_tune", DEFAULT_FINE_TUNE)), start=1):
            spins = {
                "epochs": _int_spin(1, 10_000, defaults.epochs, "Most passes over the data"),
                "batch_size": _int_spin(1, 65_536, defaults.batch_size, "Samples per Adam step"),
                "learning_rate": quantity_spin(1e-6, 1.0, 1e-4, 6),
                "patience": _int_spin(1, 1000, defaults.patience, "Epochs without validation improvement before stopping"),
                "time_limit_s": quantity_spin(0.0, 86_400.0, 10.0, 0, " s"),
            }
            spins["learning_rate"].setValue(defaults.learning_rate)
            spins["learning_rate"].setToolTip("Initial Adam step; halved when the validation loss stalls")
            spins["time_limit_s"].setSpecialValueText("none")
            spins["time_limit_s"].setToolTip("Wall-clock budget of the stage; the best weights so far are kept")
            for row, widget in enumerate(spins.values(), start=1):
                grid.addWidget(widget, row, column)
            self.stage_spins[stage] = spins
        for row, label in enumerate(("Epochs", "Batch size", "Learning rate", "Patience", "Time limit"), start=1):
            grid.addWidget(QLabel(label), row, 0)

        self.train_button = push_button("Train", "Pre-train on the virtual data, fine-tune on 80% of the measured data, "
                                        "test on the other 20%, then apply the model over the floors", self.train)
        self.cancel_button = push_button("Cancel", "Stop; the best weights so far are kept and compared", self._trainer.cancel)
        self.cancel_button.setEnabled(False)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(12)
        self.status_label = QLabel("Not trained yet.")
        self.status_label.setWordWrap(True)

        self.split_combo = QComboBox()
        self.split_combo.addItem("20% of the measuring points", "points")
        self.split_combo.addItem("20% of the samples (paper)", "samples")
        self.split_combo.setToolTip("What the model kept was tested on: whole measuring points held out (nothing "
                                    "measured there), or samples (their points were also seen in training); "
                                    "the results show both")
        split_form = QFormLayout()
        split_form.addRow("Test set", self.split_combo)

        group = QGroupBox("Training")
        layout = QVBoxLayout(group)
        layout.addLayout(grid)
        layout.addLayout(split_form)
        layout.addLayout(button_row(self.train_button, self.cancel_button))
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        return group

    def _build_plots(self) -> QTabWidget:
        self.loss_plot = LossPlot()
        self.positions_plot = PositionsPlot()
        self.sample_errors_plot = SampleErrorsPlot()
        self.plot_tabs = QTabWidget()
        self.plot_tabs.addTab(self.loss_plot, "Loss")
        self.plot_tabs.addTab(self.positions_plot, "Positions")
        self.plot_tabs.addTab(self.sample_errors_plot, "Errors per sample")
        return self.plot_tabs

    def _build_results_group(self) -> QGroupBox:
        self.results_table = QTableWidget(len(RESULT_METHODS), len(RESULT_AREAS))
        self.results_table.setHorizontalHeaderLabels([label for _, label in RESULT_AREAS])
        self.results_table.setVerticalHeaderLabels([label for _, label in RESULT_METHODS])
        self.results_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        fit_rows(self.results_table, len(RESULT_METHODS))
        self.protocols_table = QTableWidget(len(PROTOCOL_LABELS), len(PROTOCOL_COLUMNS))
        self.protocols_table.setHorizontalHeaderLabels([label for _, label in PROTOCOL_COLUMNS])
        self.protocols_table.setVerticalHeaderLabels(list(PROTOCOL_LABELS.values()))
        self.protocols_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.protocols_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.protocols_table.setToolTip("Mean error (cm) per protocol: held-out points (nothing measured there), "
                                        "the paper's per-sample split, and the whole floor of the twin and of the "
                                        "simulated site")
        fit_rows(self.protocols_table, len(PROTOCOL_LABELS))
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.hide()
        self.results_note = QLabel()
        self.results_note.setWordWrap(True)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.save_model_button = QPushButton("Save model…")
        self.save_model_button.clicked.connect(self._save_model)
        self.load_model_button = QPushButton("Load model…")
        self.load_model_button.clicked.connect(self._load_model)
        group = QGroupBox("Results (held-out measured data)")
        layout = QVBoxLayout(group)
        layout.addWidget(self.results_table)
        layout.addWidget(QLabel("Every protocol (mean error, cm):"))
        layout.addWidget(self.protocols_table)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.results_note)
        layout.addWidget(self.model_label)
        layout.addLayout(button_row(self.save_model_button, self.load_model_button))
        return group

    def _build_map_group(self) -> QGroupBox:
        self.show_map_check = QCheckBox("Show the mitigated error map on the floor")
        self.show_map_check.setToolTip("Apply the model to the virtual data: mean error per grid point after correction")
        self.show_map_check.toggled.connect(self._on_show_map_toggled)
        self.map_view_combo = QComboBox()
        for key, label in (("nn", "Error after the network"), ("raw", "Error before (raw fixes)"),
                           ("gain", "Reduction (before − after)")):
            self.map_view_combo.addItem(label, key)
        self.map_view_combo.currentIndexChanged.connect(
            lambda: self._trainer.set_map_view(self.map_view_combo.currentData())
        )
        self.map_floor_combo = QComboBox()
        self.map_floor_combo.addItem("Twin (virtual data)", "twin")
        self.map_floor_combo.addItem("SIMULATED site", "site")
        self.map_floor_combo.setToolTip("Whose floor the model is applied on: the twin's, or the simulated site's "
                                        "(a fine-tuned model was trained for the site)")
        self.map_floor_combo.currentIndexChanged.connect(self._on_map_floor_changed)
        self.map_label = QLabel()
        self.map_label.setWordWrap(True)
        group = QGroupBox("Apply")
        layout = QVBoxLayout(group)
        layout.addWidget(self.show_map_check)
        form = QFormLayout()
        form.addRow("Floor", self.map_floor_combo)
        form.addRow("Show", self.map_view_combo)
        layout.addLayout(form)
        layout.addWidget(self.map_label)
        return group

    # ------------------------------------------------------------------ commands

    def generate_virtual(self) -> None:
        self._run(lambda: self._trainer.generate_virtual(self.resolution_spin.value(), self.groups_spin.value(),
                                                         self.data_seed_spin.value()), "Cannot generate the virtual data")

    def simulate_site(self) -> None:
        self._run(lambda: self._trainer.simulate_site(self.site_points_spin.value(), self.site_fixes_spin.value(),
                                                      self.data_seed_spin.value() + 1), "Cannot simulate the site")

    def import_measured(self, path: str) -> None:
        if self._run(lambda: self._trainer.import_measured(path), "Cannot import the measured data"):
            self.message.emit(f"Imported {Path(path).name}")

    def train(self) -> None:
        settings = {stage: self.stage_settings(stage) for stage in ("pretrain", "fine_tune")}
        architecture = self.architecture_combo.currentData()
        kwargs = {"mitigation_net": {"side": self.side_spin.value()},
                  "linear": {"inputs": 16, "outputs": 2}}.get(architecture, {})
        started = self._run(lambda: self._trainer.train(architecture, kwargs, self.model_seed_spin.value(),
                                                        settings["pretrain"], settings["fine_tune"],
                                                        self.split_combo.currentData()), "Cannot train")
        if started:
            self.positions_plot.clear()
            self.sample_errors_plot.clear()
            self.progress_bar.setValue(0)
            self.status_label.setText("Training…")
            self._set_training(True)

    def stage_settings(self, stage: str) -> TrainingSettings:
        """The settings of ``stage`` ("pretrain" or "fine_tune") as the spin boxes give them."""
        spins = self.stage_spins[stage]
        limit = spins["time_limit_s"].value()
        defaults = DEFAULT_PRETRAIN if stage == "pretrain" else DEFAULT_FINE_TUNE
        return TrainingSettings(
            epochs=spins["epochs"].value(), batch_size=spins["batch_size"].value(),
            learning_rate=spins["learning_rate"].value(), patience=spins["patience"].value(),
            lr_patience=defaults.lr_patience, seed=self.model_seed_spin.value(),
            time_limit_s=limit if limit > 0 else None,
        )

    def save_model(self, path: str) -> None:
        if self._run(lambda: self._trainer.save_model(path), "Cannot save the model"):
            self.message.emit(f"Model saved to {Path(path).name}")

    def load_model(self, path: str) -> None:
        if self._run(lambda: self._trainer.load_model(path), "Cannot load the model"):
            self.positions_plot.clear()
            self.sample_errors_plot.clear()
            self.message.emit(f"Model loaded from {Path(path).name}")

    # ------------------------------------------------------------------ refreshing

    def _show_data(self) -> None:
        virtual, measured = self._trainer.virtual, self._trainer.measured
        if virtual is None:
            self.virtual_label.setText("No virtual data yet.")
        else:
            cells = len(np.unique(virtual.point))
            self.virtual_label.setText(f"Virtual: {len(virtual):,} samples at {cells:,} grid points "
                                       f"({int(virtual.nlos.sum()):,} NLOS), {len(virtual.provenance['anchors'])} anchors.")
        self.save_data_button.setEnabled(virtual is not None)
        if measured is None:
            self.measured_label.setText("No measured data yet.")
            self.measured_label.setStyleSheet("")
        else:
            points = measured.provenance.get("points", len(set(measured.point.tolist())))
            simulated = measured.provenance.get("kind") == "simulated site"
            source = "SIMULATED site" if simulated else f"Measured ({Path(measured.provenance.get('file', '')).name})"
            self.measured_label.setText(f"{source}: {len(measured):,} samples from {points} points "
                                        f"({int(measured.nlos.sum()):,} NLOS samples).")
            self.measured_label.setStyleSheet(SIMULATED_STYLE if simulated else "")
        self.show_map_check.setEnabled(virtual is not None and self._trainer.current is not None)
        simulated = self._trainer.site_simulation() is not None
        self.map_floor_combo.model().item(1).setEnabled(simulated)
        self.map_floor_combo.setCurrentIndex(1 if simulated else 0)

    def _show_model(self) -> None:
        current, result = self._trainer.current, self._trainer.result
        errors = current.extra.get("errors", {}) if current is not None else {}
        for column, (area, _) in enumerate(RESULT_AREAS):
            for row, (key, _) in enumerate(RESULT_METHODS):
                value = errors.get(area, {}).get(key)
                item = QTableWidgetItem("–" if value is None else f"{100 * value:.1f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.results_table.setItem(row, column, item)
        protocols = current.extra.get("protocols", {}) if current is not None else {}
        for row, key in enumerate(PROTOCOL_LABELS):
            for column, ((area, name), _) in enumerate(PROTOCOL_COLUMNS):
                value = protocols.get(key, {}).get(area, {}).get(name)
                item = QTableWidgetItem("–" if value is None else f"{100 * value:.1f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.protocols_table.setItem(row, column, item)
        worse = worse_than_raw(protocols)
        self.warning_label.setText("Worse than raw: " + "; ".join(worse) + ". Do not apply this model there."
                                   if worse else "")
        self.warning_label.setVisible(bool(worse))
        if current is None:
            self.results_note.setText("")
            self.model_label.setText("No model yet.")
        else:
            samples = current.extra.get("samples", {})
            kind = current.provenance.get("measured", {}).get("kind", "unknown")
            held_out = "points" if current.provenance.get("split") == "points" else "samples"
            self.results_note.setText(
                f"{samples.get('measured_test', '?')} test samples (held-out {held_out}) and "
                f"{samples.get('measured_train', '?')} training samples "
                f"from {'the SIMULATED site' if kind == 'simulated site' else kind + ' data'}; "
                f"{samples.get('virtual', 0):,} virtual samples."
            )
            self.results_note.setStyleSheet(SIMULATED_STYLE if kind == "simulated site" else "")
            virtual = current.provenance.get("virtual", {})
            origin = f"saved as {Path(current.source).name}" if current.source else "not saved"
            self.model_label.setText(f"Model trained on {virtual.get('scene', '?')} with "
                                     f"{len(virtual.get('anchors', []))} anchors; {origin}.")
        if result is not None:
            self.positions_plot.show_result(result)
            self.sample_errors_plot.show_result(result)
        self.save_model_button.setEnabled(current is not None and not isinstance(current.model, PerLinkModel))
        self._show_data()

    def _show_map_state(self) -> None:
        trainer = self._trainer
        self.show_map_check.blockSignals(True)
        self.show_map_check.setChecked(trainer.map_shown)
        self.show_map_check.blockSignals(False)
        self.map_view_combo.setEnabled(trainer.map is not None)
        if trainer.map is None:
            self.map_label.setText("Computing…" if trainer.map_shown else "")
            return
        means = trainer.map.area_means()
        floor = "SIMULATED site's floor" if trainer.map.source == "simulated site" else "Twin's floor"
        self.map_label.setStyleSheet(SIMULATED_STYLE if trainer.map.source == "simulated site" else "")
        worse = worse_than_raw({"floor_site" if trainer.map.source == "simulated site" else "floor_twin": means})
        self.map_label.setStyleSheet(WARNING_STYLE if worse else self.map_label.styleSheet())
        self.map_label.setText(
            f"{floor}, mean error: " + "; ".join(
                f"{area.upper()} {_cm(means[area]['raw'])} → {_cm(means[area]['nn'])}" for area in ("los", "nlos")
            ) + ("" if not worse else ". WARNING: worse than raw in " + "; ".join(worse) + ".")
        )

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress_bar.setValue(round(1000 * fraction))
        self.status_label.setText(text)

    def _on_training_ended(self, stopped: str) -> None:
        self._set_training(False)
        result = self._trainer.result
        if stopped != "failed" and result is not None:
            self.progress_bar.setValue(1000)
            epochs = {stage: len(t.history.train_loss) for stage, t in result.training.items()}
            self.status_label.setText(
                f"Training {_STOPPED_TEXT.get(stopped, stopped)}: {epochs['pretrain']} pre-training and "
                f"{epochs['fine_tune']} fine-tuning epochs in {result.train_seconds:.1f} s."
            )
            self.message.emit(f"Training {_STOPPED_TEXT.get(stopped, stopped)}")
        else:
            self.status_label.setText(f"Training {_STOPPED_TEXT.get(stopped, stopped)}.")

    def _on_data_ended(self, outcome: str) -> None:
        if outcome == "failed":
            self.status_label.setText("Generating the data failed.")
        elif outcome == "cancelled":
            self.status_label.setText("Cancelled.")

    def _set_training(self, training: bool) -> None:
        self.train_button.setEnabled(not training)
        self.cancel_button.setEnabled(training)
        for button in (self.generate_button, self.load_data_button, self.import_button, self.simulate_button,
                       self.load_model_button):
            button.setEnabled(not training)

    def _on_architecture_changed(self) -> None:
        self.side_spin.setEnabled(self.architecture_combo.currentData() == "mitigation_net")

    def _on_map_floor_changed(self) -> None:
        floor = self.map_floor_combo.currentData()
        if floor != self._trainer.map_floor:
            self._run(lambda: self._trainer.set_map_floor(floor), "Cannot change the map's floor")

    def _on_show_map_toggled(self, checked: bool) -> None:
        self._run(lambda: self._trainer.show_map(checked), "Cannot show the mitigated map")
        self._show_map_state()

    # ------------------------------------------------------------------ file dialogs

    def _import_measured(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import measured data", "", "CSV files (*.csv);;All files (*)")
        if path:
            self.import_measured(path)

    def _save_virtual(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save virtual data", "virtual-data.npz", DATA_FILTER)
        if path:
            self._run(lambda: self._trainer.save_virtual(path), "Cannot save the virtual data")

    def _load_virtual(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load virtual data", "", DATA_FILTER)
        if path and self._run(lambda: self._trainer.load_virtual(path), "Cannot load the virtual data"):
            self.message.emit(f"Virtual data loaded from {Path(path).name}")

    def _save_model(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save model", "mitigation.pt", MODEL_FILTER)
        if path:
            self.save_model(path)

    def _load_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load model", "", MODEL_FILTER)
        if path:
            self.load_model(path)

    def _run(self, command, title: str) -> bool:
        """Run ``command``; a ValueError or OSError becomes an error dialog. True when it succeeded."""
        try:
            command()
        except (ValueError, OSError) as error:
            show_error(self, title, str(error))
            return False
        return True


def _int_spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)
    return spin


def _cm(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} cm"
