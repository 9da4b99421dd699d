"""Radio maps as a study: one task per transmitter, the same map as computed in one call."""

import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.geometry.loaders import load_scene
from twinloc.model.devices import Anchor
from twinloc.radio.radiomap import MultipathFeatures, RadioSettings, compute_radio_map, radio_map_study
from twinloc.radio.transmitters import transmitters_of
from twinloc.studies import open_runner

ANCHORS = (Anchor("A1", (2.0, 2.0, 2.5)), Anchor("A2", (16.0, 6.0, 2.0)), Anchor("A3", (9.0, 7.5, 3.0)))


@pytest.fixture(scope="module")
def hall_map_inputs():
    from dataclasses import replace

    scene = load_scene("uwb_hall")
    transmitters = transmitters_of(replace(scene, anchors=ANCHORS), 6.5e9, 0.0)
    xs, ys = np.meshgrid(np.linspace(1.0, 17.0, 6), np.linspace(1.0, 7.0, 4))
    points = np.column_stack([xs.ravel(), ys.ravel(), np.full(xs.size, 1.2)])
    return scene, transmitters, points, RadioSettings(max_depth=1)


def test_the_study_on_two_workers_equals_one_call(hall_map_inputs, cluster_runner):
    scene, transmitters, points, settings = hall_map_inputs
    whole = compute_radio_map(scene, transmitters, points, settings)
    studied = radio_map_study(cluster_runner, scene, transmitters, points, settings)
    assert studied.transmitter_names == ("A1", "A2", "A3") == whole.transmitter_names
    for name in ("points", "path_gain_db", "rss_dbm", "range_m", "los", "crossings"):
        np.testing.assert_array_equal(getattr(studied, name), getattr(whole, name))
    for name in MultipathFeatures.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(studied.paths, name), getattr(whole.paths, name))
    # Free space along a clear line: the direct path's range is the distance (independent check).
    clear = whole.los[:, 0]
    np.testing.assert_allclose(studied.range_m[clear, 0], np.linalg.norm(points[clear] - ANCHORS[0].position, axis=1))


def test_a_cancelled_radio_map_study_raises(hall_map_inputs):
    scene, transmitters, points, settings = hall_map_inputs
    token = CancelToken()
    token.cancel()
    with open_runner("none") as here, pytest.raises(JobCancelled):
        radio_map_study(here, scene, transmitters, points, settings, cancel=token)
