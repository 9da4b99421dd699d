"""twinloc radiomap: JSON and CSV on the hall against free-space loss by hand, one-line refusals."""

from __future__ import annotations

import csv
import json
import math

import pytest

SPEED_OF_LIGHT = 299_792_458.0


def test_radiomap_json_and_csv_on_the_hall(tmp_path, cli):
    out = tmp_path / "map.csv"
    status, stdout, err = cli(["radiomap", "uwb_hall", "--anchors", "2,2,2.5;16,6,2", "--frequency-ghz", "2.4",
                               "--tx-power-dbm", "10", "--resolution", "1.0", "--height", "1.2", "--max-depth", "0",
                               "--out", str(out), "--json", "--scheduler", "none"])
    assert status == 0, err
    report = json.loads(stdout)
    assert report["transmitters"] == 2 and report["cells"] > 100 and report["seconds"] >= 0
    with out.open() as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["x_m", "y_m", "z_m", "transmitter", "path_gain_db", "rss_dbm", "range_m", "los"]
    assert len(rows) == 2 * report["cells"]
    wavelength = SPEED_OF_LIGHT / 2.4e9
    anchors = {"A1": (2, 2, 2.5), "A2": (16, 6, 2)}
    los_rows = [row for row in rows if row["los"] == "1"]
    assert len(los_rows) > report["cells"]
    for row in los_rows:
        point = (float(row["x_m"]), float(row["y_m"]), float(row["z_m"]))
        distance = math.dist(point, anchors[row["transmitter"]])
        # Direct path only, in line of sight: free-space loss (lambda / 4 pi d)^2.
        assert float(row["path_gain_db"]) == pytest.approx(20 * math.log10(wavelength / (4 * math.pi * distance)), abs=2e-3)
        assert float(row["rss_dbm"]) == pytest.approx(float(row["path_gain_db"]) + 10, abs=2e-3)
        assert float(row["range_m"]) == pytest.approx(distance, abs=1e-4)
        assert point[2] == 1.2
    for entry in report["per_transmitter"]:
        gains = [float(r["path_gain_db"]) for r in rows if r["transmitter"] == entry["name"]]
        assert entry["path_gain_db"]["max"] == pytest.approx(max(gains), abs=2e-3)
        assert entry["path_gain_db"]["mean"] == pytest.approx(sum(gains) / len(gains), abs=2e-3)
        assert entry["frequency_ghz"] == 2.4 and entry["power_dbm"] == 10


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--frequency-ghz", "0.5"], "uwb_hall: material 'concrete' is defined from 1 to 100 GHz (ITU-R P.2040), not at 0.5 GHz"),
        (["--resolution", "0"], "argument --resolution: 0 is outside 0.01 m to 5 m"),
        (["--max-depth", "7"], "argument --max-depth: 7 is outside 0 to 3"),
        (["--resolution", "0.01"], "1830 x 840 cells at 0.01 m with 3 anchor(s) make 4,611,600 anchor-to-cell links"),
    ],
)
def test_radiomap_refuses_bad_input_in_one_line(cli, argv, message):
    status, stdout, err = cli(["radiomap", "uwb_hall", *argv, "--json", "--scheduler", "none"])
    assert status == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith("twinloc: error: ") and message in err
