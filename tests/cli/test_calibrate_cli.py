"""``twinloc calibrate``: materials fitted to ranges worked out by hand in the test room."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

ANCHORS = np.array([[0.0, 0.0, 2.0], [4.0, 0.0, 2.0], [0.0, 2.0, 2.0], [4.0, 2.0, 2.0]])
ANCHOR_TEXT = ";".join(",".join(f"{v:g}" for v in anchor) for anchor in ANCHORS)
BRICK_PRESET, THICKNESS = 3.91, 0.12  # resources/materials.json
TRUE_EPS = 5.0


def _crosses_wall(anchor, point):
    """Whether the straight link meets the room's wall x = 2, 0 <= y <= 1 (both ends at heights it spans)."""
    if (anchor[0] - 2.0) * (point[0] - 2.0) >= 0:
        return False
    y = anchor[1] + (2.0 - anchor[0]) / (point[0] - anchor[0]) * (point[1] - anchor[1])
    return 0.0 <= y <= 1.0


def _range_file(tmp_path, eps=TRUE_EPS):
    rows = ["true_x,true_y," + ",".join(f"range_{k + 1}" for k in range(len(ANCHORS)))]
    for x in (0.3, 0.9, 1.5, 2.5, 3.1, 3.7):
        for y in (0.2, 0.7, 1.3, 1.8):
            point = np.array([x, y, 1.0])
            ranges = []
            for anchor in ANCHORS:
                crossing = _crosses_wall(anchor, point)
                excess = THICKNESS * (math.sqrt(eps) - 1.0) if crossing else 0.0
                ranges.append(np.linalg.norm(point - anchor) + excess + (0.10 if crossing else 0.02))
            rows.append(f"{x},{y}," + ",".join(f"{r:.12f}" for r in ranges))
    path = tmp_path / "ranges.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_calibrate_recovers_the_wall_permittivity_from_a_range_file(cli, room_scene, tmp_path):
    status, out, err = cli(["calibrate", room_scene, "--anchors", ANCHOR_TEXT, "--measured", str(_range_file(tmp_path)),
                            "--json"])
    assert status == 0, err
    report = json.loads(out)
    brick = report["materials"]["brick"]
    assert brick["preset"] == BRICK_PRESET and brick["identifiable"]
    assert brick["fitted"] == pytest.approx(TRUE_EPS, rel=1e-6)
    low, high = brick["ci95"]
    assert high - low < 1e-4
    assert report["residual_rms_after_m"] < 1e-6 < report["residual_rms_before_m"]
    assert report["measured"] == "ranges" and report["measuring_points"] == 24 and report["links"] == 96


def test_calibrate_the_simulated_site_with_anchor_biases(cli):
    status, out, err = cli(["calibrate", "uwb_hall", "--simulate-site", "--anchor-bias", "--seed", "3", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert report["measured_source"] == "simulated site" and report["measuring_points"] == 50
    assert len(report["anchor_bias_ci95_m"]) == 3 and all(ci is not None for ci in report["anchor_bias_ci95_m"])
    assert report["materials"]["concrete"]["identifiable"]
    # The site's concrete is 1.3 x 5.24 = 6.81: the fit moves toward it.
    assert 6.0 < report["materials"]["concrete"]["fitted"] < 7.6


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "one of the arguments --measured --simulate-site is required"),
        (["--simulate-site", "--materials", "stone"], "the scene has no material 'stone'"),
        (["--simulate-site", "--materials", "brick,"], "argument --materials: 'brick,' is not a comma-separated list"),
    ],
)
def test_calibrate_refusals_are_one_line(cli, room_scene, extra, message):
    status, out, err = cli(["calibrate", room_scene, "--anchors", ANCHOR_TEXT, *extra])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("twinloc: error: ") and message in err


def test_a_range_file_for_other_anchors_is_refused_by_name(cli, room_scene, tmp_path):
    path = _range_file(tmp_path)
    status, out, err = cli(["calibrate", room_scene, "--anchors", "0,0,2;4,0,2;0,2,2", "--measured", str(path)])
    assert status == 2 and out == ""
    assert f"--measured {path}: the measurements hold ranges to 4 anchor(s), the layout has 3" in err
