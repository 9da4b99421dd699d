"""The anchors and access points: their tables and the mounting height of new ones, in a dock that
hosts other features' sections."""

from __future__ import annotations

from twinloc.gui.feature import DockPlacement, Feature, FeatureContext, FeatureParts
from twinloc.gui.features.anchors.access_points import AccessPointsPanel
from twinloc.gui.features.anchors.dock import AnchorsDock


def _build(context: FeatureContext) -> FeatureParts:
    dock = AnchorsDock(context.document, context.window)
    dock.access_points = AccessPointsPanel(context.document, context.viewport)
    dock.add_section("Access points", dock.access_points)
    return FeatureParts(dock=dock, placement=DockPlacement(width=390, height=285))


FEATURE = Feature("anchors", _build)
