"""The Scene dock: the scene's objects by kind and its editable materials table."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QDockWidget,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinloc.geometry.materials import Material
from twinloc.geometry.scene import ObjectKind
from twinloc.gui.document import ProjectDocument
from twinloc.gui.widgets.dialogs import show_error

_KIND_LABELS = {ObjectKind.SOLID: "Solids", ObjectKind.SURFACE: "Surfaces"}
_MATERIAL_HEADERS = ("Material", "εr", "Thickness (m)", "Colour")
_NAME, _PERMITTIVITY, _THICKNESS, _COLOUR = range(4)


class SceneDock(QDockWidget):
    """Dock with the scene tree (objects grouped by kind) and the materials table.

    Material edits are validated here (permittivity >= 1, thickness >= 0) and applied with
    ``document.set_material``, so each one is a single undo step; a rejected value shows a
    message and leaves the project unchanged.
    """

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__("Scene", parent)
        self.setObjectName("SceneDock")
        self._document = document

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Object", "Material", "Triangles"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

        self.materials = QTableWidget(0, len(_MATERIAL_HEADERS))
        self.materials.setHorizontalHeaderLabels(_MATERIAL_HEADERS)
        self.materials.verticalHeader().hide()
        self.materials.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.materials.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.materials.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.materials.horizontalHeader().setSectionResizeMode(_NAME, QHeaderView.ResizeMode.Stretch)
        self.materials.setToolTip("Double-click a value to edit it; double-click a colour to pick another")
        self.materials.itemChanged.connect(self._on_item_changed)
        self.materials.itemDoubleClicked.connect(self._on_double_click)

        materials_box = QWidget()
        materials_layout = QVBoxLayout(materials_box)
        materials_layout.setContentsMargins(0, 0, 0, 0)
        materials_layout.addWidget(QLabel("Materials"))
        materials_layout.addWidget(self.materials)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tree)
        splitter.addWidget(materials_box)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)
        self.setWidget(body)

        document.sceneChanged.connect(self._show_scene)
        document.materialsChanged.connect(self._show_scene)
        document.objectsChanged.connect(self._show_scene)
        self._show_scene()

    def material_row(self, name: str) -> int:
        """The row of material ``name`` in the materials table, or -1."""
        for row in range(self.materials.rowCount()):
            if self.materials.item(row, _NAME).text() == name:
                return row
        return -1

    def _show_scene(self) -> None:
        scene = self._document.scene
        self.tree.clear()
        for kind, label in _KIND_LABELS.items():
            objects = [obj for obj in scene.objects if obj.kind is kind]
            if not objects:
                continue
            group = QTreeWidgetItem([f"{label} ({len(objects)})", "", f"{sum(o.triangle_count for o in objects):,}"])
            for obj in objects:
                item = QTreeWidgetItem([obj.name, obj.material, f"{obj.triangle_count:,}"])
                item.setIcon(1, _swatch(scene.materials[obj.material].color))
                item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                group.addChild(item)
            group.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(group)
            group.setExpanded(True)

        self.materials.blockSignals(True)
        try:
            used = sorted({obj.material for obj in scene.objects} or scene.materials)
            self.materials.setRowCount(len(used))
            for row, name in enumerate(used):
                self._fill_material_row(row, scene.materials[name])
        finally:
            self.materials.blockSignals(False)

    def _fill_material_row(self, row: int, material: Material) -> None:
        # Existing items are updated in place: this runs inside their own itemChanged signal.
        name, permittivity, thickness, colour = (self._item(row, column) for column in range(len(_MATERIAL_HEADERS)))
        name.setText(material.name)
        name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        font = name.font()
        font.setItalic(material.name in self._document.project.material_overrides)
        name.setFont(font)
        name.setToolTip("Changed in this project" if font.italic() else "")
        name.setForeground(QBrush(QColor("#7a7a7a" if material.opaque else "#202020")))
        permittivity.setText(f"{material.relative_permittivity:g}")
        thickness.setText(f"{material.thickness_m:g}")
        for item in (permittivity, thickness):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        colour.setText(material.color)
        colour.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        colour.setIcon(_swatch(material.color))
        colour.setToolTip("Double-click to choose a colour")

    def _item(self, row: int, column: int) -> QTableWidgetItem:
        item = self.materials.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            self.materials.setItem(row, column, item)
        return item

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        name = self.materials.item(item.row(), _NAME).text()
        material = self._document.scene.materials[name]
        field, what, minimum = (
            ("relative_permittivity", "Relative permittivity", 1.0)
            if item.column() == _PERMITTIVITY
            else ("thickness_m", "Thickness", 0.0)
        )
        try:
            value = float(item.text().strip().replace(",", "."))
            if not (value >= minimum and value != float("inf")):
                raise ValueError
        except ValueError:
            limit = "a number >= 1" if minimum == 1.0 else "a number of metres >= 0"
            self._show_scene()  # put the valid value back before the dialog
            show_error(self, f"Cannot change material {name}", f"{what} must be {limit}, got {item.text()!r}.")
            return
        self._apply(replace(material, **{field: value}))

    def _on_double_click(self, item: QTableWidgetItem) -> None:
        if item.column() != _COLOUR:
            return
        name = self.materials.item(item.row(), _NAME).text()
        material = self._document.scene.materials[name]
        colour = QColorDialog.getColor(QColor(material.color), self, f"Colour of {name}")
        if colour.isValid():
            self._apply(replace(material, color=colour.name()))

    def _apply(self, material: Material) -> None:
        try:
            self._document.set_material(material.name, material)
        except (KeyError, ValueError) as error:
            show_error(self, f"Cannot change material {material.name}", str(error))
        # An edit equal to the current value changes nothing and emits nothing; redraw anyway
        # so the cell shows the canonical formatting.
        self._show_scene()


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)
