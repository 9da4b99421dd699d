"""Material calibration: fit the twin's permittivities to measured ranges or positions, accept them into the project."""

from __future__ import annotations

from twinloc.gui.feature import DockPlacement, Feature, FeatureContext, FeatureParts
from twinloc.gui.features.calibration.controller import CalibrationController
from twinloc.gui.features.calibration.dock import CalibrationDock


def _build(context: FeatureContext) -> FeatureParts:
    controller = CalibrationController(context.document, context.runner, context.window)
    dock = CalibrationDock(controller, context.window)
    dock.message.connect(lambda text: context.show_message(text, 5000))
    return FeatureParts(controller=controller, dock=dock, placement=DockPlacement(tab_with="training"),
                        shutdown=controller.cancel)


FEATURE = Feature("calibration", _build)
