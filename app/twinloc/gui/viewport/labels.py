"""Where the viewport's point labels stand on the screen, and places for labels that overlap none.

The name labels of anchors and ghosts are drawn by VTK's label placement mapper (pyvista's
``add_point_labels``): each label is its text's bounding box placed at the projected point,
widened on every side by the mapper's margin. :func:`label_boxes` computes those rectangles
the way the mapper does; :func:`place_beside` finds rectangles next to given points that
keep clear of others.
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingCore import vtkActor2D, vtkRenderer
from vtkmodules.vtkRenderingLabel import vtkFreeTypeLabelRenderStrategy

from twinloc.gui.viewport.projection import world_to_display

#: Pixels left between a label and its point, and between two labels placed apart.
LABEL_GAP_PX = 3.0


def label_boxes(renderer: vtkRenderer, labels_actor: vtkActor2D | None) -> np.ndarray:
    """The screen rectangles of the labels an ``add_point_labels`` actor draws.

    Parameters
    ----------
    renderer : vtkRenderer
        The renderer whose camera projects the labels' points.
    labels_actor : vtkActor2D or None
        The actor ``add_point_labels`` returned (``always_visible=True``: one label per point).

    Returns
    -------
    (N, 4) float64
        (x0, y0, x1, y1) per label in display pixels (origin bottom-left); empty when None.
    """
    if labels_actor is None:
        return np.zeros((0, 4))
    mapper = labels_actor.GetMapper()
    hierarchy = mapper.GetInputAlgorithm()
    points = hierarchy.GetInputDataObject(0, 0)
    texts = points.GetPointData().GetAbstractArray(hierarchy.GetLabelArrayName())
    extents = text_extents(renderer, hierarchy.GetTextProperty(), [texts.GetValue(i) for i in range(texts.GetNumberOfValues())])
    margin = mapper.GetMargin()
    boxes = np.empty((points.GetNumberOfPoints(), 4))
    for index in range(points.GetNumberOfPoints()):
        x, y, _depth = world_to_display(renderer, points.GetPoint(index))
        boxes[index] = _box_at(np.floor([x, y]), extents[index], margin)
    return boxes


def text_extents(renderer: vtkRenderer, text_property, texts: list[str]) -> np.ndarray:
    """(N, 4) float64: each text's bounding box (x0, x1, y0, y1) relative to its label point,
    display pixels, as the label mapper measures it."""
    strategy = vtkFreeTypeLabelRenderStrategy()
    strategy.SetRenderer(renderer)
    extents = np.zeros((len(texts), 4))
    for index, text in enumerate(texts):
        bounds = [0.0] * 4
        strategy.ComputeLabelBounds(text_property, text, bounds)
        extents[index] = bounds
    strategy.SetRenderer(None)
    return extents


def label_point_for(box, extent, margin: float) -> np.ndarray:
    """(2,) float64: the display point at which a label of text ``extent`` (x0, x1, y0, y1)
    and ``margin`` fills the rectangle ``box`` (x0, y0, x1, y1); inverse of the mapper's placement."""
    return np.array([box[0] + margin - extent[0], box[1] + margin - extent[2]])


def place_beside(points, sizes, obstacles, gap: float = LABEL_GAP_PX) -> np.ndarray:
    """Rectangles next to ``points`` that overlap no obstacle and no other placed rectangle.

    Each label first tries the corner positions around its point (above right, as labels
    usually stand, then below right, above left, below left) and otherwise the place just
    below or above another rectangle nearest its point, to the right of it, then to the left.
    Above the highest rectangle is always free, so a place is always found.

    Parameters
    ----------
    points : (N, 2) float, display pixels
    sizes : (N, 2) float, width and height of each rectangle, pixels
    obstacles : (K, 4) float, rectangles (x0, y0, x1, y1) to keep clear of, pixels
    gap : float
        Pixels kept between a rectangle and its point and between any two rectangles.

    Returns
    -------
    (N, 4) float64
        (x0, y0, x1, y1) per point, placed in order (earlier points get the nearer places).
    """
    taken = [np.asarray(box, dtype=float) for box in np.asarray(obstacles, dtype=float).reshape(-1, 4)]
    placed = np.zeros((len(points), 4))
    for index, ((x, y), (width, height)) in enumerate(zip(np.asarray(points, float), np.asarray(sizes, float), strict=True)):
        for x0, y0 in _candidates(x, y, width, height, taken, gap):
            box = np.array([x0, y0, x0 + width, y0 + height])
            if not any(_overlap(box, other, gap) for other in taken):
                break
        placed[index] = box
        taken.append(box)
    return placed


def _candidates(x: float, y: float, width: float, height: float, taken: list[np.ndarray], gap: float):
    """Lower-left corners to try for a ``width`` x ``height`` label of the point (x, y), in order."""
    right, left = x + gap, x - gap - width
    yield from ((right, y + gap), (right, y - gap - height), (left, y + gap), (left, y - gap - height))
    slots = list(dict.fromkeys([box[1] - gap - height for box in taken] + [box[3] + gap for box in taken]))
    for y0 in sorted(slots, key=lambda y0: abs(y0 + height / 2 - y)):
        yield right, y0
        yield left, y0


def _box_at(point, extent, margin: float) -> np.ndarray:
    return np.array([point[0] + extent[0] - margin, point[1] + extent[2] - margin, point[0] + extent[1] + margin, point[1] + extent[3] + margin])


def _overlap(a: np.ndarray, b: np.ndarray, gap: float) -> bool:
    """Whether rectangles a and b come closer than ``gap`` pixels (or overlap)."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap
