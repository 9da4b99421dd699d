"""The line-of-sight map: the floor layer "los" (on at start-up) and its summary in the project."""

from __future__ import annotations

from PySide6.QtGui import QAction

from twinloc.gui.feature import Feature, FeatureContext, FeatureParts
from twinloc.gui.features.live_map import floor_summary
from twinloc.gui.features.los.controller import KEY, LosMapController
from twinloc.gui.widgets.dialogs import show_error
from twinloc.uwb.visibility import LosMap

#: Share of the floor that must see this many anchors for a 2D fix.
FIX_ANCHORS = 3


def _build(context: FeatureContext) -> FeatureParts:
    show = context.floor.register(KEY, "&LOS Map", "L", "Colour the floor by anchors in line of sight", active=True)
    show.setIconText("LOS")
    controller = LosMapController(context.document, context.runner, context.floor, context.window)
    context.viewport.anchorDragPreview.connect(controller.preview_anchor)

    record = QAction("&Record LOS Summary in Project", context.window)
    record.setStatusTip("Keep the current LOS statistics with the project")

    def record_summary() -> None:
        if controller.record_summary():
            context.show_message("LOS summary recorded in the project", 4000)
        else:
            show_error(context.window, "No LOS map", "Turn the LOS map on (View ▸ LOS Map) and wait for it to be computed first.")

    record.triggered.connect(record_summary)

    def coverage(los_map: LosMap) -> str:
        return f"{float((los_map.los_count >= FIX_ANCHORS).mean()):.0%} of the floor sees ≥ {FIX_ANCHORS} anchors"

    return FeatureParts(
        controller=controller,
        view_actions=(record,),
        tool_actions=(show,),
        summary=lambda: floor_summary(controller.los_map, coverage),
        summary_changed=controller.updated,
        shutdown=controller.stop,
    )


FEATURE = Feature("los", _build)
