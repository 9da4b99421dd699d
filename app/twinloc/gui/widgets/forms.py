"""Widgets the docks share: a scrolling column of sections, buttons and rows of them, spin
boxes for quantities, tables sized to their rows."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLayout,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)


def scroll_column(*sections: QWidget | QLayout) -> QScrollArea:
    """``sections`` top to bottom, with stretch below, in a vertically scrolling area.

    The area is at least as wide as the sections need, so a narrow dock scrolls instead of
    squeezing its controls.
    """
    layout = QVBoxLayout()
    layout.setContentsMargins(6, 6, 6, 6)
    for section in sections:
        if isinstance(section, QLayout):
            layout.addLayout(section)
        else:
            layout.addWidget(section)
    layout.addStretch(1)
    body = QWidget()
    body.setLayout(layout)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(body)
    scroll.setMinimumWidth(body.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
    return scroll


def quantity_spin(low: float, high: float, step: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    """A spin box for a quantity in [low, high]; it reports a value only when editing ends,
    so typing "1.25" does not recompute for 1, 1.2 and 1.25."""
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)
    return spin


def int_spin(low: int, high: int, value: int, tip: str = "", suffix: str = "") -> QSpinBox:
    """A spin box for a count in [low, high] starting at ``value``; like :func:`quantity_spin`
    it reports a value only when editing ends."""
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)
    return spin


def fit_rows(table: QTableWidget, rows: int, scroll_bar: bool = False) -> None:
    """Fix ``table``'s height to show its header and ``rows`` rows (and a horizontal scroll
    bar when ``scroll_bar``), so a dock never squeezes it to a row or two."""
    height = table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
    if scroll_bar:
        height += table.horizontalScrollBar().sizeHint().height()
    table.setFixedHeight(height + 2 * table.frameWidth())


def push_button(text: str, tip: str, on_click: Callable[[], object]) -> QPushButton:
    """A button labelled ``text`` with tooltip ``tip`` that calls ``on_click`` when clicked."""
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(on_click)
    return button


def button_row(*widgets: QWidget) -> QHBoxLayout:
    """``widgets`` side by side, left-aligned (stretch after them)."""
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row
