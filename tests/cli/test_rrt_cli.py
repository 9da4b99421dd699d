"""twinloc paths, locate and evaluate-rrt: output shape, analytic values, one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest





def _box_room(tmp_path: Path) -> str:
    """A 6 m x 4 m x 3 m room: floor, ceiling and four walls."""
    walls = [((0, 0), (6, 0)), ((6, 0), (6, 4)), ((6, 4), (0, 4)), ((0, 4), (0, 0))]
    objects = [{"name": f"wall {k}", "kind": "surface", "material": "concrete",
                "primitive": {"type": "wall", "start": list(a), "end": list(b), "height": 3.0}} for k, (a, b) in enumerate(walls)]
    for name, z in (("floor", 0.0), ("ceiling", 3.0)):
        objects.append({"name": name, "kind": "surface", "material": "concrete",
                        "primitive": {"type": "plane", "size": [6.0, 4.0]}, "transform": {"translation": [3.0, 2.0, z]}})
    descriptor = {"format": "twinloc-scene", "version": 1, "name": "box", "units": "m",
                  "materials": {"concrete": {"preset": "concrete"}}, "objects": objects}
    path = tmp_path / "box.json"
    path.write_text(json.dumps(descriptor))
    return str(path)


PATH_KEYS = {"length_m", "delay_s", "aoa_az_deg", "aoa_el_deg", "aod_az_deg", "aod_el_deg", "interactions"}


def test_paths_json_matches_the_image_method_in_a_box(tmp_path, cli):
    status, out, err = cli(["paths", _box_room(tmp_path), "--tx", "1,1,1", "--rx", "4,3,2", "--max-depth", "1", "--json"])
    assert status == 0, err
    paths = json.loads(out)["paths"]
    assert len(paths) == 7 and all(PATH_KEYS <= set(p) for p in paths)
    los = paths[0]
    assert los["interactions"] == [] and los["length_m"] == pytest.approx(math.sqrt(14))
    assert los["aoa_az_deg"] == pytest.approx(math.degrees(math.atan2(-2, -3)))
    assert los["aod_el_deg"] == pytest.approx(math.degrees(math.atan2(1, math.sqrt(13))))
    assert los["delay_s"] == pytest.approx(math.sqrt(14) / 299_792_458.0)
    floor = next(p for p in paths if p["interactions"] and p["interactions"][0]["object"] == "floor")
    # Image of the transmitter in the floor: (1, 1, -1).
    assert floor["length_m"] == pytest.approx(math.sqrt(9 + 4 + 9))
    assert floor["aoa_el_deg"] == pytest.approx(math.degrees(math.atan2(-3, math.sqrt(13))))
    np.testing.assert_allclose(floor["interactions"][0]["point"], [1 + 3 / 3, 1 + 2 / 3, 0.0], atol=1e-9)


def test_locate_json_reports_estimate_truth_error_and_time(cli):
    status, out, err = cli(["locate", "industrial_hall", "--ue", "5,12,1.2", "--aoa-sigma", "0.25",
                             "--pt-sigma", "0.5", "--rays", "1000", "--seed", "1", "--json"])
    assert status == 0, err
    report = json.loads(out)
    assert {"estimate", "truth", "error_m", "seconds"} <= set(report)
    assert report["truth"] == [5.0, 12.0, 1.2]
    assert report["error_m"] == pytest.approx(np.linalg.norm(np.subtract(report["estimate"], report["truth"])), abs=1e-5)
    assert report["error_m"] < 0.2


def test_evaluate_rrt_json_has_one_row_per_setting(cli):
    status, out, err = cli(["evaluate-rrt", "industrial_hall", "--drops", "3", "--aoa-sigma", "0.5,1",
                             "--pt-sigma", "none,0.5", "--rays", "500", "--mode", "2d", "--json", "--scheduler", "none"])
    assert status == 0, err
    report = json.loads(out)
    rows = report["settings"]
    assert [(r["aoa_sigma_deg"], r["pt_sigma_m"]) for r in rows] == [(0.5, None), (0.5, 0.5), (1.0, None), (1.0, 0.5)]
    for row in rows:
        assert row["rpt_sigma_m"] is None and row["mode"] == "2d" and row["drops"] == 3
        assert {"p50_m", "p67_m", "p80_m", "p90_m", "mean_m"} <= set(row) and set(row["baseline"]) >= {"p90_m", "mean_m"}
    assert report["seconds"] > 0


@pytest.mark.parametrize("argv", [
    ["paths", "industrial_hall", "--tx", "1,2", "--rx", "1,1,1"],
    ["locate", "industrial_hall", "--ue", "1,1,1", "--pt-sigma", "0.5", "--rpt-sigma", "0.5"],
    ["evaluate-rrt", "industrial_hall", "--aoa-sigma", "abc"],
    ["locate", "no_such_scene", "--ue", "1,1,1"],
])
def test_bad_arguments_are_one_line_errors(argv, cli):
    status, out, err = cli(argv)
    assert status == 2 and out == ""
    assert err.startswith("twinloc: error: ") and err.count("\n") == 1
