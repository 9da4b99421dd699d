"""The LOS map on the floor: computed, followed through edits and drags, a caption without anchors,
and never held up by a long run."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from fixtures_window import autosave_store, drag_world, make_window, open_floor_point, wait_for_floor_map, window, window_settings  # noqa: F401

from twinloc.compute.jobs import ComputePool, Job
from twinloc.gui.features.los.layers import LEGEND_TITLE
from twinloc.gui.tasks import LIVE, LONG

pytestmark = pytest.mark.gui


def test_los_map_appears_and_follows_anchor_moves(window, qtbot):
    values = wait_for_floor_map(qtbot, window)
    finite = values[np.isfinite(values)]
    assert finite.size > 0
    assert finite.min() >= 0 and finite.max() <= 3
    assert np.all(finite == np.round(finite))
    assert window.feature("los").controller.los_map is not None
    assert not window.document.is_modified  # recomputing never dirties the project

    anchor = window.document.project.anchors[0]
    x, y = open_floor_point(window.document.scene)
    window.document.move_anchor(anchor.name, (x, y, 0.3))
    changed = wait_for_floor_map(qtbot, window, previous=values)
    assert not np.array_equal(changed, values, equal_nan=True)

    window.floor.action("los").trigger()
    assert window.viewport.floor_map_values() is None
    window.floor.action("los").trigger()
    wait_for_floor_map(qtbot, window)

    window.feature("los").view_actions[0].trigger()
    assert window.document.project.results[-1].kind == "los_map"
    assert window.document.project.results[-1].summary["anchors"] == 3



def test_drag_preview_recomputes_without_changing_document(window, qtbot):
    values = wait_for_floor_map(qtbot, window)
    anchor = window.document.project.anchors[0]
    x, y = open_floor_point(window.document.scene)
    window.viewport.anchorDragPreview.emit(anchor.name, (x, y, 0.3))
    wait_for_floor_map(qtbot, window, previous=values)
    assert window.document.anchor(anchor.name) == anchor
    assert window.document.undo_stack.count() == 0



def test_los_map_without_anchors_shows_a_caption_not_a_map(make_window, qtbot):
    """industrial_hall has no anchors: no all-zero floor with a 0-1 legend, but a caption saying what to do."""
    window = make_window("industrial_hall")
    assert window.document.project.anchors == () and window.floor.action("los").isChecked()
    qtbot.waitUntil(lambda: "place anchors" in window.viewport.floor_markers_caption())
    assert window.viewport.floor_map_values() is None and window.feature("los").controller.los_map is None
    assert LEGEND_TITLE not in window.viewport.plotter.scalar_bars

    # One anchor: the map and its legend appear, the caption goes.
    window.document.add_anchor((4.0, 9.0, 2.0))
    values = wait_for_floor_map(qtbot, window)
    finite = values[np.isfinite(values)]
    assert set(np.unique(finite)) <= {0.0, 1.0} and (finite == 1.0).any()
    assert LEGEND_TITLE in window.viewport.plotter.scalar_bars
    assert window.viewport.floor_markers_caption() == ""

    # No anchors again: back to the caption.
    window.action_undo.trigger()
    qtbot.waitUntil(lambda: window.viewport.floor_map_values() is None)
    assert "place anchors" in window.viewport.floor_markers_caption()
    assert LEGEND_TITLE not in window.viewport.plotter.scalar_bars



def test_a_long_task_does_not_delay_the_los_map_of_a_drag(make_window, qtbot):
    """One thread per lane, the long one held by a run that waits for the test: the drag's map still comes."""
    window = make_window(lanes={LIVE: ComputePool(max_workers=1), LONG: ComputePool(max_workers=1)})
    started, release = threading.Event(), threading.Event()
    try:
        wait_for_floor_map(qtbot, window)
        long_run = window.runner.submit(Job("Long run", lambda progress, cancel: started.set() or release.wait(60)), lane=LONG)
        assert started.wait(10)
        window.viewport.view_top()
        anchor = window.document.project.anchors[0]
        x, y = open_floor_point(window.document.scene)
        drag_world(window, np.array(anchor.position), np.array([x, y, anchor.position[2]]))
        qtbot.waitUntil(lambda: window.document.anchor(anchor.name).position != anchor.position, timeout=3000)
        moved = window.document.anchor(anchor.name).position

        def shows_the_moved_anchor() -> bool:
            los_map = window.feature("los").controller.los_map
            return los_map is not None and np.allclose(los_map.anchor_positions[0], moved)

        qtbot.waitUntil(shows_the_moved_anchor, timeout=20000)
        assert long_run.running and not release.is_set()
    finally:
        release.set()
