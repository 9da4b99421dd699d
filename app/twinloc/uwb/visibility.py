"""Line-of-sight maps: which anchors each floor cell sees without any obstacle in between."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn

if TYPE_CHECKING:  # duck-typed at run time; importing them would load Embree for nothing
    from twinloc.geometry.grid import FloorGrid
    from twinloc.geometry.ray_engine import RayEngine

SEGMENTS_PER_CHUNK = 65536
"""Segments traced between progress reports and cancel checks (~10 ms to 100 ms with Embree)."""


@dataclass(frozen=True, eq=False)
class LosMap:
    """Anchor visibility over a floor grid.

    grid : the floor cells, M of them (``grid.points``).
    anchor_positions : (A, 3) float64, metres.
    visible : (A, M) bool; ``visible[a, m]`` when the segment from anchor a to cell m crosses nothing.
    los_count : (M,) int64; anchors in line of sight of each cell.
    """

    grid: FloorGrid
    anchor_positions: np.ndarray
    visible: np.ndarray
    los_count: np.ndarray

    def summary(self) -> dict[str, Any]:
        """JSON-ready statistics.

        Returns
        -------
        dict
            ``cells``, ``anchors``, ``fraction_los_ge_3`` (cells seeing at least three
            anchors, the minimum for 2D multilateration), ``mean_los_count`` (None
            without cells), ``anchor_visible_fraction`` (per anchor, None without cells),
            ``resolution_m`` and ``tag_height_m``.
        """
        cells = int(self.los_count.size)
        anchors = int(self.anchor_positions.shape[0])
        return {
            "cells": cells,
            "anchors": anchors,
            "fraction_los_ge_3": float(np.mean(self.los_count >= 3)) if cells else None,
            "mean_los_count": float(self.los_count.mean()) if cells else None,
            "anchor_visible_fraction": [float(f) for f in self.visible.mean(axis=1)] if cells else [None] * anchors,
            "resolution_m": float(self.grid.resolution_m),
            "tag_height_m": float(self.grid.z_m),
        }


def compute_los_map(
    engine: RayEngine,
    grid: FloorGrid,
    anchor_positions: np.ndarray,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> LosMap:
    """Trace a segment from every anchor to every grid cell and count the clear ones.

    Parameters
    ----------
    engine : RayEngine
        Ray engine of the scene; a segment that crosses nothing is in line of sight.
    grid : FloorGrid
        Cells to evaluate (``grid.points``, (M, 3) metres).
    anchor_positions : (A, 3) array_like of float, metres
    progress : callable or None, default: None
        ``progress(fraction, text)`` after each chunk of segments.
    cancel : CancelToken or None, default: None
        Checked between chunks; raises :class:`twinloc.cancellation.JobCancelled`.

    Returns
    -------
    LosMap

    Raises
    ------
    ValueError
        When ``anchor_positions`` is not (A, 3) finite numbers.
    """
    anchors = np.array(anchor_positions, dtype=np.float64)
    if anchors.size == 0:
        anchors = anchors.reshape(0, 3)
    if anchors.ndim != 2 or anchors.shape[1] != 3:
        raise ValueError(f"anchor positions must be an (A, 3) array, got shape {anchors.shape}")
    if not np.all(np.isfinite(anchors)):
        raise ValueError("anchor positions must be finite numbers")
    points = np.asarray(grid.points, dtype=np.float64)
    n_anchors, n_cells = len(anchors), len(points)
    visible = np.zeros((n_anchors, n_cells), dtype=bool)
    # Sparse crossings, weights unused: memory follows the crossings, not segments x objects
    # (per-object tables of a 2,000-object scene took gigabytes and most of a minute).
    unweighted = np.zeros(len(engine.object_names))
    # Chunks run over cells with all anchors at once, so a chunk is one engine call.
    cells_per_chunk = max(1, SEGMENTS_PER_CHUNK // max(n_anchors, 1))
    for start in range(0, n_cells if n_anchors else 0, cells_per_chunk):
        if cancel is not None:
            cancel.raise_if_cancelled()
        stop = min(start + cells_per_chunk, n_cells)
        chunk = points[start:stop]
        starts = np.repeat(anchors, len(chunk), axis=0)
        ends = np.tile(chunk, (n_anchors, 1))
        crossings = engine.weighted_crossings(starts, ends, unweighted, unweighted, unweighted.astype(bool))
        visible[:, start:stop] = crossings.clear.reshape(n_anchors, len(chunk))
        if progress is not None:
            progress(stop / n_cells, f"Line of sight: {stop} of {n_cells} cells")
    if progress is not None and not (n_anchors and n_cells):
        progress(1.0, "Line of sight: nothing to trace")
    anchors.flags.writeable = False
    visible.flags.writeable = False
    los_count = visible.sum(axis=0, dtype=np.int64)
    los_count.flags.writeable = False
    return LosMap(grid=grid, anchor_positions=anchors, visible=visible, los_count=los_count)


def los_map_to_csv(los_map: LosMap, path: str | os.PathLike) -> None:
    """Write one row per cell: ``x_m,y_m,los_count`` (header first), coordinates in metres."""
    points = np.asarray(los_map.grid.points)
    with open(path, "w", encoding="utf-8", newline="\n") as stream:
        stream.write("x_m,y_m,los_count\n")
        for (x, y), count in zip(points[:, :2].tolist(), los_map.los_count.tolist()):
            stream.write(f"{x:.4f},{y:.4f},{count}\n")
