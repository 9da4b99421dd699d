"""Error map speed on uwb_hall: the 10 cm map of the three paper anchors, live while dragging.

Measured: the vectorised map (warm ray engine and floor grid, as during a drag) against a
straightforward per-cell implementation (one segment query and one least-squares solve per
cell and anchor) on the same cells in the same run; and the Monte Carlo map with 100 draws.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.loaders import load_scene
from twinloc.uwb.error_map import ErrorMapSettings, compute_error_map
from twinloc.uwb.ranging import RangingModel, material_factors

PAPER_ANCHORS = np.array([[3.8, 0.0, 2.0], [9.4, 7.2, 2.0], [14.4, 0.1, 2.0]])
REPEATS = 15


def per_cell_error_map(engine, scene, points: np.ndarray, anchors: np.ndarray, model: RangingModel) -> np.ndarray:
    """The same model written the obvious way: (M, 2) error vectors, one cell at a time."""
    solid_factor, surface_factor, _ = material_factors(scene)
    errors = np.zeros((len(points), 2))
    for index, point in enumerate(points):
        ranges = []
        for anchor in anchors:
            crossing = engine.segment_crossings(anchor[None], point[None])
            excess = crossing.inside_length_m[0] @ solid_factor + crossing.surface_crossings[0] @ surface_factor
            bias = model.los_mean_m if crossing.clear[0] else model.nlos_mean_m
            ranges.append(np.linalg.norm(point - anchor) + excess + bias)
        ranges = np.array(ranges)
        horizontal_sq = ranges**2 - (point[2] - anchors[:, 2]) ** 2
        design = 2.0 * (anchors[1:, :2] - anchors[0, :2])
        rhs = horizontal_sq[0] - horizontal_sq[1:] + np.sum(anchors[1:, :2] ** 2, axis=1) - anchors[0, :2] @ anchors[0, :2]
        solution, *_ = np.linalg.lstsq(design, rhs, rcond=None)
        errors[index] = solution - point[:2]
    return errors


def _median_seconds(function, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run() -> dict:
    scene = load_scene("uwb_hall")
    geometry = GeometryCache()
    engine = geometry.ray_engine(scene)
    grid = geometry.floor_grid(scene, 0.1, scene.tag_height_m)
    settings = ErrorMapSettings()
    vectorised = compute_error_map(engine, scene, grid, PAPER_ANCHORS, settings)
    vectorised_s = _median_seconds(lambda: compute_error_map(engine, scene, grid, PAPER_ANCHORS, settings), REPEATS)

    started = time.perf_counter()
    reference = per_cell_error_map(engine, scene, grid.points, PAPER_ANCHORS, settings.ranging)
    per_cell_s = time.perf_counter() - started
    agreement = float(np.abs(reference - vectorised.error).max())

    monte_carlo = ErrorMapSettings(monte_carlo_draws=100, seed=1)
    monte_carlo_s = _median_seconds(lambda: compute_error_map(engine, scene, grid, PAPER_ANCHORS, monte_carlo), 3)
    return {
        "what": "uwb_hall, 10 cm grid, three paper anchors, 2D least squares, warm engine and grid",
        "cells": int(grid.cell_count),
        "deterministic_map_s": round(vectorised_s, 4),
        "per_cell_baseline_s": round(per_cell_s, 3),
        "speedup_vs_per_cell": round(per_cell_s / vectorised_s, 1),
        "max_difference_vs_per_cell_m": agreement,
        "monte_carlo_100_draws_s": round(monte_carlo_s, 3),
        "monte_carlo_ratio_vs_deterministic": round(monte_carlo_s / vectorised_s, 1),
        "target_deterministic_s": 0.05,
    }
