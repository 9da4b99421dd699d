"""The Access points tab of the Anchors dock: the Wi-Fi access points and beacons the radio map and
the fingerprinting models use, in a table whose edits are undoable document commands.

The rows selected here are highlighted in the viewport, and a click on an access point's glyph
there selects its row (Ctrl extends the selection).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QVBoxLayout, QWidget

from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.anchors.table import Column, DeviceTableModel, device_table, name_column, parse_number, position_columns
from twinloc.gui.viewport.widget import SceneViewport
from twinloc.gui.widgets.forms import button_row, push_button

#: The viewport's highlight source for the rows selected in the table.
HIGHLIGHT = "access_point_table"


class AccessPointTableModel(DeviceTableModel):
    """A view of ``document.project.access_points``: name, x, y, z, frequency (GHz), power (dBm), on."""

    def __init__(self, document: ProjectDocument, parent: QWidget) -> None:
        def set_frequency(point, text: str) -> None:
            document.set_access_point_radio(point.name, frequency_hz=parse_number(text, "Frequency (GHz)") * 1e9)

        def set_power(point, text: str) -> None:
            document.set_access_point_radio(point.name, power_dbm=parse_number(text, "Power (dBm)"))

        columns = (
            name_column(document.rename_access_point),
            *position_columns(document.move_access_point),
            Column("GHz", lambda p: f"{p.frequency_hz / 1e9:.3f}", lambda p: f"{p.frequency_hz / 1e9:g}", set_frequency),
            Column("dBm", lambda p: f"{p.power_dbm:.1f}", lambda p: f"{p.power_dbm:g}", set_power),
        )
        super().__init__(parent, "access point", lambda: document.project.access_points, document.accessPointsChanged,
                         columns, document.set_access_point_enabled)


class AccessPointsPanel(QWidget):
    """The access-point table with Add and Remove.

    Parameters
    ----------
    document : ProjectDocument
    viewport : SceneViewport
        Highlights the selected rows; its clicks on access points select rows; Add places a new
        access point at its view centre.
    """

    def __init__(self, document: ProjectDocument, viewport: SceneViewport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._viewport = viewport
        self._selected: list[str] = []
        self.model = AccessPointTableModel(document, self)
        self.table = device_table(self.model)
        self.table.setToolTip("Frequency in GHz (0.1 to 100), transmit power in dBm (−50 to 60); double-click to edit")
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)
        self.add_button = push_button("Add", "Add an access point at the centre of the view, at the mounting height (2.4 GHz, 20 dBm)", self._add)
        self.remove_button = push_button("Remove", "Remove the selected access points", lambda: document.remove_access_points(self.selected()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table)
        layout.addLayout(button_row(self.add_button, self.remove_button))
        document.accessPointsChanged.connect(self._on_access_points_changed)
        viewport.accessPointClicked.connect(self._on_viewport_click)
        self._on_access_points_changed()

    def selected(self) -> list[str]:
        """Names of the selected access points, in table order."""
        return list(self._selected)

    def select(self, names: list[str]) -> None:
        """Select the named access points (unknown names are ignored)."""
        self.table.selectionModel().select(self.model.rows_of(names), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _add(self) -> None:
        (xmin, ymin, _), (xmax, ymax, _) = self._document.scene.bounds
        x, y, _ = self._viewport.plotter.camera.focal_point
        centre = (float(np.clip(x, xmin, xmax)), float(np.clip(y, ymin, ymax)), self._document.project.settings.mounting_height_m)
        self.select([self._document.add_access_point(centre)])

    def _on_viewport_click(self, name: str, extend: bool) -> None:
        if not extend:
            self.select([name])
        elif name in self._selected:
            self.select([n for n in self._selected if n != name])
        else:
            self.select([*self._selected, name])

    def _on_access_points_changed(self) -> None:
        self.select(self._selected)  # the model was reset: keep the rows that still exist selected
        self._on_table_selection()

    def _on_table_selection(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        self._selected = [self.model.name_at(row) for row in rows]
        self.remove_button.setEnabled(bool(self._selected))
        self._viewport.highlight_access_points(HIGHLIGHT, set(self._selected))
