"""Reference-point plans against hand-worked rectangles and hand-placed obstacles."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from twinloc.fingerprint.rp_plan import (
    INSIDE_SOLID,
    MAX_REFERENCE_POINTS,
    NEAR_WALL,
    plan_reference_points,
    plan_waypoints,
    write_plan_csv,
)
from twinloc.geometry.materials import material_presets
from twinloc.geometry.primitives import box_mesh, plane_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject

RECTANGLE = [[0.0, 0.0], [10.0, 0.0], [10.0, 6.0], [0.0, 6.0]]


def inset_of(points: np.ndarray) -> np.ndarray:
    """Distance of each point to the 10 m x 6 m rectangle's boundary, metres."""
    x, y = points[:, 0], points[:, 1]
    return np.minimum.reduce([x, 10.0 - x, y, 6.0 - y])


def scene_of(*objects: SceneObject) -> Scene:
    presets = material_presets()
    return Scene(name="plan test", objects=objects, materials={"concrete": presets["concrete"]})


def box(name: str, size, center) -> SceneObject:
    vertices, faces = box_mesh(size, center)
    return SceneObject(name, ObjectKind.SOLID, "concrete", vertices, faces)


def wall(name: str, start, end) -> SceneObject:
    vertices, faces = wall_mesh(start, end, 0.0, 4.0)
    return SceneObject(name, ObjectKind.SURFACE, "concrete", vertices, faces)


def floor() -> SceneObject:
    vertices, faces = plane_mesh((20.0, 20.0), (5.0, 3.0, 0.0))
    return SceneObject("floor", ObjectKind.SURFACE, "concrete", vertices, faces)


def test_rectangle_with_two_loops_at_one_metre():
    # Loop 0: the 10 x 6 boundary, 32 m at 1 m -> 32 RPs; loop 1: 8 x 4 -> 24; loop 2: 6 x 2 -> 16.
    plan = plan_reference_points(RECTANGLE, 2, spacing_m=1.0)
    assert np.bincount(plan.loop).tolist() == [32, 24, 16]
    assert np.allclose(inset_of(plan.points), plan.loop)
    assert plan.loops == 3 and plan.dropped == {}
    assert np.array_equal(plan.route, np.arange(72))


def test_spacing_that_does_not_divide_an_edge_splits_it_evenly():
    # 10 m edges at 2.5 m: 4 parts; 6 m edges: ceil(2.4) = 3 parts of 2 m -> 2 * (4 + 3) = 14 RPs.
    plan = plan_reference_points(RECTANGLE, 0, spacing_m=2.5)
    assert len(plan.points) == 14
    gaps = np.linalg.norm(np.diff(np.vstack([plan.points, plan.points[:1]]), axis=0), axis=1)
    assert sorted(set(np.round(gaps, 9))) == [2.0, 2.5]


def test_between_mode_spreads_loops_evenly_to_the_middle():
    # 4 markers x (2 + 1) = 12 RPs a loop; the rectangle's deepest loop is at 3 m, so 2 loops sit at 1 m and 2 m.
    plan = plan_reference_points(RECTANGLE, 2, between=2)
    assert np.bincount(plan.loop).tolist() == [12, 12, 12]
    assert np.allclose(inset_of(plan.points), plan.loop, atol=1e-6)
    loop_one = plan.points[plan.loop == 1]
    for corner in ([1, 1], [9, 1], [9, 5], [1, 5], [11 / 3, 1], [1, 11 / 3]):
        assert np.min(np.linalg.norm(loop_one - corner, axis=1)) < 1e-6


def test_clockwise_markers_give_the_same_loops():
    plan = plan_reference_points(RECTANGLE[::-1], 2, spacing_m=1.0)
    assert np.bincount(plan.loop).tolist() == [32, 24, 16]
    assert np.allclose(inset_of(plan.points), plan.loop)


def test_route_walks_loop_by_loop_and_enters_each_loop_at_its_nearest_point():
    plan = plan_reference_points(RECTANGLE, 2, spacing_m=1.0)
    ordered, loops = plan.points[plan.route], plan.loop[plan.route]
    assert np.all(np.diff(loops) >= 0)
    steps = np.linalg.norm(np.diff(ordered, axis=0), axis=1)
    assert np.allclose(steps, 1.0)  # on this rectangle every step, loop changes included, is 1 m
    for loop in (1, 2):
        enter = int(np.flatnonzero(loops == loop)[0])
        nearest = np.linalg.norm(plan.points[plan.loop == loop] - ordered[enter - 1], axis=1).min()
        assert steps[enter - 1] == pytest.approx(nearest)
    # 31 m around the boundary, 1 m in, 23 m around loop 1, 1 m in, 15 m around loop 2.
    assert plan.route_length_m == pytest.approx(71.0)


def test_points_inside_a_solid_or_near_a_wall_are_dropped():
    scene = scene_of(
        box("pillar", (1.5, 1.5, 3.0), (0.0, 0.0, 1.5)),  # holds (0, 0); (1, 0) and (0, 1) are 0.25 m from it
        wall("fence", (5.0, -1.0), (5.0, 7.0)),  # passes through (5, 0) and (5, 6)
        box("duct", (1.0, 1.0, 0.5), (8.0, 0.0, 3.0)),  # above the RP height: not in the way
        floor(),
    )
    plan = plan_reference_points(RECTANGLE, 0, spacing_m=1.0, clearance_m=0.3, scene=scene)
    assert plan.dropped == {INSIDE_SOLID: 1, NEAR_WALL: 4}
    kept = {tuple(p) for p in np.round(plan.points, 9).tolist()}
    assert len(kept) == 27
    assert not kept & {(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (5.0, 0.0), (5.0, 6.0)}
    assert (8.0, 0.0) in kept
    # A 1.2 m clearance also drops x = 4 and x = 6 on both long sides by the fence, and (2, 0), (0, 2) by the pillar.
    wide = plan_reference_points(RECTANGLE, 0, spacing_m=1.0, clearance_m=1.3, scene=scene)
    assert wide.dropped == {INSIDE_SOLID: 1, NEAR_WALL: 10}


def test_dropped_points_keep_the_route_order():
    scene = scene_of(wall("fence", (5.0, -1.0), (5.0, 7.0)))
    full = plan_reference_points(RECTANGLE, 1, spacing_m=1.0)
    plan = plan_reference_points(RECTANGLE, 1, spacing_m=1.0, scene=scene)
    kept = [i for i, p in enumerate(full.points) if abs(p[0] - 5.0) >= 0.3]
    assert np.allclose(plan.points, full.points[kept])


@pytest.mark.parametrize(
    ("markers", "loops", "options", "message"),
    [
        ([[0, 0], [1, 0]], 0, {"spacing_m": 1.0}, "at least 3 markers"),
        ([[0, 0], [4, 4], [4, 0], [0, 4]], 0, {"spacing_m": 1.0}, "markers cross"),
        ([[0, 0], [2, 0], [1, 0], [1, 1]], 0, {"spacing_m": 1.0}, "markers cross"),
        ([[0, 0], [1, 0], [2, 0]], 0, {"spacing_m": 1.0}, "one line"),
        ([[0, 0], [0, 0], [1, 1]], 0, {"spacing_m": 1.0}, "same place"),
        (RECTANGLE, 0, {"spacing_m": 0.0}, "spacing must be a number > 0"),
        (RECTANGLE, 0, {"spacing_m": float("nan")}, "spacing must be a number > 0"),
        (RECTANGLE, 0, {"between": 0}, "from 1 to"),
        (RECTANGLE, 0, {}, "one of them"),
        (RECTANGLE, 0, {"spacing_m": 1.0, "between": 2}, "one of them"),
        (RECTANGLE, 3, {"spacing_m": 1.0}, "3 inner loops do not fit"),
        (RECTANGLE, -1, {"spacing_m": 1.0}, "inner loops must be a whole number"),
        (RECTANGLE, 0, {"spacing_m": 1.0, "clearance_m": -0.1}, "clearance"),
        (RECTANGLE, 0, {"spacing_m": 1e-4}, f"more than the {MAX_REFERENCE_POINTS:,}"),
    ],
)
def test_bad_plans_are_refused_with_a_message(markers, loops, options, message):
    with pytest.raises(ValueError, match=message):
        plan_reference_points(markers, loops, **options)


def test_csv_and_waypoints_follow_the_route(tmp_path):
    plan = plan_reference_points(RECTANGLE, 1, between=1, height_m=1.2)
    path = tmp_path / "rps.csv"
    write_plan_csv(plan, path)
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["point", "x_m", "y_m", "z_m", "loop"]
    assert [int(r["point"]) for r in rows] == list(range(16))
    assert [(float(r["x_m"]), float(r["y_m"])) for r in rows[:3]] == [(0.0, 0.0), (5.0, 0.0), (10.0, 0.0)]
    assert {float(r["z_m"]) for r in rows} == {1.2}
    waypoints = json.loads(json.dumps(plan_waypoints(plan)))
    assert len(waypoints["waypoints"]) == 16 and waypoints["waypoints"][8]["loop"] == 1
