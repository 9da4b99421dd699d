"""The Radio map section of the Fingerprinting dock: how the twin's radio map is computed and shown.

"Compute" runs the map as a task in the live lane (progress and Cancel in the status bar);
the transmitter and quantity choices redraw it without recomputing. The settings are view
state of the :class:`~twinloc.gui.features.fingerprint.radio.RadioMapController`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from twinloc.gui.features.fingerprint.layers import QUANTITIES
from twinloc.gui.features.fingerprint.radio import RadioMapController, RadioView
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row, int_spin, push_button, quantity_spin

#: Deepest reflections offered: a map of the hall to depth 2 takes seconds, deeper ones minutes.
MAX_REFLECTIONS = 2


class RadioSection(QGroupBox):
    """Frequency, power, resolution, receiver height and reflections of the radio map, and what it shows.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, radio: RadioMapController, parent: QWidget | None = None) -> None:
        super().__init__("Radio map", parent)
        self._radio = radio
        view = radio.view
        self.own_frequency = QCheckBox("Own")
        self.own_frequency.setToolTip("Each transmitter at its own frequency (access points' setting, UWB anchors 6.5 GHz)")
        self.frequency = quantity_spin(0.1, 100.0, 0.1, 3, " GHz")
        self.frequency.setValue(2.4)
        self.frequency.setToolTip("Carrier frequency of every transmitter (each material must be valid there)")
        self.own_power = QCheckBox("Own")
        self.own_power.setToolTip("Each transmitter at its own power (access points' setting, UWB anchors 0 dBm)")
        self.power = quantity_spin(-50.0, 60.0, 1.0, 1, " dBm")
        self.power.setValue(20.0)
        self.power.setToolTip("Transmit power of every transmitter")
        for box in (self.own_frequency, self.own_power):
            box.setChecked(True)
        self.resolution = quantity_spin(0.05, 5.0, 0.05, 2, " m")
        self.resolution.setValue(view.resolution_m)
        self.resolution.setToolTip("Cell size of the map's floor grid")
        self.height = quantity_spin(0.05, 50.0, 0.1, 2, " m")
        self.height.setValue(view.receiver_height_m)
        self.height.setToolTip("Receiver height above the floor (also the height of the reference points)")
        self.depth = int_spin(0, MAX_REFLECTIONS, view.max_depth, "Specular reflections per path (0: direct path only)")
        for widget in (self.own_frequency, self.own_power):
            widget.toggled.connect(self._on_view)
        for spin in (self.frequency, self.power, self.resolution, self.height, self.depth):
            spin.valueChanged.connect(self._on_view)

        self.compute_button = push_button("Compute", "Compute the radio map of every transmitter over the floor", self._compute)
        self.transmitter = QComboBox()
        self.transmitter.setToolTip("The transmitter whose map is on the floor")
        self.transmitter.currentTextChanged.connect(lambda name: name and radio.show(transmitter=name))
        self.quantity = QComboBox()
        for key, (title, _cmap) in QUANTITIES.items():
            self.quantity.addItem(title, key)
        self.quantity.setCurrentIndex(self.quantity.findData(radio.quantity))
        self.quantity.currentIndexChanged.connect(lambda _i: radio.show(quantity=self.quantity.currentData()))
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        form = QFormLayout(self)
        form.addRow("Frequency", button_row(self.frequency, self.own_frequency))
        form.addRow("Transmit power", button_row(self.power, self.own_power))
        form.addRow("Resolution", self.resolution)
        form.addRow("Receiver height", self.height)
        form.addRow("Reflections", self.depth)
        form.addRow(self.compute_button)
        form.addRow("Transmitter", self.transmitter)
        form.addRow("Show", self.quantity)
        form.addRow(self.summary)
        radio.mapChanged.connect(self._show_map)
        self._show_overrides()
        self._show_map()

    def _on_view(self) -> None:
        self._show_overrides()
        self._radio.set_view(RadioView(
            frequency_ghz=None if self.own_frequency.isChecked() else self.frequency.value(),
            power_dbm=None if self.own_power.isChecked() else self.power.value(),
            resolution_m=self.resolution.value(),
            receiver_height_m=self.height.value(),
            max_depth=self.depth.value(),
        ))

    def _show_overrides(self) -> None:
        self.frequency.setEnabled(not self.own_frequency.isChecked())
        self.power.setEnabled(not self.own_power.isChecked())

    def _compute(self) -> None:
        try:
            self._radio.compute()
        except ValueError as error:
            show_error(self, "Cannot compute the radio map", str(error))

    def _show_map(self) -> None:
        radio_map = self._radio.radio_map
        names = list(radio_map.transmitter_names) if radio_map is not None else []
        if [self.transmitter.itemText(i) for i in range(self.transmitter.count())] != names:
            self.transmitter.blockSignals(True)
            self.transmitter.clear()
            self.transmitter.addItems(names)
            self.transmitter.blockSignals(False)
        self.transmitter.setCurrentText(self._radio.transmitter)
        values = self._radio.values()
        if radio_map is None or values is None:
            self.summary.setText("Compute the map to see the twin's coverage of every transmitter.")
            return
        title = QUANTITIES[self._radio.quantity][0]
        finite = values[np.isfinite(values)]
        spread = f"{title} {finite.min():.1f} to {finite.max():.1f}" if finite.size else f"no {title} (nothing arrives)"
        self.summary.setText(
            f"{len(radio_map.points)} cells × {len(names)} transmitters · {self._radio.transmitter}: {spread}"
        )
