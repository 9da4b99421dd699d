"""Error mitigation training: data, runs, model files, and the mitigated map as the floor layer "mitigated_map"."""

from __future__ import annotations

from twinloc.gui.feature import DockPlacement, Feature, FeatureContext, FeatureParts
from twinloc.gui.features.training.controller import MAP_KEY, TrainingController
from twinloc.gui.features.training.dock import TrainingDock


def _build(context: FeatureContext) -> FeatureParts:
    context.floor.register(MAP_KEY, "&Mitigated Error Map", tip="Show the error left after the trained model (Training dock)")
    controller = TrainingController(context.document, context.runner, context.floor, context.window)
    dock = TrainingDock(controller, context.window)
    dock.message.connect(lambda text: context.show_message(text, 5000))
    return FeatureParts(
        controller=controller, dock=dock, placement=DockPlacement(tab_with="ray_launch"), shutdown=controller.stop
    )


FEATURE = Feature("training", _build)
