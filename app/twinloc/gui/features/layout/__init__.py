"""Anchor layout optimization: a section of the Anchors dock, ghost anchors and a previewed proposal's map."""

from __future__ import annotations

from twinloc.gui.feature import Feature, FeatureContext, FeatureParts, Section
from twinloc.gui.features.layout.controller import LayoutController
from twinloc.gui.features.layout.section import OptimizeSection


def _build(context: FeatureContext) -> FeatureParts:
    controller = LayoutController(context.document, context.runner, context.viewport, context.floor, context.window)
    section = OptimizeSection(context.document, controller, context.window)
    section.message.connect(lambda text: context.show_message(text, 5000))
    return FeatureParts(
        controller=controller, sections=(Section("anchors", "Optimize", section),), shutdown=controller.stop
    )


FEATURE = Feature("layout", _build)
