"""The converter of Feng et al.'s Wi-Fi RSS/RTT surveys, on a hand-made source file."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("feng_wifi_rtt", ROOT / "benchmarks" / "data_sources" / "feng_wifi_rtt.py")
feng = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(feng)

HEADER = ["X", "Y"] + [f"AP{i} RTT(mm)" for i in range(1, 6)] + [f"AP{i} RSS(dBm)" for i in range(1, 6)] + ["LOS APs"]


def _source(folder: Path) -> None:
    rows = {
        "train": [[0, 1, 4041, 6823, 100000, -300, 19470, -50, -63, -200, -68, -70, "1 2 4 5"],
                  [0, 1, 4079, 6996, 12513, 11191, 19554, -51, -64, -67, -70, -70, "1 2 3 4 5"],
                  [5, 2, 3000, 5000, 7000, 9000, 11000, -45, -55, -60, -65, -72, "1 2 3 4 5"]],
        "test": [[3, 3, 2000, 4000, 6000, 8000, 10000, -48, -58, -62, -66, -71, "1 2 3 4 5"]],
    }
    for site in feng.SITES:
        for split, body in rows.items():
            with (folder / f"database_{site}_{split}.csv").open("w", newline="") as handle:
                csv.writer(handle).writerows([HEADER] + body)


def test_grid_indices_become_metres_and_missing_readings_become_empty(tmp_path):
    _source(tmp_path)
    feng.convert(tmp_path, tmp_path / "out")

    with (tmp_path / "out" / "lecture_theatre" / "train.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert (rows[0]["x_m"], rows[0]["y_m"], rows[2]["x_m"], rows[2]["y_m"]) == ("0.00", "0.60", "3.00", "1.20")
    assert rows[0]["point"] == rows[1]["point"] != rows[2]["point"]
    assert rows[0]["rss_dbm:AP3"] == "" and rows[0]["range_m:AP3"] == ""  # -200 dBm, 100000 mm
    assert rows[0]["range_m:AP4"] == "0.000"  # a negative FTM reading
    assert rows[0]["range_m:AP1"] == "4.041" and rows[0]["rss_dbm:AP1"] == "-50"

    scene = json.loads((tmp_path / "out" / "lecture_theatre" / "scene.json").read_text())
    positions = [ap["position"] for ap in scene["access_points"]]
    assert positions[0] == [1.8, 5.4, 2.0] and positions[4] == [11.4, 12.6, 2.0]  # (3, 9) and (19, 21) x 0.6 m
    walls = [o["primitive"] for o in scene["objects"] if o["primitive"]["type"] == "wall"]
    xs = [w["start"][0] for w in walls] + [w["end"][0] for w in walls]
    ys = [w["start"][1] for w in walls] + [w["end"][1] for w in walls]
    assert np.isclose(max(xs) - min(xs), 15.0) and np.isclose(max(ys) - min(ys), 14.5)  # the README's area
    corridor = json.loads((tmp_path / "out" / "corridor" / "scene.json").read_text())
    assert len(corridor["access_points"]) == 4
