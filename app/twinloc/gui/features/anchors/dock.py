"""The Anchors dock: a table of the project's anchors and the mounting height for new ones."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QItemSelection, QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from twinloc.gui.document import ProjectDocument
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row

_HEADERS = ("Name", "x (m)", "y (m)", "z (m)", "On")
_NAME, _X, _Y, _Z, _ENABLED = range(5)


class AnchorTableModel(QAbstractTableModel):
    """A view of ``document.project.anchors``; edits become undoable document commands."""

    def __init__(self, document: ProjectDocument, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent_widget = parent
        self._document = document
        self._anchors = document.project.anchors
        document.anchorsChanged.connect(self._reload)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._anchors)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == _ENABLED:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        anchor = self._anchors[index.row()]
        column = index.column()
        if column == _ENABLED:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if anchor.enabled else Qt.CheckState.Unchecked
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return anchor.name if column == _NAME else f"{anchor.position[column - _X]:.2f}"
        if role == Qt.ItemDataRole.EditRole:
            # Text rather than a float so the editor is a line edit that accepts any coordinate.
            return anchor.name if column == _NAME else f"{anchor.position[column - _X]:.3f}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column != _NAME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        anchor = self._anchors[index.row()]
        column = index.column()
        try:
            if column == _ENABLED and role == Qt.ItemDataRole.CheckStateRole:
                self._document.set_anchor_enabled(anchor.name, Qt.CheckState(value) == Qt.CheckState.Checked)
            elif column == _NAME and role == Qt.ItemDataRole.EditRole:
                self._document.rename_anchor(anchor.name, str(value))
            elif role == Qt.ItemDataRole.EditRole:
                coordinate = _parse_metres(value, _HEADERS[column][0])
                position = list(anchor.position)
                position[column - _X] = coordinate
                self._document.move_anchor(anchor.name, tuple(position))
            else:
                return False
        except ValueError as error:
            show_error(self._parent_widget, f"Cannot change anchor {anchor.name}", str(error))
            return False
        return True

    def row_of(self, name: str) -> int:
        """The row of anchor ``name``, or -1."""
        return next((row for row, anchor in enumerate(self._anchors) if anchor.name == name), -1)

    def name_at(self, row: int) -> str:
        return self._anchors[row].name

    def _reload(self) -> None:
        self.beginResetModel()
        self._anchors = self._document.project.anchors
        self.endResetModel()


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

        self.model = AnchorTableModel(document, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(_ENABLED, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)

        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add an anchor at the centre of the room, at the mounting height")
        self.add_button.clicked.connect(self._add_anchor)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected anchors")
        self.remove_button.clicked.connect(lambda: self._document.remove_anchors(self._document.selection))

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
        selection = QItemSelection()
        for name in names:
            row = self.model.row_of(name)
            if row >= 0:
                selection.select(self.model.index(row, 0), self.model.index(row, len(_HEADERS) - 1))
        self._syncing = True
        try:
            self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        finally:
            self._syncing = False
        self.remove_button.setEnabled(bool(names))


def _parse_metres(value: object, axis: str) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{axis} must be a number of metres, got {value!r}.") from None
    if not np.isfinite(number):
        raise ValueError(f"{axis} must be a finite number of metres, got {value!r}.")
    return number
