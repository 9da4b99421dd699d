"""How many anchors: the per-count task and the study on two rooms where the answer is known.

Ranges are physics-only and every link inside a room is line of sight, so a cell seen by three
non-collinear anchors is located exactly (error 0) and a cell seen by fewer has no fix. With a
metal partition between two equal rooms, a room needs three anchors of its own: fewer than six
leave one room, half the floor, without a fix (p90 infinite), and six place three in each.
Without the partition three anchors suffice.
"""

import numpy as np
import pytest

from optim_scenes import two_rooms
from twinloc.layout.plan_count import p90_over_every_cell, plan_count, plan_one_count
from twinloc.layout.problem import LayoutRequest
from twinloc.model.analysis import ErrorMapSettings
from twinloc.studies import open_runner

REQUEST = LayoutRequest(3, min_distance_m=0.5, resolution_m=0.2, objective_resolution_m=0.2, population=20,
                        iterations=20, seed=7, settings=ErrorMapSettings(physics_only=True))
TARGET_M = 0.01

IN_PROCESS = open_runner("none")


def test_p90_counts_cells_without_a_fix_as_infinitely_wrong():
    errors = np.arange(10, dtype=float)  # 0..9 m: numpy's linear p90 is 8.1 m
    assert p90_over_every_cell(errors, np.zeros(10, bool)) == pytest.approx(8.1)
    one_missing = np.zeros(10, bool)
    one_missing[0] = True  # errors 1..9 and one infinite: the p90 position 8.1 falls between 9 and infinity
    assert p90_over_every_cell(errors, one_missing) is None
    twenty = np.arange(20, dtype=float)
    missing = np.zeros(20, bool)
    missing[19] = True  # position 17.1 lies between the finite 17 and 18
    assert p90_over_every_cell(twenty, missing) == pytest.approx(17.1)


def test_a_count_too_small_for_both_rooms_locates_only_one_room():
    plan = plan_one_count(5, {"scene": two_rooms(), "request": REQUEST}, np.random.SeedSequence(1))
    # 300 of the 600 reporting cells in each room; two anchors cannot fix the other room
    assert plan.coverage == pytest.approx(0.5)
    assert plan.p90_error_m is None and not plan.meets(10.0)
    assert plan.mean_error_m == pytest.approx(0.0, abs=1e-9)  # the room with three anchors is exact
    assert plan.positions.shape == (5, 3) and np.allclose(plan.positions[:, 2], 2.5)
    assert plan.evaluations == 400


def test_six_anchors_split_three_and_three_and_locate_everywhere():
    plan = plan_one_count(6, {"scene": two_rooms(), "request": REQUEST}, np.random.SeedSequence(1))
    west = int((plan.positions[:, 0] < 4.0).sum())
    assert west == 3
    assert plan.coverage == 1.0
    assert plan.p90_error_m == pytest.approx(0.0, abs=1e-9) and plan.meets(TARGET_M)


def test_the_partition_needs_six_anchors_and_the_curve_falls_monotonically():
    study = plan_count(two_rooms(), range(3, 8), TARGET_M, REQUEST, IN_PROCESS)
    assert [plan.anchor_count for plan in study.plans] == [3, 4, 5, 6, 7]
    assert study.smallest_count == 6
    p90 = [np.inf if plan.p90_error_m is None else plan.p90_error_m for plan in study.plans]
    # the known curve: no p90 while a room lacks its third anchor, then exact (0 up to rounding)
    assert p90[:3] == [np.inf] * 3 and p90[3:] == pytest.approx([0.0, 0.0], abs=1e-9)
    assert all(later <= earlier + 1e-9 for earlier, later in zip(p90, p90[1:]))
    assert [plan.coverage for plan in study.plans] == pytest.approx([0.5, 0.5, 0.5, 1.0, 1.0])


def test_an_open_room_needs_three_and_a_short_range_says_none_meets_the_target():
    assert plan_count(two_rooms(partition=False), [4, 3], TARGET_M, REQUEST, IN_PROCESS).smallest_count == 3
    study = plan_count(two_rooms(), [3, 4, 5], TARGET_M, REQUEST, IN_PROCESS)
    assert study.smallest_count is None
    assert study.to_json()["smallest_count"] is None


def test_the_study_does_not_depend_on_the_order_counts_are_given():
    one = plan_count(two_rooms(), [6, 3], TARGET_M, REQUEST, IN_PROCESS)
    two = plan_count(two_rooms(), [3, 6], TARGET_M, REQUEST, IN_PROCESS)
    assert all(np.array_equal(a.positions, b.positions) for a, b in zip(one.plans, two.plans))


@pytest.mark.parametrize("counts, target, message", [
    ([], 0.3, "no anchor counts"),
    ([2, 3], 0.3, "needs at least 3 anchors"),
    ([3], 0.0, "positive number of metres"),
    ([3], float("nan"), "positive number of metres"),
])
def test_bad_studies_are_refused(counts, target, message):
    with pytest.raises(ValueError, match=message):
        plan_count(two_rooms(), counts, target, REQUEST, IN_PROCESS)


def test_a_two_worker_cluster_plans_the_same_layouts_as_this_process():
    with open_runner("local", workers=2) as runner:
        there = plan_count(two_rooms(), [5, 6], TARGET_M, REQUEST, runner)
    here = plan_count(two_rooms(), [5, 6], TARGET_M, REQUEST, IN_PROCESS)
    assert [plan.anchor_count for plan in there.plans] == [5, 6]
    assert all(np.array_equal(a.positions, b.positions) for a, b in zip(here.plans, there.plans))
    assert there.smallest_count == here.smallest_count == 6


def test_regions_that_cannot_hold_the_most_anchors_are_refused_before_any_task():
    with pytest.raises(ValueError, match="nowhere"):
        plan_count(two_rooms(), [3], TARGET_M, LayoutRequest(3, region_names=("nowhere",)), IN_PROCESS)
    crowded = LayoutRequest(3, min_distance_m=3.0, region_names=("west ceiling",))
    with pytest.raises(ValueError, match="minimum distance|cannot"):
        plan_count(two_rooms(), [3, 12], TARGET_M, crowded, IN_PROCESS)
