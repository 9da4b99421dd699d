"""The Channel dataset section of the Fingerprinting dock: the base station, its antenna array
and OFDM band, the noise and the floor resolution; Generate (a task with progress and Cancel in
the status bar) or Load a dataset file, and what the current one holds."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from twinloc.fingerprint.sectors import MAX_SECTORS
from twinloc.gui.features.fingerprint.channel import ChannelController, ChannelRequest, provenance_text
from twinloc.gui.features.fingerprint.task_buttons import TaskButtons
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row, int_spin, push_button, quantity_spin
from twinloc.radio.channel import MAX_ANTENNAS, MAX_BANDWIDTH_HZ, MAX_SUBCARRIERS

DATASET_FILTER = "CSI datasets (*.npz);;All files (*)"


class ChannelSection(QGroupBox):
    """Settings of a CSI dataset, Generate / Cancel / Load, and the current dataset's provenance.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, channel: ChannelController, parent: QWidget | None = None) -> None:
        super().__init__("Channel dataset", parent)
        self._channel = channel
        defaults = ChannelRequest(station="")
        self.station = QComboBox()
        self.station.setToolTip("The base station: an enabled base station, access point or anchor of the twin")
        self.rows = int_spin(1, MAX_ANTENNAS, defaults.rows, "Antenna rows (vertical, along z)")
        self.columns = int_spin(1, MAX_ANTENNAS, defaults.columns, "Antenna columns (along x); 1 row: a linear array")
        self.spacing = quantity_spin(0.05, 10.0, 0.05, 2, " λ")
        self.spacing.setValue(defaults.spacing_wavelengths)
        self.spacing.setToolTip("Antenna spacing in wavelengths at the centre frequency")
        self.centre = quantity_spin(0.1, 100.0, 0.1, 3, " GHz")
        self.centre.setValue(defaults.centre_ghz)
        self.centre.setToolTip("Centre frequency of the OFDM band (each material must be valid there)")
        self.bandwidth = quantity_spin(0.001, MAX_BANDWIDTH_HZ / 1e6, 10.0, 3, " MHz")
        self.bandwidth.setValue(defaults.bandwidth_mhz)
        self.bandwidth.setToolTip("Bandwidth of the OFDM band")
        self.subcarriers = int_spin(1, MAX_SUBCARRIERS, defaults.subcarriers, "OFDM subcarriers")
        self.noisy = QCheckBox("Noise")
        self.noisy.setToolTip("Add white noise at this signal-to-noise ratio per sample")
        self.snr = quantity_spin(-30.0, 100.0, 1.0, 1, " dB")
        self.snr.setValue(20.0)
        self.snr.setToolTip("Signal-to-noise ratio per sample")
        self.noisy.toggled.connect(self.snr.setEnabled)
        self.snr.setEnabled(False)
        self.sectors = int_spin(1, MAX_SECTORS, defaults.sectors, "Sectors of the base station: each serves the "
                                "samples in its 360/N degrees (2 or more allow sector rotation where the twin is symmetric)")
        self.resolution = quantity_spin(0.05, 5.0, 0.05, 2, " m")
        self.resolution.setValue(defaults.resolution_m)
        self.resolution.setToolTip("Floor grid cell size: one sample per cell, at the tag height")
        self.out_path = QLineEdit()
        self.out_path.setPlaceholderText("dataset.npz")
        self.out_path.setToolTip("The dataset file to write")
        browse = push_button("…", "Choose the dataset file to write", self._browse)
        self.task = TaskButtons(self, "Generate", "Trace the base station's paths over the floor and write the channel "
                                "of every cell", lambda: channel.generate(self.request()), "Cannot generate the dataset",
                                "Generating…", "Stop generating (no file is written)", channel.cancel, "Generation")
        self.generate_button, self.cancel_button, self.summary = self.task.start_button, self.task.cancel_button, self.task.status
        self.load_button = push_button("Load…", "Read a dataset file written before (twinloc csi-dataset)", self._load)

        form = QFormLayout(self)
        form.addRow("Base station", self.station)
        form.addRow("Array rows × columns", button_row(self.rows, QLabel("×"), self.columns))
        form.addRow("Spacing", self.spacing)
        form.addRow("Centre", self.centre)
        form.addRow("Bandwidth", self.bandwidth)
        form.addRow("Subcarriers", self.subcarriers)
        form.addRow("Noise", button_row(self.snr, self.noisy))
        form.addRow("Sectors", self.sectors)
        form.addRow("Resolution", self.resolution)
        form.addRow("Output", button_row(self.out_path, browse))
        form.addRow(button_row(self.generate_button, self.cancel_button, self.load_button))
        form.addRow(self.summary)
        channel.datasetChanged.connect(self._show_dataset)
        channel.generationEnded.connect(self._on_ended)
        channel.stationsChanged.connect(self.show_stations)
        self.show_stations()
        self._show_dataset()

    def show_stations(self) -> None:
        """Offer the twin's current base stations (keeping the chosen one when it is still there)."""
        names = list(self._channel.stations())
        chosen = self.station.currentText()
        self.station.clear()
        self.station.addItems(names)
        if chosen in names:
            self.station.setCurrentText(chosen)

    def request(self) -> ChannelRequest:
        """What the widgets ask for."""
        return ChannelRequest(
            station=self.station.currentText(), rows=self.rows.value(), columns=self.columns.value(),
            spacing_wavelengths=self.spacing.value(), centre_ghz=self.centre.value(),
            bandwidth_mhz=self.bandwidth.value(), subcarriers=self.subcarriers.value(),
            snr_db=self.snr.value() if self.noisy.isChecked() else None, resolution_m=self.resolution.value(),
            out_path=self.out_path.text().strip(), sectors=self.sectors.value(),
        )

    def load_file(self, path: str) -> None:
        """Load the dataset at ``path``; a dialog says why not."""
        try:
            self._channel.load(path)
        except ValueError as error:
            show_error(self, "Cannot load the dataset", str(error))
            return
        self.message.emit(f"Loaded {path}")

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Channel dataset", self.out_path.text(), DATASET_FILTER)
        if path:
            self.out_path.setText(path)

    def _load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load channel dataset", "", DATASET_FILTER)
        if path:
            self.load_file(path)

    def _on_ended(self, outcome: str) -> None:
        self.task.ended(outcome)
        if outcome == "finished":
            self.message.emit(f"Wrote {self._channel.dataset.path}")

    def _show_dataset(self) -> None:
        dataset = self._channel.dataset
        if dataset is None:
            self.summary.setText("Generate a dataset of the twin's channel, or load one.")
            return
        self.summary.setText(f"{dataset.path.name}: {provenance_text(dataset)}")
