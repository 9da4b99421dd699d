"""The radio map's CSV export: one row per point and transmitter, names quoted as CSV needs."""

import csv
import math

import numpy as np
import pytest
from radio_scenes import SPEED_OF_LIGHT, scene_of, surface_wall

from twinloc.radio.radiomap import RadioSettings, compute_radio_map, radio_map_to_csv
from twinloc.radio.transmitters import Transmitter

F = 2.4e9


def test_a_name_with_a_comma_and_quotes_survives_the_round_trip(tmp_path):
    wall = surface_wall("wall", (10, -20), (10, 20), height=10)
    name = 'AP "north", hall'
    transmitters = (Transmitter(name, (0.0, 0.0, 1.5), F, 20.0),)
    radio_map = compute_radio_map(scene_of(wall), transmitters, np.array([[3.0, 4.0, 1.5]]), RadioSettings(max_depth=0))
    path = tmp_path / "map.csv"
    radio_map_to_csv(radio_map, path)
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 1 and rows[0]["transmitter"] == name
    # Direct path only, 5 m: Friis by hand.
    expected = 20 * math.log10(SPEED_OF_LIGHT / F / (4 * math.pi * 5.0))
    assert float(rows[0]["path_gain_db"]) == pytest.approx(expected, abs=1e-3)
    assert float(rows[0]["rss_dbm"]) == pytest.approx(expected + 20.0, abs=1e-3)
    assert rows[0]["range_m"] == "5.0000" and rows[0]["los"] == "1"
