"""The Model section's twin modes run what ``twinloc fingerprint --twin`` runs: a kNN with the
twin as prior, calibrated first, trained in the window gives the CLI's mean error, k and
calibration for the same training points, test points and seed.

The survey is made by hand: free-space RSS of the three access points of a 10 m x 4 m room plus
a known offset per access point, every link heard, three samples per reference point.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixtures_window import autosave_store, make_window, window_settings  # noqa: F401
from hand_radio import free_space_rss_dbm

from tests.fingerprint.conftest import write_floor_scene
from twinloc.cli import main
from twinloc.fingerprint.twin import NEIGHBOUR_CANDIDATES

pytestmark = pytest.mark.gui

ACCESS_POINTS = {"ap1": (0.0, 0.0, 2.5), "ap2": (10.0, 0.0, 2.5), "ap3": (5.0, 4.0, 2.5)}
OFFSETS_DB = {"ap1": 4.0, "ap2": -2.0, "ap3": 1.0}
NOISE_DB = (0.4, 0.0, -0.4)
#: 5 x 2 reference points over the room.
RPS = np.array([(x, y, 1.0) for y in (1.0, 3.0) for x in (1.0, 3.0, 5.0, 7.0, 9.0)])
SEED = 3
TIMEOUT_MS = 120_000


def survey_rows() -> list[tuple[int, str]]:
    """(reference point, CSV line) of every sample of the hand-made survey."""
    rss = {name: free_space_rss_dbm(RPS, position, 2.4e9, 20.0) + OFFSETS_DB[name]
           for name, position in ACCESS_POINTS.items()}
    rows = []
    for point, (x, y, z) in enumerate(RPS):
        for sample, noise in enumerate(NOISE_DB):
            cells = ",".join(f"{rss[name][point] + noise:.6f}" for name in ACCESS_POINTS)
            rows.append((point, f"{x},{y},{z},{point},{3 * point + sample},{cells}"))
    return rows


def write_survey(path, rows) -> str:
    header = "x_m,y_m,z_m,point,t_s," + ",".join(f"rss_dbm:{name}" for name in ACCESS_POINTS)
    path.write_text("\n".join([header, *(line for _point, line in rows)]) + "\n")
    return str(path)


def test_twin_prior_knn_in_the_window_gives_the_clis_result(make_window, qtbot, tmp_path, errors, capsys):
    scene = write_floor_scene(tmp_path / "room.json", (10.0, 4.0), ACCESS_POINTS)
    rows = survey_rows()
    window = make_window(scene)
    controller = window.feature("fingerprint").controller
    dock = window.feature("fingerprint").dock
    dock.survey_section.import_csv(write_survey(tmp_path / "measured.csv", rows))
    qtbot.waitUntil(lambda: window.runner.is_idle and controller.surveys.measured is not None, timeout=TIMEOUT_MS)

    model = dock.model_section
    model.kind.setCurrentIndex(model.kind.findData("knn"))
    model.data.setCurrentIndex(model.data.findData("none"))
    assert not model.calibrate.isEnabled()  # only the twin is calibrated
    model.data.setCurrentIndex(model.data.findData("prior"))
    assert model.calibrate.isEnabled()
    model.calibrate.setChecked(True)
    model.seed.setValue(SEED)
    model.train_button.click()
    positioning = controller.positioning
    qtbot.waitUntil(lambda: window.runner.is_idle and positioning.run is not None and positioning.heat_map is not None,
                    timeout=TIMEOUT_MS)
    run, twin = positioning.run, positioning.twin
    assert not errors

    # The same training and test points through the CLI.
    tested = {int(np.flatnonzero((RPS[:, :2] == position).all(axis=1))[0])
              for position in np.unique(positioning.test_positions, axis=0)}
    assert len(tested) == 3  # 30 % of 10 points
    train = write_survey(tmp_path / "train.csv", [row for row in rows if row[0] not in tested])
    test = write_survey(tmp_path / "test.csv", [row for row in rows if row[0] in tested])
    status = main(["fingerprint", scene, "--train", train, "--test", test, "--twin", "prior", "--calibrate",
                   "--seed", str(SEED), "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    cli = json.loads(out)

    assert run.metrics.mean_m == pytest.approx(cli["mean_m"], abs=1e-4)
    assert run.model.settings.neighbours == cli["neighbours"] and cli["neighbours"] in NEIGHBOUR_CANDIDATES
    assert twin.neighbours is not None and twin.neighbours.neighbours == cli["neighbours"]
    assert (run.twin_points, run.labelled_points, run.test_samples) == (cli["twin_points"], 7, 9)
    assert twin.twin.calibration_report() == cli["calibration"]
    assert cli["calibration"]["links"] == 7 * 3 * 3  # 7 training points x 3 samples x 3 access points, all heard
    # The dock says what the CLI's JSON says.
    calibration = cli["calibration"]
    text = model.status.text()
    assert f"k = {cli['neighbours']}, chosen by leaving out each training point in turn." in text
    assert (f"Twin calibrated on 63 links: RSS RMS {calibration['rms_before_db']:g} → "
            f"{calibration['rms_after_db']:g} dB." in text)
