"""Anchor layout optimization and how many anchors: a section of the Anchors dock, ghost anchors and a
previewed proposal's map."""

from __future__ import annotations

from twinloc.gui.feature import Feature, FeatureContext, FeatureParts, Section
from twinloc.gui.features.layout.controller import LayoutController
from twinloc.gui.features.layout.count_controller import CountController
from twinloc.gui.features.layout.section import OptimizeSection


def _build(context: FeatureContext) -> FeatureParts:
    controller = LayoutController(context.document, context.runner, context.viewport, context.floor, context.window)
    counts = CountController(context.document, context.runner, context.viewport, context.floor, controller, context.window)
    section = OptimizeSection(context.document, controller, counts, context.window)
    section.message.connect(lambda text: context.show_message(text, 5000))

    def shutdown() -> None:
        counts.stop()
        controller.stop()

    return FeatureParts(controller=controller, sections=(Section("anchors", "Optimize", section),), shutdown=shutdown)


FEATURE = Feature("layout", _build)
