"""Reverse ray tracing of a draggable UE, drawn in the view, and batch evaluations, with their dock."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from twinloc.gui.feature import DockPlacement, Feature, FeatureContext, FeatureParts
from twinloc.gui.features.ray_launch.controller import RayLaunchController
from twinloc.gui.features.ray_launch.dock import RayLaunchDock


def _build(context: FeatureContext) -> FeatureParts:
    controller = RayLaunchController(context.document, context.runner, context.viewport, context.window)
    show = QAction("&Ray Launch Overlay", context.window)
    show.setShortcut(QKeySequence("R"))
    show.setStatusTip("Show the base stations, the draggable UE and the reverse ray tracing result")
    show.setCheckable(True)
    dock = RayLaunchDock(context.document, controller, show, context.window)
    dock.message.connect(lambda text: context.show_message(text, 4000))
    return FeatureParts(
        controller=controller,
        dock=dock,
        placement=DockPlacement(tab_with="error_map"),
        view_actions=(show,),
        shutdown=controller.stop,
    )


FEATURE = Feature("ray_launch", _build)
