"""The GUI's optimization job without a window: drawn regions, the current layout's map, names."""

from __future__ import annotations

import numpy as np
import pytest

from optim_scenes import room

from twinloc.cancellation import CancelToken, report_nothing
from twinloc.compute.layout_jobs import current_layout_job, layout_study_job
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.ray_engine import RayEngine
from twinloc.layout.problem import LayoutRequest
from twinloc.layout.study import names_for_layout
from twinloc.model.mounting import MountingRegion
from twinloc.uwb.error_map import compute_error_map
from twinloc.workspace import open_source, scene_with_mounting_regions


def test_names_skip_the_fixed_anchors():
    assert names_for_layout(3) == ("A1", "A2", "A3")
    assert names_for_layout(2, {"A1", "A3"}) == ("A2", "A4")


def test_study_places_anchors_on_a_drawn_region_and_maps_the_current_layout():
    workspace = open_source("uwb_hall")
    drawn = MountingRegion("ceiling strip", ((2.0, 3.0), (16.0, 3.0), (16.0, 5.0), (2.0, 5.0)), (3.9, 3.9))
    scene = scene_with_mounting_regions(workspace.scene, (drawn,))
    current = [a.position for a in workspace.project.anchors]
    request = LayoutRequest(anchor_count=3, region_names=("ceiling strip",), population=6, iterations=2, top_k=2, min_distance_m=1.0)
    seen = []
    job = layout_study_job(scene, request, current, listener=lambda t, best, fitness, conv: seen.append((t, best.shape)))
    assert job.key is None  # a cancelled run must never be cached as the answer
    study = job.function(report_nothing, CancelToken())
    assert seen == [(1, (3, 3)), (2, (3, 3))]
    best = study.optimization.best.positions
    assert np.all((best[:, 0] >= 2.0 - 1e-9) & (best[:, 0] <= 16.0 + 1e-9) & (best[:, 1] >= 3.0 - 1e-9) & (best[:, 1] <= 5.0 + 1e-9))
    assert np.allclose(best[:, 2], 3.9)
    assert study.current_map is not None
    np.testing.assert_allclose(study.current_map.anchor_positions, current)
    assert study.current_map.grid.cell_count == study.optimization.best.error_map.grid.cell_count
    assert study.current_stats["mean_error_m"] > 0


def test_current_layout_is_scored_again_after_an_edit():
    """After the anchors change, the "now" statistics are those of the new anchors on the proposals' grid."""
    scene = room()
    request = LayoutRequest(3, min_distance_m=1.0, population=8, iterations=3, top_k=2, resolution_m=0.25, objective_resolution_m=0.5)
    before = [(0.0, 0.0, 2.0), (6.0, 0.0, 2.0), (3.0, 4.0, 2.0)]
    study = layout_study_job(scene, request, before).function(report_nothing, CancelToken())
    proposal = study.optimization.layouts[0]
    # Accepting proposal 1 makes "now" proposal 1: the same numbers the table shows for it.
    accepted = current_layout_job(study, proposal.positions).function(report_nothing, CancelToken())
    assert accepted.current_stats == pytest.approx(proposal.stats)
    assert accepted.optimization is study.optimization
    # Any other layout: the error map of exactly those anchors on the 0.25 m reporting grid.
    moved = [(0.0, 0.0, 2.0), (6.0, 4.0, 2.0), (0.0, 4.0, 2.0), (6.0, 0.0, 2.0)]
    edited = current_layout_job(study, moved).function(report_nothing, CancelToken())
    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, 0.25, scene.tag_height_m, engine=engine)
    expected = compute_error_map(engine, scene, grid, np.array(moved), request.settings)
    np.testing.assert_allclose(edited.current_map.anchor_positions, moved)
    assert edited.current_stats["mean_error_m"] == pytest.approx(float(expected.cell_error[~expected.degenerate].mean()))
    assert edited.current_stats["sum_error_m"] != pytest.approx(study.current_stats["sum_error_m"])
    # Two anchors cannot give a 2D fix: no "now" statistics rather than a meaningless zero.
    too_few = current_layout_job(study, moved[:2]).function(report_nothing, CancelToken())
    assert too_few.current_stats is None and too_few.current_map is None
