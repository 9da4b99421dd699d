"""The floor stack: one owner of the floor. Layers switched from their View actions, a preview on top
that ends cleanly, results of an older input dropped; checked against what reaches the viewport."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMenu

from twinloc.geometry.floor_layer import FloorLayer, PointSet
from twinloc.geometry.grid import FloorGrid
from twinloc.gui.viewport.floor_stack import FloorStack

GRID = FloorGrid(np.arange(3) + 0.5, np.arange(2) + 0.5, 1.0, np.ones((2, 3), dtype=bool), 1.0)


class RecordingViewport:
    """The floor part of a SceneViewport, keeping what it was last asked to draw."""

    def __init__(self) -> None:
        self.map: tuple | None = None
        self.markers: tuple | None = None

    def set_floor_map(self, grid, values, title, cmap="viridis", clim=None, categorical=False) -> None:
        self.map = (title, tuple(np.asarray(values)))

    def clear_floor_map(self) -> None:
        self.map = None

    def set_floor_markers(self, items, caption="") -> None:
        self.markers = (tuple(items), caption)

    def clear_floor_markers(self) -> None:
        self.markers = None


def map_layer(title: str, value: float) -> FloorLayer:
    return FloorLayer(GRID, np.full(6, value), title)


@pytest.fixture
def floor(qtbot):
    viewport = RecordingViewport()
    stack = FloorStack(viewport)
    stack.viewport = viewport
    stack.register("los", "&LOS Map", "L", active=True)
    stack.register("error_map", "&Error Map", "E")
    return stack


def test_the_view_menu_switches_between_layers_and_can_turn_all_off(floor, qtbot):
    viewport = floor.viewport
    los, errors = floor.action("los"), floor.action("error_map")
    menu = QMenu()
    menu.addActions(floor.actions())
    assert [action.text() for action in menu.actions()] == ["&LOS Map", "&Error Map"]
    floor.publish("los", map_layer("LOS anchors", 2.0), floor.revise("los"))
    floor.publish("error_map", map_layer("Error (m)", 0.3), floor.revise("error_map"))
    assert los.isChecked() and not errors.isChecked()
    assert viewport.map == ("LOS anchors", (2.0,) * 6)

    changes = []
    floor.activeChanged.connect(changes.append)
    errors.trigger()
    assert floor.active == "error_map" and not los.isChecked() and errors.isChecked()
    assert viewport.map == ("Error (m)", (0.3,) * 6)
    errors.trigger()  # the checked one again: all off, a bare floor
    assert floor.active is None and not los.isChecked() and not errors.isChecked()
    assert viewport.map is None and viewport.markers is None
    los.trigger()
    assert viewport.map == ("LOS anchors", (2.0,) * 6)
    assert changes == ["error_map", None, "los"]


def test_a_preview_sits_on_top_and_its_end_restores_the_active_layer(floor):
    viewport = floor.viewport
    floor.publish("los", map_layer("LOS anchors", 1.0), floor.revise("los"))
    floor.show_preview("layout", map_layer("Error (m)", 0.5))
    assert floor.previewing == "layout" and viewport.map == ("Error (m)", (0.5,) * 6)
    # The active layer keeps updating underneath, unseen.
    floor.publish("los", map_layer("LOS anchors", 3.0), floor.revise("los"))
    assert viewport.map == ("Error (m)", (0.5,) * 6)
    floor.end_preview("someone else")  # only the preview's owner ends it
    assert floor.previewing == "layout"
    floor.end_preview("layout")
    assert floor.previewing is None and viewport.map == ("LOS anchors", (3.0,) * 6)


def test_the_no_anchors_caption_does_not_survive_a_preview(floor):
    viewport = floor.viewport
    floor.publish("los", FloorLayer(caption="LOS map: place anchors first"), floor.revise("los"))
    assert viewport.map is None and viewport.markers == ((), "LOS map: place anchors first")
    floor.show_preview("layout", map_layer("Error (m)", 0.5))
    assert viewport.markers is None and viewport.map == ("Error (m)", (0.5,) * 6)
    floor.end_preview("layout")
    assert viewport.map is None and viewport.markers == ((), "LOS map: place anchors first")


def test_a_result_for_an_older_input_is_dropped(floor):
    viewport = floor.viewport
    older = floor.revise("los")
    newer = floor.revise("los")  # the anchor moved again before the first map came back
    assert floor.publish("los", map_layer("LOS anchors", 2.0), newer)
    assert not floor.publish("los", map_layer("LOS anchors", 1.0), older)
    assert viewport.map == ("LOS anchors", (2.0,) * 6)
    floor.withdraw("los")  # turned off: nothing shown, and the map still computing is dropped
    assert viewport.map is None
    assert not floor.publish("los", map_layer("LOS anchors", 2.0), newer)
    assert viewport.map is None


def test_markers_replace_a_map_and_a_released_layer_gives_the_floor_back(floor):
    viewport = floor.viewport
    floor.publish("los", map_layer("LOS anchors", 1.0), floor.revise("los"))
    points = PointSet(np.array([[1.0, 1.0]]), "#ff0000", label="point")
    floor.publish("error_map", FloorLayer(markers=(points,), caption="Survey plan"), floor.revise("error_map"))
    floor.set_active("error_map")
    assert viewport.map is None and viewport.markers == ((points,), "Survey plan")
    floor.release("error_map")  # the feature cannot show it any more: the layer it replaced comes back
    assert floor.active == "los" and viewport.markers is None and viewport.map == ("LOS anchors", (1.0,) * 6)
    floor.release("error_map")  # not on: nothing changes
    assert floor.active == "los"
    with pytest.raises(ValueError, match="registered already"):
        floor.register("los", "LOS again")
