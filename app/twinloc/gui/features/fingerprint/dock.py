"""The Fingerprinting dock: its sections top to bottom, in the order a user works through them."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDockWidget, QWidget

from twinloc.gui.features.fingerprint.controller import FingerprintController
from twinloc.gui.features.fingerprint.plan_section import PlanSection
from twinloc.gui.widgets.forms import scroll_column


class FingerprintDock(QDockWidget):
    """Dock of the :class:`FingerprintController`: reference points.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, controller: FingerprintController, parent: QWidget | None = None) -> None:
        super().__init__("Fingerprinting", parent)
        self.setObjectName("FingerprintDock")
        self.plan_section = PlanSection(controller.plan, controller.editor)
        for section in (self.plan_section,):
            section.message.connect(self.message)
        self.setWidget(scroll_column(self.plan_section))
