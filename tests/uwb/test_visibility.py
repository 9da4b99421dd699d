"""LOS maps on a hand-built scene whose blocked cells are known exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.materials import material_presets
from twinloc.geometry.primitives import box_mesh
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.uwb import visibility
from twinloc.uwb.visibility import compute_los_map, los_map_to_csv

# A 1 m grid at z = 1 m over x 4.5..9.5, y 0.5..9.5 (6 x 10 = 60 cells). A concrete block
# x 2..3, y 5..10, z 0..3 stands between the first anchor (0, 5, 1) and the cells with
# y > 5: those 30 cells are hidden from it, the 30 with y < 5 are not. The second anchor
# (12, 5.137, 1) is on the far side of every cell, the third (2.5, 7.5, 5) looks down over
# the block: both see all 60 cells. (The odd 5.137 keeps the second anchor's rays, extended
# past their cells, off the block's edges.)
ANCHORS = np.array([[0.0, 5.0, 1.0], [12.0, 5.137, 1.0], [2.5, 7.5, 5.0]])


@pytest.fixture(scope="module")
def engine() -> RayEngine:
    vertices, faces = box_mesh((1.0, 5.0, 3.0), (2.5, 7.5, 1.5))
    block = SceneObject("block", ObjectKind.SOLID, "concrete", vertices, faces)
    scene = Scene("block", (block,), {"concrete": material_presets()["concrete"]})
    return RayEngine(scene)


@pytest.fixture(scope="module")
def grid() -> FloorGrid:
    return FloorGrid(
        x_centers=np.arange(4.5, 10.0, 1.0),
        y_centers=np.arange(0.5, 10.0, 1.0),
        z_m=1.0,
        mask=np.ones((10, 6), dtype=bool),
        resolution_m=1.0,
    )


def test_cells_behind_the_block_are_hidden_from_the_first_anchor(engine: RayEngine, grid: FloorGrid) -> None:
    los_map = compute_los_map(engine, grid, ANCHORS)
    points = grid.points
    behind = points[:, 1] > 5.0
    assert los_map.visible.shape == (3, 60) and los_map.visible.dtype == bool
    np.testing.assert_array_equal(los_map.visible[0], ~behind)
    assert los_map.visible[1:].all()
    np.testing.assert_array_equal(los_map.los_count, np.where(behind, 2, 3))
    assert los_map.los_count.dtype == np.int64


def test_summary(engine: RayEngine, grid: FloorGrid) -> None:
    summary = compute_los_map(engine, grid, ANCHORS).summary()
    assert summary["cells"] == 60 and summary["anchors"] == 3
    assert summary["fraction_los_ge_3"] == pytest.approx(0.5)
    assert summary["mean_los_count"] == pytest.approx(2.5)
    assert summary["anchor_visible_fraction"] == pytest.approx([0.5, 1.0, 1.0])
    assert summary["resolution_m"] == 1.0 and summary["tag_height_m"] == 1.0


def test_chunks_report_monotonic_progress_and_give_the_same_map(
    engine: RayEngine, grid: FloorGrid, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = compute_los_map(engine, grid, ANCHORS)
    monkeypatch.setattr(visibility, "SEGMENTS_PER_CHUNK", 3 * 7)  # 7 cells per chunk: 9 chunks
    reports = []
    chunked = compute_los_map(engine, grid, ANCHORS, progress=lambda f, text: reports.append(f))
    np.testing.assert_array_equal(chunked.visible, whole.visible)
    assert len(reports) == 9 and reports == sorted(reports) and reports[-1] == 1.0


def test_cancel_stops_between_chunks(engine: RayEngine, grid: FloorGrid, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(visibility, "SEGMENTS_PER_CHUNK", 3 * 7)
    token = CancelToken()
    reports = []

    def progress(fraction: float, text: str) -> None:
        reports.append(fraction)
        if len(reports) == 2:
            token.cancel()

    with pytest.raises(JobCancelled):
        compute_los_map(engine, grid, ANCHORS, progress=progress, cancel=token)
    assert len(reports) == 2


def test_no_anchors_gives_zero_counts(engine: RayEngine, grid: FloorGrid) -> None:
    los_map = compute_los_map(engine, grid, np.zeros((0, 3)))
    assert los_map.visible.shape == (0, 60) and not los_map.los_count.any()
    assert los_map.summary()["fraction_los_ge_3"] == 0.0


@pytest.mark.parametrize("bad", [np.zeros((2, 2)), np.array([[np.nan, 0.0, 1.0]])])
def test_bad_anchor_positions_are_refused(engine: RayEngine, grid: FloorGrid, bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="anchor positions"):
        compute_los_map(engine, grid, bad)


def test_csv_has_one_row_per_cell(engine: RayEngine, grid: FloorGrid, tmp_path: Path) -> None:
    los_map = compute_los_map(engine, grid, ANCHORS)
    los_map_to_csv(los_map, tmp_path / "los.csv")
    lines = (tmp_path / "los.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "x_m,y_m,los_count"
    assert len(lines) == 61
    rows = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    np.testing.assert_allclose(rows[:, :2], grid.points[:, :2])
    np.testing.assert_array_equal(rows[:, 2], los_map.los_count)


def segment_meets_box(starts: np.ndarray, ends: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(N,) bool: the segments pass through the inside of an axis-aligned box (slab method)."""
    direction = ends - starts
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (box[0] - starts) / direction
        t2 = (box[1] - starts) / direction
    parallel = direction == 0.0
    within = (box[0] <= starts) & (starts <= box[1])
    low = np.where(parallel, np.where(within, -np.inf, np.inf), np.minimum(t1, t2))
    high = np.where(parallel, np.where(within, np.inf, -np.inf), np.maximum(t1, t2))
    enter = np.maximum(low.max(axis=1), 0.0)
    leave = np.minimum(high.min(axis=1), 1.0)
    return leave > enter + 1e-9


def test_uwb_hall_matches_an_analytic_column_check() -> None:
    # The hall's only obstacles between anchors and tag plane are its eight box columns,
    # so a slab test against their bounding boxes gives the exact visibility.
    from twinloc.workspace import open_source

    scene = open_source("uwb_hall").scene
    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, 0.25, 1.0, engine=engine)
    anchors = np.array([anchor.position for anchor in scene.anchors])
    los_map = compute_los_map(engine, grid, anchors)
    columns = [obj.bounds for obj in scene.objects if obj.name.startswith("column")]
    assert len(columns) == 8
    points = grid.points
    for index, anchor in enumerate(anchors):
        starts = np.broadcast_to(anchor, points.shape)
        hidden = np.any([segment_meets_box(starts, points, box) for box in columns], axis=0)
        np.testing.assert_array_equal(los_map.visible[index], ~hidden)
    assert 0.0 < los_map.summary()["fraction_los_ge_3"] < 1.0
