"""The scene: its objects and materials in a dock on the left."""

from __future__ import annotations

from PySide6.QtCore import Qt

from twinloc.gui.feature import DockPlacement, Feature, FeatureContext, FeatureParts
from twinloc.gui.features.scene.dock import SceneDock


def _build(context: FeatureContext) -> FeatureParts:
    dock = SceneDock(context.document, context.window)
    return FeatureParts(dock=dock, placement=DockPlacement(Qt.DockWidgetArea.LeftDockWidgetArea, width=300))


FEATURE = Feature("scene", _build)
