"""A per-cell map drawn flat just above the floor, with its colour legend.

Cells without a value (NaN: outside the evaluation regions, inside solids) are not drawn.
Categorical maps (counts such as "anchors in line of sight") get one colour per integer and
integer legend labels centred on those colours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from vtkmodules.vtkCommonCore import vtkDoubleArray
from vtkmodules.vtkRenderingCore import vtkActor

OVERLAY_Z_M = 0.02
TEXT_COLOR = "#1c1f24"
#: A categorical legend labels at most this many integers (evenly spaced beyond).
MAX_CATEGORY_LABELS = 11


@dataclass(frozen=True)
class OverlayStyle:
    """How values map to colours.

    clim : (low, high) of the colour scale, in the values' unit.
    categorical : one colour per integer in [low, high].
    """

    title: str
    cmap: str
    clim: tuple[float, float]
    categorical: bool


class FloorOverlay:
    """The floor map of a viewport.

    Parameters
    ----------
    plotter : pyvista.BasePlotter
        The plotter to draw into; actors are added and removed without rendering.
    """

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._actor: vtkActor | None = None
        self._style: OverlayStyle | None = None
        self._image: np.ndarray | None = None

    @property
    def image(self) -> np.ndarray | None:
        """(H, W) float64 copy of the values shown (NaN where nothing is drawn), or None."""
        return None if self._image is None else self._image.copy()

    def show(self, grid, values: np.ndarray, style: OverlayStyle) -> None:
        """Draw ``values`` on the cells of ``grid`` (a FloorGrid), replacing the previous map.

        Parameters
        ----------
        grid : twinloc.geometry.grid.FloorGrid
        values : (M,) float, one per masked cell of ``grid``
        style : OverlayStyle
        """
        image = np.asarray(grid.to_image(np.asarray(values, dtype=float)), dtype=float)
        mesh = overlay_mesh(grid, image)
        if self._actor is not None and style == self._style and mesh.n_cells:
            self._actor.mapper.dataset = mesh
        else:
            self.clear()
            if mesh.n_cells:
                self._actor = self._add(mesh, style)
                self._style = style
        self._image = image

    def clear(self) -> None:
        """Remove the map and its legend."""
        if self._actor is not None:
            self._plotter.remove_actor(self._actor, reset_camera=False, render=False)
            if self._style.title in self._plotter.scalar_bars:
                self._plotter.remove_scalar_bar(self._style.title, render=False)
        self._actor = None
        self._style = None
        self._image = None

    def _add(self, mesh: pv.UnstructuredGrid, style: OverlayStyle) -> vtkActor:
        low, high = style.clim
        options: dict = {"clim": (low, high)}
        bar_options = {"fmt": "%.2f", "n_labels": 5}
        if style.categorical:
            count = int(round(high - low)) + 1
            options = {"clim": (low - 0.5, high + 0.5), "n_colors": count}
            bar_options = {"fmt": "%.0f", "n_labels": min(count, MAX_CATEGORY_LABELS)}
        actor = self._plotter.add_mesh(
            mesh,
            scalars="values",
            cmap=style.cmap,
            lighting=False,
            pickable=False,
            reset_camera=False,
            render=False,
            scalar_bar_args={
                "title": style.title,
                "vertical": True,
                "position_x": 0.91,
                "position_y": 0.25,
                "width": 0.035,
                "height": 0.5,
                "color": TEXT_COLOR,
                "title_font_size": 16,
                "label_font_size": 14,
                **bar_options,
            },
            **options,
        )
        if style.categorical:
            _label_integers(self._plotter.scalar_bars[style.title], int(round(low)), int(round(high)))
        return actor


def overlay_mesh(grid, image: np.ndarray) -> pv.UnstructuredGrid:
    """The cells of ``grid`` that have a value, as flat quads at :data:`OVERLAY_Z_M`.

    Parameters
    ----------
    grid : twinloc.geometry.grid.FloorGrid
        Regular cells of ``grid.resolution_m`` centred on ``x_centers`` × ``y_centers``.
    image : (H, W) float64
        Row i is ``y_centers[i]``, column j is ``x_centers[j]``; NaN cells are left out.
    """
    height, width = image.shape
    step = float(grid.resolution_m)
    cells = pv.ImageData(
        dimensions=(width + 1, height + 1, 1),
        spacing=(step, step, 1.0),
        origin=(float(grid.x_centers[0]) - step / 2, float(grid.y_centers[0]) - step / 2, OVERLAY_Z_M),
    )
    cells.cell_data["values"] = image.ravel()
    return cells.extract_cells(np.flatnonzero(np.isfinite(image.ravel())))


def _label_integers(scalar_bar, low: int, high: int) -> None:
    """Put the legend's labels on the integers low..high (centres of the category colours)."""
    step = max(1, int(np.ceil((high - low + 1) / MAX_CATEGORY_LABELS)))
    labels = vtkDoubleArray()
    for value in range(low, high + 1, step):
        labels.InsertNextValue(float(value))
    scalar_bar.SetUseCustomLabels(True)
    scalar_bar.SetCustomLabels(labels)
    scalar_bar.SetLabelFormat("%.0f")
