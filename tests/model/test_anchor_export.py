"""Anchors written for other tools: CSV for spreadsheets, JSON for scripts, chosen by the file's suffix."""

from __future__ import annotations

import csv
import io
import json

from twinloc.model.anchor_export import CSV_HEADER, anchors_to_csv, anchors_to_json, write_anchors
from twinloc.model.devices import Anchor

ANCHORS = (Anchor("A1", (3.8, 0.0, 2.0)), Anchor("north, 2", (9.4, 7.2, 2.25), enabled=False))


def test_csv_has_one_row_per_anchor_in_metres():
    rows = list(csv.reader(io.StringIO(anchors_to_csv(ANCHORS))))
    assert tuple(rows[0]) == CSV_HEADER == ("name", "x_m", "y_m", "z_m", "enabled")
    assert rows[1:] == [["A1", "3.8000", "0.0000", "2.0000", "true"], ["north, 2", "9.4000", "7.2000", "2.2500", "false"]]


def test_json_names_the_scene_and_the_unit():
    document = json.loads(anchors_to_json(ANCHORS, "uwb_hall"))
    assert document == {"scene": "uwb_hall", "units": "m", "anchors": [
        {"name": "A1", "position": [3.8, 0.0, 2.0], "enabled": True},
        {"name": "north, 2", "position": [9.4, 7.2, 2.25], "enabled": False},
    ]}


def test_the_suffix_chooses_the_format(tmp_path):
    write_anchors(ANCHORS, "uwb_hall", tmp_path / "anchors.JSON")
    write_anchors(ANCHORS, "uwb_hall", tmp_path / "anchors.csv")
    assert json.loads((tmp_path / "anchors.JSON").read_text())["anchors"][0]["name"] == "A1"
    assert (tmp_path / "anchors.csv").read_text().splitlines()[0] == "name,x_m,y_m,z_m,enabled"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["anchors.JSON", "anchors.csv"]  # no temporary files left
