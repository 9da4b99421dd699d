"""Arrows, point markers and paths drawn flat just above the floor, with a caption and a legend.

The sets are :class:`~twinloc.geometry.floor_layer.ArrowSet`,
:class:`~twinloc.geometry.floor_layer.PointSet` and
:class:`~twinloc.geometry.floor_layer.PolylineSet` values. A set of arrows is drawn either in
one colour or coloured by its length, a set of points in one colour or coloured by its values
(each with its own colour bar).
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
from PySide6.QtCore import QSignalBlocker
from vtkmodules.vtkRenderingCore import vtkActor

from twinloc.geometry.floor_layer import ArrowSet, PointSet, PolylineSet
from twinloc.gui.viewport.floor_map import MAP_Z_M, TEXT_COLOR, colour_bar_args

#: Markers float this far above the floor map so they are never hidden by it.
MARKER_Z_M = MAP_Z_M + 0.04
#: Legend rows, as fractions of the view's height and width.
LEGEND_ROW_HEIGHT = 0.035
LEGEND_WIDTH = 0.2
#: Head length as a fraction of the drawn arrow, clamped to these lengths (metres).
HEAD_FRACTION = 0.35
HEAD_LENGTH_M = (0.07, 0.3)


class FloorMarkers:
    """The arrows and points of a viewport, replaced as a whole by :meth:`show`.

    Parameters
    ----------
    plotter : pyvista.BasePlotter
        The plotter to draw into; actors are added and removed without rendering.
    """

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._actors: list[vtkActor] = []
        self._bars: list[str] = []
        self._items: tuple[ArrowSet | PointSet | PolylineSet, ...] = ()
        self._caption = ""
        self._legend = False

    @property
    def items(self) -> tuple[ArrowSet | PointSet | PolylineSet, ...]:
        """The sets drawn now, in drawing order."""
        return self._items

    @property
    def caption(self) -> str:
        return self._caption

    def show(self, items, caption: str = "") -> None:
        """Draw exactly ``items`` (ArrowSet/PointSet/PolylineSet), with ``caption`` in the top-left corner."""
        self.clear()
        legend: list[tuple[str, str]] = []
        for item in items:
            if isinstance(item, ArrowSet):
                self._add_arrows(item)
            elif isinstance(item, PolylineSet):
                self._add_polyline(item)
            else:
                self._add_points(item)
            if item.label and getattr(item, "color", None) and getattr(item, "values", None) is None:
                legend.append((item.label, item.color))
        if caption:
            self._actors.append(
                self._plotter.add_text(caption, position="upper_left", font_size=11, color=TEXT_COLOR, name="twinloc-marker-caption", render=False)
            )
        if legend:
            # add_legend renders on the spot and takes no render=False: silence the plotter's
            # render signal meanwhile, so the view is drawn once, when the event loop paints.
            with QSignalBlocker(self._plotter):
                box = self._plotter.add_legend(
                    [[label, color] for label, color in legend], bcolor="white", border=True, face="circle"
                )
            # Below the caption, at the left: the right edge holds the colour bars.
            height = LEGEND_ROW_HEIGHT * len(legend)
            box.GetPositionCoordinate().SetValue(0.01, 0.93 - height)
            box.GetPosition2Coordinate().SetValue(LEGEND_WIDTH, height)
            box.SetBackgroundOpacity(0.85)
            self._legend = True
        self._items = tuple(items)
        self._caption = caption

    def clear(self) -> None:
        """Remove every marker, colour bar, caption and legend."""
        for actor in self._actors:
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        for title in self._bars:
            if title in self._plotter.scalar_bars:
                self._plotter.remove_scalar_bar(title, render=False)
        if self._legend:
            self._plotter.remove_legend(render=False)
        self._actors, self._bars, self._items, self._caption, self._legend = [], [], (), "", False

    def _add_arrows(self, arrows: ArrowSet) -> None:
        origins = np.asarray(arrows.origins, dtype=float).reshape(-1, 2)
        vectors = np.asarray(arrows.vectors, dtype=float).reshape(-1, 2)
        keep = np.all(np.isfinite(vectors), axis=1) & (np.linalg.norm(vectors, axis=1) > 0)
        if not keep.any():
            return
        origins, vectors = origins[keep], vectors[keep]
        lengths = np.linalg.norm(vectors, axis=1)
        glyphs = arrow_mesh(origins, vectors * float(arrows.scale), lengths)
        options: dict = {
            "lighting": False,
            "pickable": False,
            "reset_camera": False,
            "render": False,
            "line_width": float(arrows.width_px),
        }
        if arrows.color is not None:
            actor = self._plotter.add_mesh(glyphs, color=arrows.color, **options)
        else:
            clim = arrows.clim or (0.0, float(lengths.max()) or 1.0)
            actor = self._plotter.add_mesh(
                glyphs,
                scalars="length",
                cmap=arrows.cmap,
                clim=clim,
                scalar_bar_args=colour_bar_args(arrows.title, fmt="%.2f", n_labels=5),
                **options,
            )
            self._bars.append(arrows.title)
        self._actors.append(actor)

    def _add_points(self, points: PointSet) -> None:
        xy = np.asarray(points.points, dtype=float).reshape(-1, 2)
        if not len(xy):
            return
        cloud = pv.PolyData(np.column_stack([xy, np.full(len(xy), MARKER_Z_M)]))
        options: dict = {
            "point_size": points.size_px,
            "render_points_as_spheres": True,
            "lighting": False,
            "pickable": False,
            "reset_camera": False,
            "render": False,
        }
        values = None if points.values is None else np.asarray(points.values, dtype=float).reshape(-1)
        if values is None or not np.isfinite(values).any():
            self._actors.append(self._plotter.add_mesh(cloud, color=points.color, **options))
            return
        finite = values[np.isfinite(values)]
        cloud.point_data["value"] = values
        self._actors.append(
            self._plotter.add_mesh(
                cloud,
                scalars="value",
                cmap=points.cmap,
                clim=points.clim or (float(finite.min()), float(finite.max()) if finite.max() > finite.min() else float(finite.min()) + 1.0),
                nan_color=points.color,
                scalar_bar_args=colour_bar_args(points.title, fmt="%.1f", n_labels=5),
                **options,
            )
        )
        self._bars.append(points.title)

    def _add_polyline(self, path: PolylineSet) -> None:
        xy = np.asarray(path.points, dtype=float).reshape(-1, 2)
        if len(xy) < 2:
            return
        points = np.column_stack([xy, np.full(len(xy), MARKER_Z_M)])
        line = pv.PolyData(points, lines=np.concatenate([[len(xy)], np.arange(len(xy))]))
        self._actors.append(
            self._plotter.add_mesh(
                line, color=path.color, line_width=float(path.width_px), lighting=False, pickable=False,
                reset_camera=False, render=False,
            )
        )



def arrow_mesh(origins: np.ndarray, drawn: np.ndarray, values: np.ndarray) -> pv.PolyData:
    """Flat arrows at :data:`MARKER_Z_M`: a line shaft and a triangular head each.

    origins : (N, 2) metres; drawn : (N, 2) metres, the arrows as drawn (non-zero);
    values : (N,) copied to both cells of each arrow as cell data "length".
    """
    count = len(origins)
    length = np.linalg.norm(drawn, axis=1)
    along = drawn / length[:, None]
    across = np.column_stack([-along[:, 1], along[:, 0]])
    head = np.minimum(np.clip(HEAD_FRACTION * length, *HEAD_LENGTH_M), length)
    tip = origins + drawn
    base = tip - along * head[:, None]
    corners = np.stack(
        [origins, base, tip, base + across * (0.45 * head)[:, None], base - across * (0.45 * head)[:, None]], axis=1
    )  # (N, 5, 2)
    points = np.column_stack([corners.reshape(-1, 2), np.full(5 * count, MARKER_Z_M)])
    first = 5 * np.arange(count)
    lines = np.column_stack([np.full(count, 2), first, first + 1]).ravel()
    faces = np.column_stack([np.full(count, 3), first + 2, first + 3, first + 4]).ravel()
    mesh = pv.PolyData(points, faces=faces, lines=lines)
    mesh.cell_data["length"] = np.concatenate([values, values])  # VTK orders line cells before polygons
    return mesh

