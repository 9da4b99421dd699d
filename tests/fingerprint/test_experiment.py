"""Experiments and their jobs: labelled reference points, twin modes, progress and per-epoch reports."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fingerprint.conftest import make_survey, write_floor_scene
from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.compute.fingerprint_jobs import fingerprint_job, heat_map_job
from twinloc.fingerprint.experiment import labelled_subset, run_fingerprint
from twinloc.fingerprint.models import FingerprintSettings
from twinloc.learn.runs import TrainingSettings
from twinloc.geometry.scene_file import load_scene_file


def _line_survey(points: int, per_point: int = 3, offset_db: float = 0.0):
    """Points 1 m apart on a line, RSS falling 5 dB per metre from a transmitter at x = 0."""
    x = np.repeat(np.arange(float(points)), per_point)
    return make_survey(np.column_stack([x, np.zeros_like(x)]), (-30.0 - 5.0 * x + offset_db)[:, None], ("a",),
                       point_ids=np.repeat(np.arange(points), per_point), times_s=np.arange(len(x), dtype=float))


def test_labelled_subset_keeps_whole_reference_points():
    survey = _line_survey(20)
    kept = labelled_subset(survey, 0.1, seed=3)
    ids = np.unique(kept.point_ids)
    assert len(ids) == 2 and len(kept.point_ids) == 6  # 10 % of 20 points, all 3 samples of each
    assert np.array_equal(np.unique(labelled_subset(survey, 0.1, seed=3).point_ids), ids)
    assert len(np.unique(labelled_subset(survey, 0.01, seed=3).point_ids)) == 1
    with pytest.raises(ValueError, match="labelled fraction"):
        labelled_subset(survey, 0.0, seed=0)


def test_knn_with_the_twin_as_prior_uses_measured_and_twin_fingerprints():
    measured, test = _line_survey(10), _line_survey(10)
    # A twin 20 dB off everywhere: alone it places every test sample 4 m wrong (at the far end
    # up to the line's end), with the measured points first in its references it is exact.
    twin = _line_survey(10, offset_db=20.0)
    settings = FingerprintSettings(neighbours=1)
    only = run_fingerprint("knn", measured, test, settings, twin_survey=twin, twin="only")
    prior = run_fingerprint("knn", measured, test, settings, twin_survey=twin, twin="prior")
    assert only.metrics.mean_m > 2.0
    assert prior.metrics.mean_m == pytest.approx(0.0)
    assert (prior.train_points, prior.labelled_points, prior.twin_points, prior.test_samples) == (10, 10, 10, 30)


def test_training_job_reports_progress_and_every_epoch_and_saves(tmp_path):
    measured = _line_survey(12)
    settings = FingerprintSettings(hidden=8, layers=1, training=TrainingSettings(epochs=3, batch_size=8, patience=3))
    epochs, fractions = [], []
    job = fingerprint_job("mlp", measured, measured, settings, save_path=tmp_path / "m.pt",
                          on_epoch=lambda stage, epoch, history: epochs.append((stage, epoch)))
    outcome = job.function(lambda fraction, text: fractions.append(fraction), CancelToken())
    result = outcome.run
    assert outcome.twin is None  # trained on the survey: no twin
    assert epochs == [("fit", 0), ("fit", 1), ("fit", 2)]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert (tmp_path / "m.pt").is_file() and result.predicted.shape == (36, 2)
    heat = heat_map_job(result, np.array([[0.0, 0.0], [5.0, 0.0]])).function(lambda *_: None, CancelToken())
    assert heat.shape == (2,) and (heat >= 0).all()


def test_the_training_job_runs_the_twin_first_and_cancels_while_choosing_k(tmp_path):
    measured = _line_survey(4)  # x = 0..3 m, transmitter "a"
    settings = FingerprintSettings()
    fractions, texts = [], []

    def progress(fraction, text):
        fractions.append(fraction)
        texts.append(text)

    room = load_scene_file(write_floor_scene(tmp_path / "room.json", (4.0, 2.0), {"a": (2.0, 1.0, 2.5)}))
    job = fingerprint_job("knn", measured, measured, settings, twin="prior", scene=room)
    outcome = job.function(progress, CancelToken())
    # The twin's floor: 0.9 m cells of the 4 m x 2 m room, centres 0.45 + 0.9 i: 4 x 2.
    assert outcome.run.twin_points == 8 and outcome.twin.twin.calibration is None
    # k chosen over the 4 measured points (kNN with the twin as prior), then used.
    chosen = outcome.twin.neighbours
    assert chosen is not None and outcome.run.model.settings.neighbours == chosen.neighbours
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and "Choosing k" in texts
    assert max(f for f, t in zip(fractions, texts) if t == "Choosing k") <= 0.5  # the twin's half

    token = CancelToken()
    job = fingerprint_job("knn", measured, measured, settings, twin="prior", scene=room)
    with pytest.raises(JobCancelled):
        job.function(lambda fraction, text: token.cancel() if text == "Choosing k" else None, token)


def test_the_twin_walks_its_floor_grid_row_by_row_in_alternating_directions():
    from twinloc.fingerprint.twin import lawnmower_route

    grid = np.array([[x, y, 1.0] for y in (0.0, 1.0, 2.0) for x in (0.0, 1.0)])  # row-major, y then x
    assert lawnmower_route(grid)[:, :2].tolist() == [[0, 0], [1, 0], [1, 1], [0, 1], [0, 2], [1, 2]]
