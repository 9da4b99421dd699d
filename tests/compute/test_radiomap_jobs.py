import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled, report_nothing
from twinloc.compute.radiomap_jobs import radio_map_job
from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.loaders import load_scene
from twinloc.radio.radiomap import RadioSettings
from twinloc.radio.transmitters import Transmitter

TRANSMITTERS = (Transmitter("AP", (4.0, 3.0, 2.5), 2.4e9, 20.0),)


def test_the_job_maps_the_floor_grid_at_the_receiver_height_and_keys_every_input():
    scene = load_scene("uwb_hall")
    geometry = GeometryCache()
    settings = RadioSettings(max_depth=1, receiver_height_m=1.5)
    job = radio_map_job(scene, TRANSMITTERS, 1.0, settings, geometry)
    result = job.function(report_nothing, CancelToken())
    grid = geometry.floor_grid(scene, 1.0, 1.5)
    np.testing.assert_array_equal(result.radio_map.points, grid.points)
    assert np.all(result.radio_map.points[:, 2] == 1.5)
    assert job.key == radio_map_job(scene, TRANSMITTERS, 1.0, settings).key
    assert job.key != radio_map_job(scene, TRANSMITTERS, 1.0, RadioSettings(max_depth=2, receiver_height_m=1.5)).key
    moved = (Transmitter("AP", (4.0, 3.0, 2.0), 2.4e9, 20.0),)
    assert job.key != radio_map_job(scene, moved, 1.0, settings).key


def test_a_cancelled_job_stops():
    token = CancelToken()
    token.cancel()
    job = radio_map_job(load_scene("uwb_hall"), TRANSMITTERS, 1.0, RadioSettings(max_depth=1))
    with pytest.raises(JobCancelled):
        job.function(report_nothing, token)
