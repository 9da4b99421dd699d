"""A per-cell map drawn flat just above the floor, with its colour legend.

Cells without a value (NaN: outside the evaluation regions, inside solids) are not drawn.
Categorical maps (counts such as "anchors in line of sight") get one colour per integer and
integer legend labels centred on those colours.

The map is one rectangle textured with one texel per cell (nearest-neighbour, so cells stay
crisp), its colours looked up in the legend's own table: drawing it costs the same for 100
cells as for 250,000, where a quad per cell cost a software renderer ~75 ms a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from vtkmodules.vtkCommonCore import vtkDoubleArray
from vtkmodules.vtkRenderingCore import vtkActor

MAP_Z_M = 0.02
#: A map wider or longer than this many cells is drawn with every n-th cell (no screen shows more).
MAX_TEXTURE_CELLS = 8192
TEXT_COLOR = "#1c1f24"
#: A categorical legend labels at most this many integers (evenly spaced beyond).
MAX_CATEGORY_LABELS = 11


@dataclass(frozen=True)
class MapStyle:
    """How values map to colours.

    clim : (low, high) of the colour scale, in the values' unit.
    categorical : one colour per integer in [low, high].
    """

    title: str
    cmap: str
    clim: tuple[float, float]
    categorical: bool


class FloorMapActor:
    """The floor map of a viewport.

    Parameters
    ----------
    plotter : pyvista.BasePlotter
        The plotter to draw into; actors are added and removed without rendering.
    """

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._actor: vtkActor | None = None
        self._style: MapStyle | None = None
        self._image: np.ndarray | None = None

    @property
    def image(self) -> np.ndarray | None:
        """(H, W) float64 copy of the values shown (NaN where nothing is drawn), or None."""
        return None if self._image is None else self._image.copy()

    def show(self, grid, values: np.ndarray, style: MapStyle) -> None:
        """Draw ``values`` on the cells of ``grid`` (a FloorGrid), replacing the previous map.

        Parameters
        ----------
        grid : twinloc.geometry.grid.FloorGrid
        values : (M,) float, one per masked cell of ``grid``
        style : MapStyle
        """
        image = np.asarray(grid.to_image(np.asarray(values, dtype=float)), dtype=float)
        if not np.isfinite(image).any():
            self.clear()
        else:
            if self._actor is None or style != self._style:
                self.clear()
                self._actor = self._add(style)
                self._style = style
            stride = _stride(image.shape)
            shown = image[::stride, ::stride]
            self._actor.mapper.dataset = map_rectangle(grid, shown.shape, stride)
            self._actor.texture = cell_texture(shown, self._actor.mapper.lookup_table)
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

    def _add(self, style: MapStyle) -> vtkActor:
        """An actor whose mapper holds the legend's colour table; what it draws is set by :meth:`show`."""
        low, high = style.clim
        options: dict = {"clim": (low, high)}
        bar_options = {"fmt": "%.2f", "n_labels": 5}
        if style.categorical:
            count = int(round(high - low)) + 1
            options = {"clim": (low - 0.5, high + 0.5), "n_colors": count}
            bar_options = {"fmt": "%.0f", "n_labels": min(count, MAX_CATEGORY_LABELS)}
        # One triangle stands in for the map until show() sets the textured floor rectangle:
        # pyvista needs a mesh with scalars to build the mapper and its legend.
        stand_in = pv.PolyData(np.zeros((3, 3)), faces=[3, 0, 1, 2])
        stand_in.point_data["values"] = np.zeros(3)
        actor = self._plotter.add_mesh(
            stand_in,
            scalars="values",
            cmap=style.cmap,
            lighting=False,
            pickable=False,
            reset_camera=False,
            render=False,
            scalar_bar_args=colour_bar_args(style.title, **bar_options),
            **options,
        )
        actor.mapper.scalar_visibility = False  # the texture colours the map, the table only the legend
        if style.categorical:
            _label_integers(self._plotter.scalar_bars[style.title], int(round(low)), int(round(high)))
        return actor


def map_rectangle(grid, texels: tuple[int, int], stride: int = 1) -> pv.PolyData:
    """The rectangle under the cells of ``grid`` at :data:`MAP_Z_M`, with texture coordinates.

    Parameters
    ----------
    grid : twinloc.geometry.grid.FloorGrid
    texels : (h, w), the shape of the texture drawn on it.
    stride : int, default: 1
        Each texel stands for ``stride`` x ``stride`` cells (every n-th cell of a huge grid), so
        the rectangle spans ``stride * w`` cells and may reach a little past the grid.
    """
    step = float(grid.resolution_m)
    x0, y0 = float(grid.x_centers[0]) - step / 2, float(grid.y_centers[0]) - step / 2
    x1, y1 = x0 + texels[1] * stride * step, y0 + texels[0] * stride * step
    corners = np.array([[x0, y0, MAP_Z_M], [x1, y0, MAP_Z_M], [x1, y1, MAP_Z_M], [x0, y1, MAP_Z_M]])
    rectangle = pv.PolyData(corners, faces=[4, 0, 1, 2, 3])
    rectangle.active_texture_coordinates = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    return rectangle


def cell_texture(image: np.ndarray, table: pv.LookupTable) -> pv.Texture:
    """One RGBA texel per cell of ``image`` ((H, W), row = y), coloured by ``table``; NaN cells transparent."""
    low, high = table.scalar_range
    colours = table.values
    finite = np.isfinite(image)
    index = np.zeros(image.shape, dtype=np.int64)
    index[finite] = np.clip(((image[finite] - low) / (high - low) * len(colours)).astype(np.int64), 0, len(colours) - 1)
    rgba = colours[index]
    rgba[~finite, 3] = 0
    texels = pv.ImageData(dimensions=(image.shape[1], image.shape[0], 1))
    texels.point_data["rgba"] = rgba.reshape(-1, 4)  # row-major (y, x): VTK's x-fastest point order
    texture = pv.Texture(texels)
    texture.interpolate = False
    return texture


def _stride(shape: tuple[int, int]) -> int:
    """Draw every n-th cell along both axes so neither exceeds :data:`MAX_TEXTURE_CELLS`."""
    return max(1, -(-max(shape) // MAX_TEXTURE_CELLS))


def _label_integers(scalar_bar, low: int, high: int) -> None:
    """Put the legend's labels on the integers low..high (centres of the category colours)."""
    step = max(1, int(np.ceil((high - low + 1) / MAX_CATEGORY_LABELS)))
    labels = vtkDoubleArray()
    for value in range(low, high + 1, step):
        labels.InsertNextValue(float(value))
    scalar_bar.SetUseCustomLabels(True)
    scalar_bar.SetCustomLabels(labels)
    scalar_bar.SetLabelFormat("%.0f")


def colour_bar_args(title: str, **options) -> dict:
    """pyvista's ``scalar_bar_args`` of a colour bar at the right edge of the view, titled
    ``title``; ``options`` add or replace entries (``fmt``, ``n_labels``)."""
    return {
        "title": title,
        "vertical": True,
        "position_x": 0.91,
        "position_y": 0.25,
        "width": 0.035,
        "height": 0.5,
        "color": TEXT_COLOR,
        "title_font_size": 16,
        "label_font_size": 14,
        "render": False,
        **options,
    }
