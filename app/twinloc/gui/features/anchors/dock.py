"""The Anchors dock: a table of the project's anchors and the mounting height for new ones (the
access points and other features' sections are tabs beside it)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.anchors.table import DeviceTableModel, device_table, name_column, position_columns
from twinloc.gui.widgets.forms import button_row, push_button


class AnchorTableModel(DeviceTableModel):
    """A view of ``document.project.anchors``; edits become undoable document commands."""

    def __init__(self, document: ProjectDocument, parent: QWidget) -> None:
        columns = (name_column(document.rename_anchor), *position_columns(document.move_anchor))
        super().__init__(parent, "anchor", lambda: document.project.anchors, document.anchorsChanged, columns,
                         document.set_anchor_enabled)


class AnchorsDock(QDockWidget):
    """Dock with the anchors table, Add/Remove buttons and the mounting height of new anchors.

    Selection follows ``document.selection`` both ways, so the viewport and this table
    always show the same selected anchors without knowing each other.
    """

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__("Anchors", parent)
        self.setObjectName("AnchorsDock")
        self._document = document
        self._syncing = False
        self.access_points: QWidget | None = None
        """The Access points tab (:class:`~twinloc.gui.features.anchors.access_points.AccessPointsPanel`), once added."""

        self.model = AnchorTableModel(document, self)
        self.table = device_table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)

        self.add_button = push_button("Add", "Add an anchor at the centre of the room, at the mounting height", self._add_anchor)
        self.remove_button = push_button("Remove", "Remove the selected anchors", lambda: self._document.remove_anchors(self._document.selection))

        self.mounting_height = QDoubleSpinBox()
        self.mounting_height.setRange(0.0, 50.0)
        self.mounting_height.setSingleStep(0.1)
        self.mounting_height.setDecimals(2)
        self.mounting_height.setSuffix(" m")
        self.mounting_height.setKeyboardTracking(False)
        self.mounting_height.setToolTip("Height at which anchors placed on the floor are mounted")
        self.mounting_height.valueChanged.connect(self._on_mounting_height)

        buttons = button_row(self.add_button, self.remove_button)
        form = QFormLayout()
        form.addRow("Mounting height", self.mounting_height)
        layout = QVBoxLayout()
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addLayout(form)
        body = QWidget()
        body.setLayout(layout)
        self.setWidget(body)

        document.selectionChanged.connect(self._show_selection)
        document.anchorsChanged.connect(self._on_anchors_changed)
        document.settingsChanged.connect(self._show_settings)
        self._show_settings()
        self._on_anchors_changed()

    def add_section(self, title: str, widget: QWidget) -> None:
        """Show ``widget`` (e.g. the Optimize section) on a tab of its own beside the anchors table."""
        tabs = self.widget()
        if not isinstance(tabs, QTabWidget):
            body = tabs
            tabs = QTabWidget()
            tabs.setObjectName("AnchorsDockTabs")
            tabs.setDocumentMode(True)
            tabs.addTab(body, "Anchors")
            self.setWidget(tabs)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(widget)
        tabs.addTab(scroll, title)

    def _add_anchor(self) -> None:
        bounds = self._document.scene.bounds
        x, y = (0.5 * (bounds[0, :2] + bounds[1, :2])).tolist()
        self._document.add_anchor((x, y, self._document.project.settings.mounting_height_m))

    def _on_mounting_height(self, value: float) -> None:
        settings = self._document.project.settings
        if not np.isclose(value, settings.mounting_height_m):
            self._document.set_settings(replace(settings, mounting_height_m=float(value)))

    def _show_settings(self) -> None:
        self.mounting_height.blockSignals(True)
        self.mounting_height.setValue(self._document.project.settings.mounting_height_m)
        self.mounting_height.blockSignals(False)

    def _on_anchors_changed(self) -> None:
        self._show_selection(self._document.selection)

    def _on_table_selection(self) -> None:
        if self._syncing:
            return
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        self._document.set_selection([self.model.name_at(row) for row in rows])

    def _show_selection(self, names: list[str]) -> None:
        self._syncing = True
        try:
            self.table.selectionModel().select(self.model.rows_of(names), QItemSelectionModel.SelectionFlag.ClearAndSelect)
        finally:
            self._syncing = False
        self.remove_button.setEnabled(bool(names))

