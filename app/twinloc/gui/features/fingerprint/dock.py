"""The Fingerprinting dock: its sections top to bottom, in the order a user works through them:
the radio map of the twin, reference points (with the virtual survey), the measured survey, the model;
then the channel dataset, learning with few labels, and the site change with its model update."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDockWidget, QWidget

from twinloc.gui.features.fingerprint.channel_section import ChannelSection
from twinloc.gui.features.fingerprint.controller import FingerprintController
from twinloc.gui.features.fingerprint.few_labels_section import FewLabelsSection
from twinloc.gui.features.fingerprint.model_section import ModelSection
from twinloc.gui.features.fingerprint.plan_section import PlanSection
from twinloc.gui.features.fingerprint.radio_section import RadioSection
from twinloc.gui.features.fingerprint.site_change_section import SiteChangeSection
from twinloc.gui.features.fingerprint.survey_section import SurveySection, VirtualSurveyBox
from twinloc.gui.widgets.forms import scroll_column


class FingerprintDock(QDockWidget):
    """Dock of the :class:`FingerprintController`.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, controller: FingerprintController, document, parent: QWidget | None = None) -> None:
        super().__init__("Fingerprinting", parent)
        self.setObjectName("FingerprintDock")
        self.radio_section = RadioSection(controller.radio)
        self.virtual_survey = VirtualSurveyBox(controller.surveys)
        self.plan_section = PlanSection(controller.plan, controller.editor, controller.draw_action, self.virtual_survey)
        self.survey_section = SurveySection(controller.surveys)
        self.model_section = ModelSection(controller.positioning)
        self.channel_section = ChannelSection(controller.channel)
        self.few_labels_section = FewLabelsSection(controller.few_labels)
        self.site_change_section = SiteChangeSection(document, controller.changes)
        sections = (self.radio_section, self.plan_section, self.survey_section, self.model_section,
                    self.channel_section, self.few_labels_section, self.site_change_section)
        for section in sections:
            section.message.connect(self.message)
        self.setWidget(scroll_column(*sections))
