"""Feng, Nguyen & Luo's Wi-Fi RSS and RTT surveys, converted to TwinLoc scenes and survey CSVs.

Source: https://github.com/Fx386483710/WiFi_RSS_RTT_Dataset_for_Model_Selection (MIT licence
file in the repository; also Zenodo, doi:10.5281/zenodo.11558792). Three sites of one
university building, each surveyed on a 0.6 m grid with Google Wi-Fi access points that answer
802.11mc fine-time-measurement requests: 60 scans per reference point, train and test reference
points disjoint.

| site | area (README) | APs | LOS |
|---|---|---|---|
| lecture_theatre | 15 x 14.5 m | 5 | all links LOS |
| office | 18 x 5.5 m | 5 | every point has at least one NLOS AP |
| corridor | 35 x 6 m | 4 | all NLOS (APs in the rooms beside it) |

What the files say and what this converter assumes:
- ``X``, ``Y`` and the access-point coordinates are grid indices of the 0.6 m grid (the RTT
  ranges grow by 1.0-1.2 m per 0.6 m index step; the lecture theatre's APs reach index 21,
  beyond its 14.5 m in metres). Positions here are index x 0.6 m.
- ``RSS -200 dBm`` is "not heard" and ``RTT 100000 mm`` is "no range": both become empty cells.
  Negative RTT ranges (0.4 % of the readings, FTM's calibration offset near an AP) become 0 m.
- Not in the data, assumed: access points 2.0 m above the floor, the phone at 1.0 m, 5 GHz
  (Google Wi-Fi answers FTM on its 5 GHz radio), a 3 m concrete room of the README's size
  centred on the surveyed points and access points. The walls between the office's and the
  corridor's access points and the survey are not published; the scenes do not have them,
  and calibration's path-loss exponent term stands in for them.

    python benchmarks/data_sources/feng_wifi_rtt.py SOURCE_DIR [OUT_DIR]

SOURCE_DIR holds the repository's ``data/`` files (a clone of the repository); OUT_DIR
defaults to ``benchmarks/data/feng_wifi_rtt``. The benchmark reads the converted copy shipped
there and downloads nothing.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

GRID_M = 0.6
AP_HEIGHT_M = 2.0
PHONE_HEIGHT_M = 1.0
CEILING_M = 3.0
FREQUENCY_GHZ = 5.0
NOT_HEARD_DBM = -200.0
NO_RANGE_MM = 100_000.0
MARGIN_M = 0.3

OUT = Path(__file__).resolve().parents[1] / "data" / "feng_wifi_rtt"

#: Site -> (README area in metres (x, y), AP grid coordinates X, Y) from the repository's
#: ``lecture theatre+office+corridor_AP_position.txt``.
SITES = {
    "lecture_theatre": ((15.0, 14.5), [3, 10, 18.8, 3, 19], [9, 9, 9, 21, 21]),
    "office": ((18.0, 5.5), [1, 11, 15, 20, 25], [5, -1, 6, -1, 5]),
    "corridor": ((35.0, 6.0), [2, 17, 38, 48], [7.5, 6.8, 9, 5]),
}


def read_source(path: Path, access_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (S, 2) m, RSS (S, A) dBm and ranges (S, A) m of one source CSV, NaN = none."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    values = np.array([[float(v) for v in row[:12]] for row in body])
    rtt_columns = [header.index(f"AP{i + 1} RTT(mm)") for i in range(access_points)]
    rss_columns = [header.index(f"AP{i + 1} RSS(dBm)") for i in range(access_points)]
    rss = values[:, rss_columns]
    rss[rss <= NOT_HEARD_DBM] = np.nan
    ranges = np.maximum(values[:, rtt_columns], 0.0) / 1000.0  # FTM's offset can read below zero near an AP
    ranges[values[:, rtt_columns] >= NO_RANGE_MM] = np.nan
    return values[:, :2] * GRID_M, rss, ranges


def write_survey(path: Path, positions: np.ndarray, rss: np.ndarray, ranges: np.ndarray, names: list[str]) -> None:
    """One row per scan: x_m, y_m, z_m, point (one id per grid position), RSS and range per AP."""
    _, point = np.unique(positions, axis=0, return_inverse=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["x_m", "y_m", "z_m", "point"] + [f"rss_dbm:{n}" for n in names] + [f"range_m:{n}" for n in names])
        for (x, y), p, r, d in zip(positions, point.ravel(), rss, ranges):
            writer.writerow([f"{x:.2f}", f"{y:.2f}", f"{PHONE_HEIGHT_M:.1f}", int(p)]
                            + ["" if np.isnan(v) else f"{v:.0f}" for v in r]
                            + ["" if np.isnan(v) else f"{v:.3f}" for v in d])


def scene(site: str, area: tuple[float, float], access_points: np.ndarray, surveyed: np.ndarray) -> dict:
    """A concrete box room of the README's area around the survey and APs, evaluation region = surveyed area."""
    everything = np.vstack([access_points, surveyed])
    low, high = everything.min(axis=0) - MARGIN_M, everything.max(axis=0) + MARGIN_M
    size = np.maximum(np.array(area), high - low)
    centre = (low + high) / 2.0
    x0, y0 = centre - size / 2.0
    x1, y1 = centre + size / 2.0
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    walls = [{"name": f"wall {i + 1}", "kind": "surface", "material": "concrete",
              "primitive": {"type": "wall", "start": _r(corners[i]), "end": _r(corners[(i + 1) % 4]), "height": CEILING_M}}
             for i in range(4)]
    planes = [{"name": name, "kind": "surface", "material": "concrete",
               "primitive": {"type": "plane", "size": _r(size)}, "transform": {"translation": _r((*centre, z))}}
              for name, z in (("floor", 0.0), ("ceiling", CEILING_M))]
    s_low, s_high = surveyed.min(axis=0) - GRID_M / 2.0, surveyed.max(axis=0) + GRID_M / 2.0
    return {
        "format": "twinloc-scene", "version": 1, "name": f"Feng Wi-Fi RTT {site.replace('_', ' ')}",
        "description": "Converted from Fx386483710/WiFi_RSS_RTT_Dataset_for_Model_Selection (MIT); "
                       "room box, AP heights and frequency assumed, see benchmarks/data/feng_wifi_rtt/NOTICE.",
        "units": "m", "materials": {"concrete": {"preset": "concrete"}},
        "objects": planes + walls,
        "regions": [{"name": "surveyed area", "type": "evaluation", "main_area": True,
                     "polygon": [_r(c) for c in ((s_low[0], s_low[1]), (s_high[0], s_low[1]),
                                                 (s_high[0], s_high[1]), (s_low[0], s_high[1]))]}],
        "tag_height_m": PHONE_HEIGHT_M,
        "access_points": [{"name": f"AP{i + 1}", "position": _r((x, y, AP_HEIGHT_M)),
                           "frequency_ghz": FREQUENCY_GHZ, "power_dbm": 20.0}
                          for i, (x, y) in enumerate(access_points)],
    }


def convert(source: Path, out: Path = OUT) -> None:
    """Write ``out/<site>/{scene.json,train.csv,test.csv}`` for every site."""
    for site, (area, ap_x, ap_y) in SITES.items():
        access_points = np.c_[ap_x, ap_y] * GRID_M
        names = [f"AP{i + 1}" for i in range(len(ap_x))]
        folder = out / site
        folder.mkdir(parents=True, exist_ok=True)
        surveyed = []
        for split in ("train", "test"):
            positions, rss, ranges = read_source(source / f"database_{site}_{split}.csv", len(names))
            write_survey(folder / f"{split}.csv", positions, rss, ranges, names)
            surveyed.append(positions)
        description = scene(site, area, access_points, np.vstack(surveyed))
        (folder / "scene.json").write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")


def _r(values) -> list[float]:
    return [round(float(v), 3) for v in values]


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python benchmarks/data_sources/feng_wifi_rtt.py SOURCE_DIR [OUT_DIR]")
    convert(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else OUT)
