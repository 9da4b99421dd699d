"""A table model of one kind of device (anchors, access points): a view of the document's tuple of
them whose cells edit the document, each edit an undoable command; a refused value shows a dialog.

Columns are declared (:class:`Column`): the text a cell shows, the text its editor starts from
and the document edit a typed value makes. The last column is always the device's On box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QItemSelection, QModelIndex, Qt, SignalInstance
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from twinloc.gui.widgets.dialogs import show_error


@dataclass(frozen=True)
class Column:
    """One editable column.

    header : the column's title ("x (m)").
    shown : ``shown(device) -> str``, the cell's text.
    edited : ``edited(device) -> str``, the text its editor starts from (more digits than shown).
    apply : ``apply(device, text)`` makes the document edit; raises ValueError with a user message.
    numeric : whether the text is a number (right-aligned).
    """

    header: str
    shown: Callable[[object], str]
    edited: Callable[[object], str]
    apply: Callable[[object, str], None]
    numeric: bool = True


class DeviceTableModel(QAbstractTableModel):
    """The rows of ``devices()`` (each with ``name`` and ``enabled``) under ``columns`` and an On box.

    Parameters
    ----------
    parent : QWidget
        Parent of the model and of its error dialogs.
    what : str
        The device in the user's words, for dialog titles ("anchor").
    devices : callable
        ``devices()`` -> the document's current tuple of devices.
    changed : SignalInstance
        The document signal that says the devices changed.
    columns : tuple of Column
    set_enabled : callable
        ``set_enabled(name, on)``: the document edit of the On box.
    """

    def __init__(self, parent: QWidget, what: str, devices: Callable[[], tuple], changed: SignalInstance,
                 columns: tuple[Column, ...], set_enabled: Callable[[str, bool], None]) -> None:
        super().__init__(parent)
        self._parent_widget = parent
        self._what = what
        self._source = devices
        self._columns = columns
        self._set_enabled = set_enabled
        self._devices = devices()
        self.headers = (*(column.header for column in columns), "On")
        changed.connect(self._reload)

    @property
    def enabled_column(self) -> int:
        return len(self._columns)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._devices)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.enabled_column:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        device = self._devices[index.row()]
        if index.column() == self.enabled_column:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if device.enabled else Qt.CheckState.Unchecked
            return None
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.shown(device)
        if role == Qt.ItemDataRole.EditRole:
            # Text rather than a float so the editor is a line edit that accepts any value.
            return column.edited(device)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        device = self._devices[index.row()]
        try:
            if index.column() == self.enabled_column and role == Qt.ItemDataRole.CheckStateRole:
                self._set_enabled(device.name, Qt.CheckState(value) == Qt.CheckState.Checked)
            elif index.column() != self.enabled_column and role == Qt.ItemDataRole.EditRole:
                self._columns[index.column()].apply(device, str(value))
            else:
                return False
        except ValueError as error:
            show_error(self._parent_widget, f"Cannot change {self._what} {device.name}", str(error))
            return False
        return True

    def row_of(self, name: str) -> int:
        """The row of device ``name``, or -1."""
        return next((row for row, device in enumerate(self._devices) if device.name == name), -1)

    def name_at(self, row: int) -> str:
        return self._devices[row].name

    def rows_of(self, names: list[str]) -> QItemSelection:
        """The whole rows of the named devices (unknown names are left out), for a selection model."""
        selection = QItemSelection()
        for row in (self.row_of(name) for name in names):
            if row >= 0:
                selection.select(self.index(row, 0), self.index(row, self.enabled_column))
        return selection

    def _reload(self) -> None:
        self.beginResetModel()
        self._devices = self._source()
        self.endResetModel()


def device_table(model: DeviceTableModel) -> QTableView:
    """A table view of ``model``: whole rows selected, edited by double click or typing, columns
    stretched but the On box's."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    table.setEditTriggers(
        QAbstractItemView.EditTrigger.DoubleClicked
        | QAbstractItemView.EditTrigger.EditKeyPressed
        | QAbstractItemView.EditTrigger.AnyKeyPressed
    )
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(model.enabled_column, QHeaderView.ResizeMode.ResizeToContents)
    return table


def position_columns(move: Callable[[str, tuple[float, float, float]], None]) -> tuple[Column, ...]:
    """The x, y and z columns of devices with a ``position`` (metres); ``move(name, position)`` edits."""

    def column(axis: int) -> Column:
        header = f"{'xyz'[axis]} (m)"

        def apply(device, text: str) -> None:
            position = list(device.position)
            position[axis] = parse_number(text, header)
            move(device.name, tuple(position))

        return Column(header, lambda d: f"{d.position[axis]:.2f}", lambda d: f"{d.position[axis]:.3f}", apply)

    return tuple(column(axis) for axis in range(3))


def name_column(rename: Callable[[str, str], None]) -> Column:
    """The Name column; ``rename(old, new)`` edits."""
    return Column("Name", lambda d: d.name, lambda d: d.name, lambda d, text: rename(d.name, text), numeric=False)


def parse_number(value: object, header: str) -> float:
    """The finite number typed in the column ``header`` ("x (m)"); a comma may be the decimal mark.
    ValueError with a message naming the column otherwise."""
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{header} must be a number, got {value!r}.") from None
    if not np.isfinite(number):
        raise ValueError(f"{header} must be a finite number, got {value!r}.")
    return number
