"""The positioning-error map: the floor layer "error_map" in its display modes, and its dock."""

from __future__ import annotations

from twinloc.gui.feature import DockPlacement, Feature, FeatureContext, FeatureParts
from twinloc.gui.features.error_map.controller import KEY, ErrorMapController
from twinloc.gui.features.error_map.dock import ErrorMapDock
from twinloc.gui.features.live_map import floor_summary
from twinloc.uwb.error_map import ErrorMap


def _build(context: FeatureContext) -> FeatureParts:
    show = context.floor.register(
        KEY, "&Error Map", "E", "Show the positioning error map on the floor (settings in the Error Map dock)"
    )
    show.setIconText("Error Map")
    controller = ErrorMapController(context.document, context.runner, context.floor, context.window)
    dock = ErrorMapDock(context.document, controller, show, context.viewport, context.window)
    dock.message.connect(lambda text: context.show_message(text, 4000))
    context.viewport.anchorDragPreview.connect(controller.preview_anchor)

    def show_readout(point) -> None:
        dock.show_readout((controller.readout(point[0], point[1]) if point is not None else None) or "")

    context.viewport.cursorMoved.connect(show_readout)

    def mean_error(error_map: ErrorMap) -> str:
        located = ~error_map.degenerate
        return f"mean positioning error {float(error_map.cell_error[located].mean()):.2f} m" if located.any() else ""

    return FeatureParts(
        controller=controller,
        dock=dock,
        placement=DockPlacement(below="anchors", height=595),
        tool_actions=(show,),
        summary=lambda: floor_summary(controller.error_map, mean_error),
        summary_changed=controller.updated,
        readout=controller.readout,
        shutdown=controller.stop,
    )


FEATURE = Feature("error_map", _build)
