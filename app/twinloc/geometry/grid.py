"""The floor grid that maps are computed on: cell centres over the evaluation regions.

The cell size is the project's choice or, by default, adapted to the floor: the finest of
:data:`RESOLUTION_STEPS_M` whose grid has at most :data:`FLOOR_CELL_BUDGET` cells, so a
room gets 10 cm cells and an imported city block a few metres, and every map stays quick
to compute and to draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinloc.geometry.scene import ObjectKind, Scene

MAX_CELLS = 20_000_000
"""The most cells a floor grid may have at any resolution (its rectangle, before masking)."""
FLOOR_CELL_BUDGET = 250_000
"""The most cells the adaptive resolution allows (a 50 m x 50 m floor at 0.1 m, 500 m x 500 m at 1 m)."""
RESOLUTION_STEPS_M = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0)
"""Cell sizes the adaptive resolution chooses from, metres, finest first."""


@dataclass(frozen=True, eq=False)
class FloorGrid:
    """A regular grid of cells at one height, masked to the area of interest.

    x_centers : (W,) float64, metres, increasing.
    y_centers : (H,) float64, metres, increasing.
    z_m : height of every cell centre, metres (the tag height).
    mask : (H, W) bool, row = y index; True for the cells maps are computed on.
    resolution_m : cell edge length, metres.
    empty_reason : when no cell is masked, why, and what to change; "" otherwise.
    """

    x_centers: np.ndarray
    y_centers: np.ndarray
    z_m: float
    mask: np.ndarray
    resolution_m: float
    empty_reason: str = ""

    @property
    def points(self) -> np.ndarray:
        """(M, 3) float64, metres: centres of the masked cells, row-major (y, then x)."""
        rows, cols = np.nonzero(self.mask)
        return np.column_stack([self.x_centers[cols], self.y_centers[rows], np.full(rows.size, float(self.z_m))])

    @property
    def cell_count(self) -> int:
        """M, the number of masked cells."""
        return int(np.count_nonzero(self.mask))

    def to_image(self, values) -> np.ndarray:
        """Spread per-cell values back onto the grid.

        Parameters
        ----------
        values : (M,) float, one per masked cell in ``points`` order

        Returns
        -------
        (H, W) float64, NaN outside the mask
        """
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (self.cell_count,):
            raise ValueError(f"expected {self.cell_count} values (one per cell), got shape {values.shape}")
        image = np.full(self.mask.shape, np.nan)
        image[self.mask] = values
        return image

    @classmethod
    def over_regions(cls, scene: Scene, resolution_m: float = 0.1, tag_height_m: float | None = None, engine=None) -> FloorGrid:
        """The grid over a scene's evaluation regions.

        Parameters
        ----------
        scene : Scene
            Cells whose centres lie inside any evaluation polygon are kept; a scene with
            none uses the floor rectangle of its bounding box.
        resolution_m : float, default: 0.1
            Cell edge length, metres, > 0.
        tag_height_m : float, optional
            Height of the cells; default: the scene's tag height.
        engine : RayEngine, optional
            When given, cells whose centre lies inside a SOLID object at that height are
            dropped (a centre on a solid's face is kept).

        Raises
        ------
        ValueError
            The resolution is not a positive finite number or would make too many cells.
        """
        if not (isinstance(resolution_m, (int, float)) and math.isfinite(resolution_m) and resolution_m > 0.0):
            raise ValueError(f"grid resolution must be a positive number of metres, got {resolution_m!r}")
        z = float(scene.tag_height_m if tag_height_m is None else tag_height_m)
        if not math.isfinite(z):
            raise ValueError(f"tag height must be finite, got {tag_height_m!r}")
        low, high, polygons = floor_footprint(scene)
        counts = cell_counts(low, high, resolution_m)
        if counts[0] * counts[1] > MAX_CELLS:
            raise ValueError(
                f"grid resolution {resolution_m} m is too fine for this scene: "
                f"{counts[0]} x {counts[1]} cells (at most {MAX_CELLS}); choose a coarser one, "
                f"e.g. the automatic {adaptive_resolution(scene):g} m"
            )
        x_centers = low[0] + (np.arange(counts[0]) + 0.5) * resolution_m
        y_centers = low[1] + (np.arange(counts[1]) + 0.5) * resolution_m
        xx, yy = np.meshgrid(x_centers, y_centers)
        flat = np.column_stack([xx.ravel(), yy.ravel()])
        inside = np.zeros(len(flat), dtype=bool)
        for polygon in polygons:
            inside |= points_in_polygon(flat, polygon)
        candidates = np.column_stack([flat[inside], np.full(np.count_nonzero(inside), z)])
        if engine is not None:
            inside[np.flatnonzero(inside)[engine.points_inside_solids(candidates)]] = False
        return cls(
            x_centers=x_centers,
            y_centers=y_centers,
            z_m=z,
            mask=inside.reshape(counts[1], counts[0]),
            resolution_m=float(resolution_m),
            empty_reason="" if inside.any() else _empty_reason(scene, candidates, float(resolution_m), z),
        )


def _empty_reason(scene: Scene, candidates: np.ndarray, resolution_m: float, z: float) -> str:
    """Why a grid has no cell: none in the evaluation regions, or every one inside a solid."""
    if len(candidates) == 0:
        return (
            f"no floor cell: no cell centre of the {resolution_m:g} m grid lies in an evaluation region "
            f"(regions smaller than a cell?); choose a finer resolution or larger regions"
        )
    covering = [
        obj.name
        for obj in scene.objects
        if obj.kind is ObjectKind.SOLID and np.all((candidates >= obj.bounds[0]) & (candidates <= obj.bounds[1]), axis=1).any()
    ]
    shown = ", ".join(repr(name) for name in covering[:3]) + (" ..." if len(covering) > 3 else "")
    return (
        f"no floor cell: every cell at tag height {z:g} m lies inside a solid ({shown}). A room given as "
        f"one closed solid has no floor inside: declare its walls, floor and ceiling as surfaces, or open it "
        f"as a mesh or Mitsuba file (a closed shell around the scene becomes the room's envelope); "
        f"or change the tag height"
    )


def adaptive_resolution(scene: Scene) -> float:
    """The default cell size of ``scene``'s floor maps, metres.

    The finest of :data:`RESOLUTION_STEPS_M` whose grid over the floor (the rectangle
    around the evaluation regions, or the scene's footprint without them) has at most
    :data:`FLOOR_CELL_BUDGET` cells; the coarsest step for a floor too big for any.
    """
    low, high, _polygons = floor_footprint(scene)
    for step in RESOLUTION_STEPS_M:
        columns, rows = cell_counts(low, high, step)
        if columns * rows <= FLOOR_CELL_BUDGET:
            return step
    return RESOLUTION_STEPS_M[-1]


def adaptive_resolution_note(scene: Scene) -> str:
    """Why the adaptive resolution of ``scene`` is what it is, in the user's words.

    E.g. "adapted to the 854 m × 676 m floor (at most 250,000 cells)".
    """
    low, high, _polygons = floor_footprint(scene)
    width, depth = (_metres(float(high[i] - low[i])) for i in range(2))
    return f"adapted to the {width} m × {depth} m floor (at most {FLOOR_CELL_BUDGET:,} cells)"


def grid_resolution(scene: Scene, chosen_m: float | None) -> float:
    """The cell size floor maps of ``scene`` use, metres: ``chosen_m``, or the adaptive one when None."""
    return adaptive_resolution(scene) if chosen_m is None else float(chosen_m)


def floor_footprint(scene: Scene) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Where a floor grid of ``scene`` lies.

    Returns
    -------
    low, high : (2,) float64, metres
        Corners of the rectangle the grid covers.
    polygons : list of (K, 2) float64, metres
        The evaluation polygons cells must lie in (the rectangle itself when the scene has none).
    """
    polygons = [region.polygon for region in scene.evaluation_regions() if not region.is_polyline]
    if polygons:
        stacked = np.vstack(polygons)
        return stacked.min(axis=0), stacked.max(axis=0), polygons
    low, high = scene.bounds[0, :2], scene.bounds[1, :2]
    return low, high, [np.array([[low[0], low[1]], [high[0], low[1]], [high[0], high[1]], [low[0], high[1]]])]


def cell_counts(low: np.ndarray, high: np.ndarray, resolution_m: float) -> tuple[int, int]:
    """(columns along x, rows along y) of cells of ``resolution_m`` covering the rectangle low..high."""
    # Round before ceil so 18.3 / 0.1 = 182.99999999999997 gives 183 cells.
    columns, rows = (max(1, math.ceil(round((high[i] - low[i]) / resolution_m, 9))) for i in range(2))
    return columns, rows


def points_in_polygon(points, polygon) -> np.ndarray:
    """Even-odd test of points against a polygon.

    Parameters
    ----------
    points : (N, 2) float, metres
    polygon : (K, 2) float, metres, closed implicitly (last vertex joins the first)

    Returns
    -------
    (N,) bool; points exactly on an edge may land on either side.
    """
    points = np.asarray(points, dtype=np.float64)
    polygon = np.asarray(polygon, dtype=np.float64)
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0)):
        straddles = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing_x = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= straddles & (x < crossing_x)
    return inside


def grid_shape(scene: Scene, resolution_m: float) -> tuple[int, int]:
    """(W, H): the columns and rows of the rectangle :meth:`FloorGrid.over_regions` lays over
    ``scene`` at ``resolution_m`` metres, before cells are masked; W x H bounds the cell count
    and costs nothing to compute."""
    low, high, _polygons = floor_footprint(scene)
    return cell_counts(low, high, resolution_m)


def _metres(length_m: float) -> str:
    return f"{length_m:.0f}" if length_m >= 100.0 else f"{length_m:.3g}"
