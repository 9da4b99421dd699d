"""What a floor shows: a per-cell map with its legend, and markers with a caption.

A :class:`FloorLayer` is a plain value: the GUI's floor stack decides which layer is on the
floor and draws it, and a feature builds the layer from its results without knowing how
(or whether) it is drawn. Error vectors are centimetres to metres long while the floor is
tens of metres wide, so arrows are drawn ``scale`` times their true length; the caption
says by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinloc.geometry.grid import FloorGrid


@dataclass(frozen=True, eq=False)
class ArrowSet:
    """Arrows from ``origins`` along ``vectors``.

    origins : (N, 2) float64, metres on the floor.
    vectors : (N, 2) float64, metres (the true length; drawn ``scale`` times longer).
    scale : float, drawn metres per metre of vector.
    color : str or None, default: None
        One colour for every arrow; None colours them by length with ``cmap``/``clim``
        and a colour bar titled ``title``.
    label : str, default: ""
        Legend entry (only for one-colour sets).
    width_px : float, default: 2.5
        Width of the shafts, pixels.
    """

    origins: np.ndarray
    vectors: np.ndarray
    scale: float
    color: str | None = None
    cmap: str = "viridis"
    clim: tuple[float, float] | None = None
    title: str = "Error (m)"
    label: str = ""
    width_px: float = 2.5


@dataclass(frozen=True, eq=False)
class PointSet:
    """Round markers at ``points`` ((N, 2) float64, metres), ``size_px`` pixels wide.

    color : str
        Their colour, unless ``values`` colours them.
    values : (N,) float64 or None, default: None
        One value per point: the points are coloured by it with ``cmap``/``clim`` and a colour
        bar titled ``title`` (so do not combine them with a floor map); NaN points get ``color``.
    """

    points: np.ndarray
    color: str
    size_px: float = 5.0
    label: str = ""
    values: np.ndarray | None = None
    cmap: str = "viridis"
    clim: tuple[float, float] | None = None
    title: str = ""


@dataclass(frozen=True, eq=False)
class PolylineSet:
    """A path through ``points`` ((N, 2) float64, metres, N >= 2) in one colour, ``width_px`` wide."""

    points: np.ndarray
    color: str
    width_px: float = 2.0
    label: str = ""


@dataclass(frozen=True, eq=False)
class FloorLayer:
    """One thing the floor can show.

    grid : FloorGrid or None, default: None
        The cells of ``values``; None: no map (markers and caption only).
    values : (M,) float64 or None, default: None
        One value per masked cell of ``grid``, in the map's unit; NaN cells are not drawn.
    legend_title : str, default: ""
        The colour bar's title, with the unit ("Error (m)").
    cmap : str, default: "viridis"
        A matplotlib colormap name.
    clim : (float, float) or None, default: None
        Colour range; None: the finite range of ``values``.
    categorical : bool, default: False
        One colour per integer in ``clim`` (e.g. the number of anchors in line of sight).
    markers : tuple of ArrowSet, PointSet or PolylineSet, default: ()
        Drawn just above the map; one-colour sets with a label get a legend entry, arrows
        coloured by length and points coloured by value a colour bar (so do not combine those
        with a map).
    caption : str, default: ""
        A note in the view's top-left corner (e.g. the arrows' scale, or what to do first).

    Raises
    ------
    ValueError
        ``values`` without ``grid`` (or the reverse), or not one value per masked cell.
    """

    grid: FloorGrid | None = None
    values: np.ndarray | None = None
    legend_title: str = ""
    cmap: str = "viridis"
    clim: tuple[float, float] | None = None
    categorical: bool = False
    markers: tuple[ArrowSet | PointSet | PolylineSet, ...] = ()
    caption: str = ""

    def __post_init__(self) -> None:
        if (self.grid is None) != (self.values is None):
            raise ValueError("a floor layer's map needs both a grid and its values")
        if self.grid is not None and np.shape(self.values) != (self.grid.cell_count,):
            raise ValueError(f"a floor map needs one value per cell: {self.grid.cell_count} cells, values {np.shape(self.values)}")

    @property
    def has_map(self) -> bool:
        """True when the layer colours the floor's cells."""
        return self.grid is not None


def nice_scale(value: float) -> float:
    """The number of the form 1, 2 or 5 × 10^k nearest to ``value`` (> 0) on a log scale."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exponent = np.floor(np.log10(value))
    candidates = np.array([1.0, 2.0, 5.0, 10.0]) * 10**exponent
    return float(candidates[np.argmin(np.abs(np.log(candidates / value)))])
