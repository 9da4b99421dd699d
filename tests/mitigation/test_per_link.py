"""The per-link model: its gate, its correction of a link of known excess, and honest splits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.materials import Material
from twinloc.geometry.primitives import box_mesh
from twinloc.geometry.scene import ObjectKind, Region, RegionType, Scene, SceneObject
from twinloc.learn.models import create_model
from twinloc.learn.runs import TrainingSettings
from twinloc.mitigation.datasets import MitigationDataset, split_measured, virtual_dataset
from twinloc.mitigation.per_link import BASE_FEATURES, LinkTable, PerLinkModel, link_table
from twinloc.mitigation.training import train_mitigation, worse_than_raw
from twinloc.model.analysis import RangingModel

EPS = 5.24
#: A 6 m square room; a 1 m concrete column at its centre; anchors at tag height (1 m).
ANCHORS = np.array([[0.0, 3.0, 1.0], [6.0, 0.0, 1.0], [6.0, 6.0, 1.0], [0.0, 0.0, 1.0]])
QUIET = RangingModel(los_mean_m=0.0, los_std_m=0.01, nlos_mean_m=0.0, nlos_std_m=0.01)


def column_room() -> Scene:
    region = Region("floor", RegionType.EVALUATION, np.array([[0.0, 0.0], [6.0, 0.0], [6.0, 6.0], [0.0, 6.0]]),
                    main_area=True)
    vertices, faces = box_mesh((1.0, 1.0, 3.0), (3.0, 3.0, 1.5))
    column = SceneObject("column", ObjectKind.SOLID, "concrete", vertices, faces)
    return Scene(name="room", objects=(column,), materials={"concrete": Material("concrete", EPS, 0.2, "#a8a8a0")},
                 regions=(region,), tag_height_m=1.0)


def open_table(cells: np.ndarray, anchors: np.ndarray) -> LinkTable:
    """A link table in which every link is line-of-sight (nothing crossed)."""
    shape = (len(cells), len(anchors))
    return LinkTable(cells, np.ones(shape, dtype=bool), np.zeros(shape), np.zeros((*shape, 1)), np.ones(shape),
                     ("concrete",))


def test_the_gate_passes_los_links_unchanged_bit_for_bit():
    xs, ys = np.meshgrid(np.arange(0.25, 6.0, 0.5), np.arange(0.25, 6.0, 0.5))
    cells = np.column_stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    ranging = RangingModel(los_mean_m=0.02, los_std_m=0.03)
    network = create_model("position_mlp", seed=3, inputs=len(BASE_FEATURES) + 1, outputs=1, hidden=8, layers=1)
    model = PerLinkModel(network, open_table(cells, ANCHORS), ANCHORS, 1.0, ranging)
    rng = np.random.default_rng(0)
    tags = np.column_stack([rng.uniform(1, 5, (50, 2)), np.ones(50)])
    distances = np.linalg.norm(tags[:, None, :] - ANCHORS[None, :, :], axis=2)
    # Eight draws per tag of LOS ranges, their bias and noise well inside three standard deviations.
    ranges = distances[:, None, :] + 0.02 + rng.uniform(-0.02, 0.02, (50, 8, len(ANCHORS)))
    corrected = model.corrected_ranges(ranges)
    assert np.array_equal(corrected, ranges)
    # Ranges 40 cm long on a LOS link are no LOS noise: its gate shuts and the network answers.
    ranges[0, :, 1] += 0.4
    assert not np.array_equal(model.corrected_ranges(ranges)[0], ranges[0])


def test_the_link_table_holds_the_chord_through_the_column():
    scene = column_room()
    geometry = GeometryCache()
    tag = np.array([[5.0, 3.0, 1.0]])
    table = link_table(geometry.ray_engine(scene), scene, ANCHORS, tag, RangingModel())
    # From (0, 3) to (5, 3) the link crosses the 1 m column straight: chord 1 m.
    np.testing.assert_allclose(table.thickness_m[0, :, 0], [1.0, 0.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table.excess_m[0], [math.sqrt(EPS) - 1.0, 0, 0, 0], atol=1e-9)
    assert table.los[0].tolist() == [False, True, True, True]


def test_a_link_of_known_excess_is_corrected():
    scene = column_room()
    geometry = GeometryCache()
    virtual = virtual_dataset(scene, ANCHORS, 1.0, 0.25, 3, QUIET, seed=0, geometry=geometry)
    grid = geometry.floor_grid(scene, 0.25, 1.0)
    table = link_table(geometry.ray_engine(scene), scene, ANCHORS, grid.points, QUIET)
    settings = TrainingSettings(epochs=40, batch_size=256, learning_rate=3e-3, patience=40)
    result = train_mitigation(virtual, virtual, settings, TrainingSettings(epochs=1), link_table=table,
                              compare_splits=False)
    # At (5, 3) only the link from (0, 3) crosses the column, straight through 1 m of it: it
    # measures 5 m + (sqrt(eps) - 1) x 1 m = 6.289 m; the others measure their distance.
    tag = np.array([5.0, 3.0, 1.0])
    truth = np.linalg.norm(ANCHORS - tag, axis=1)
    measured = truth + np.array([math.sqrt(EPS) - 1.0, 0.0, 0.0, 0.0])
    corrected = result.model.corrected_ranges(measured[None, None])[0, 0]
    assert abs(corrected[0] - truth[0]) < 0.2  # 1.29 m before
    raw_fix, _ = result.model.raw_fixes(measured[None])
    corrected_fix, _ = result.model.raw_fixes(corrected[None])
    assert np.linalg.norm(corrected_fix[0] - tag[:2]) < 0.5 * np.linalg.norm(raw_fix[0] - tag[:2])


def test_the_held_out_points_share_no_point_with_training():
    rng = np.random.default_rng(5)
    points = np.repeat(np.arange(30), 7)  # 30 measuring points, 7 samples each
    data = MitigationDataset(rng.normal(size=(len(points), 16)), rng.normal(size=(len(points), 2)),
                             points % 2 == 0, points.astype(np.int64))
    for seed in range(5):
        test, training = split_measured(data, 0.2, "points", np.random.default_rng(seed))
        assert set(test.point).isdisjoint(training.point)
        assert set(test.point) | set(training.point) == set(range(30))
        assert len(set(test.point)) == 6 and len(test) == 42
    # The paper's per-sample split does share points: that is why it flatters.
    test, training = split_measured(data, 0.2, "samples", np.random.default_rng(0))
    assert not set(test.point).isdisjoint(training.point)


def test_areas_worse_than_raw_are_named():
    rows = {"held_out_points": {"los": {"raw": 0.025, "nn": 1.124}, "nlos": {"raw": 1.5, "nn": 0.4}},
            "floor_twin": {"los": {"raw": 0.024, "nn": 0.035}, "nlos": {"raw": None, "nn": None}}}
    assert worse_than_raw(rows) == ["held-out points LOS: 2.5 cm raw, 112.4 cm corrected"]


def test_the_per_link_model_needs_ranges():
    data = MitigationDataset(np.zeros((4, 16)), np.zeros((4, 2)), np.zeros(4, dtype=bool), np.arange(4))
    cells = np.array([[1.0, 1.0, 1.0]])
    network = create_model("position_mlp", inputs=len(BASE_FEATURES) + 1, outputs=1)
    model = PerLinkModel(network, open_table(cells, ANCHORS), ANCHORS, 1.0, QUIET)
    with pytest.raises(ValueError, match="measured range of every anchor"):
        model.training_links(data, np.random.default_rng(0))
