"""Name labels in the viewport: where they are drawn, and ghost labels kept clear of anchor labels."""

from __future__ import annotations

import numpy as np
import pytest
from test_viewport import VIEW_SIZE, hall_view, viewport  # noqa: F401

from twinloc.gui.viewport.ghosts import GhostLayout
from twinloc.gui.viewport.labels import label_boxes, place_beside
from twinloc.gui.viewport.projection import world_to_display
from twinloc.model.devices import Anchor

pytestmark = pytest.mark.gui

ANCHORS = (Anchor("A1", (2.0, 2.0, 2.0)), Anchor("A2", (9.0, 6.0, 2.0)), Anchor("A12", (6.0, 7.9, 2.0)))


def overlapping(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_place_beside_takes_the_first_free_place_around_the_point():
    # Nothing in the way: above right of the point, 3 px off.
    np.testing.assert_allclose(place_beside([(100, 100)], [(20, 10)], np.zeros((0, 4))), [[103, 103, 123, 113]])
    # Above right is taken: below right.
    np.testing.assert_allclose(place_beside([(100, 100)], [(20, 10)], [(100, 100, 130, 120)]), [[103, 87, 123, 97]])
    # All four corners taken by one wide label: just below it (3 px under its bottom at 80),
    # which is as near the point as just above it (centres 28 px away) and tried first.
    np.testing.assert_allclose(place_beside([(100, 100)], [(20, 10)], [(60, 80, 140, 120)]), [[103, 67, 123, 77]])
    # Below is blocked too: above it.
    np.testing.assert_allclose(place_beside([(100, 100)], [(20, 10)], [(60, 80, 140, 120), (90, 50, 130, 79)]), [[103, 123, 123, 133]])
    # Two labels at one point: the second takes the next corner, not the first's place.
    boxes = place_beside([(100, 100), (100, 100)], [(20, 10), (20, 10)], np.zeros((0, 4)))
    np.testing.assert_allclose(boxes, [[103, 103, 123, 113], [103, 87, 123, 97]])


def test_label_boxes_are_where_the_labels_are_drawn(hall_view):
    """The computed rectangle of a label matches the light pixels of its drawn background."""
    hall_view.plotter.set_background("black")
    hall_view.set_anchors((Anchor("A12", (6.0, 4.0, 2.0)),), set())
    hall_view.view_top()
    (box,) = hall_view.anchor_label_boxes()
    image = hall_view.screenshot()  # rows from the top; display y counts from the bottom
    height = image.shape[0]
    x0, y0, x1, y1 = (int(v) for v in box)
    window = image[height - y1 - 10 : height - y0 + 10, x0 - 10 : x1 + 10]
    rows, columns = np.nonzero(window.min(axis=2) > 200)  # the white label background, 75 % opaque
    drawn = (x0 - 10 + columns.min(), height - (height - y1 - 10 + rows.max()) - 1, x0 - 10 + columns.max() + 1, height - (height - y1 - 10 + rows.min()))
    np.testing.assert_allclose(drawn, box, atol=2.0)
    assert x1 - x0 > 20 and y1 - y0 > 12


def test_ghost_labels_keep_clear_of_anchor_labels(hall_view):
    hall_view.set_anchors(ANCHORS, set())
    ghosts = GhostLayout(hall_view.plotter, hall_view.anchor_label_boxes)
    # Ghosts on the anchors themselves and one just below and left of A2: as before, every ghost
    # label would sit on an anchor label.
    positions = np.array([a.position for a in ANCHORS] + [(8.8, 5.8, 2.0)])
    ghosts.show(positions, ["A1'", "A2'", "A12'", "A3'"])
    renderer = hall_view.plotter.renderer
    try:
        for view in (hall_view.view_top, hall_view.view_iso):
            view()
            hall_view.screenshot()  # renders on the spot: the labels are placed for this camera
            anchor_boxes = hall_view.anchor_label_boxes()
            ghost_boxes = label_boxes(renderer, ghosts.labels_actor)
            assert len(anchor_boxes) == 3 and len(ghost_boxes) == 4
            assert not any(overlapping(g, a) for g in ghost_boxes for a in anchor_boxes)
            assert not any(overlapping(ghost_boxes[i], ghost_boxes[j]) for i in range(4) for j in range(i))
            # Each label stays beside its own ghost: within two label heights of its point.
            for box, position in zip(ghost_boxes, positions, strict=True):
                x, y, _ = world_to_display(renderer, position)
                reach = 2.0 * (box[3] - box[1]) + 0.6 * (box[2] - box[0])
                assert max(box[0] - x, x - box[2], box[1] - y, y - box[3]) < reach
    finally:
        ghosts.clear()
    assert ghosts.labels_actor is None
