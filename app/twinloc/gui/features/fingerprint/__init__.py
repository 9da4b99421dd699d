"""Fingerprinting: radio maps of the twin, reference-point plans, surveys, calibration and positioning models."""

from __future__ import annotations

from twinloc.gui.feature import DockPlacement, Feature, FeatureContext, FeatureParts
from twinloc.gui.features.fingerprint.controller import LAYERS, FingerprintController
from twinloc.gui.features.fingerprint.dock import FingerprintDock


def _build(context: FeatureContext) -> FeatureParts:
    for key, (title, tip) in LAYERS.items():
        context.floor.register(key, title, tip=tip)
    controller = FingerprintController(context.document, context.runner, context.viewport, context.floor, context.window)
    dock = FingerprintDock(controller, context.document, context.window)
    dock.message.connect(lambda text: context.show_message(text, 4000))
    return FeatureParts(
        controller=controller, dock=dock, placement=DockPlacement(tab_with="training"),
        tool_actions=(controller.draw_action,), readout=controller.readout,
        shutdown=controller.stop,
    )


FEATURE = Feature("fingerprint", _build)
