"""The positioning model of the Fingerprinting feature: train, evaluate, map the RMSE.

:class:`PositioningController` trains a kNN, MLP or LSTM model (seed 002) in the long lane on
the measured survey, the twin's virtual survey of the floor, or the twin first and then the
measured survey, with the trainer's losses as the task's live reports. It runs what
``twinloc fingerprint`` runs (:func:`~twinloc.compute.fingerprint_jobs.fingerprint_job`): the
twin's survey from :func:`~twinloc.fingerprint.twin.twin_training`, calibrated on the
training points when asked (``--calibrate``), kNN's k chosen with the twin as prior. The
measured survey plays the CLI's ``--train`` and ``--test``; before one is imported, the plan's
virtual survey stands in for it (to try a plan before anyone walks it). The test set is whole
reference points held out of it, chosen by the seed, so no point is both trained and tested
on. Once trained, the RMSE of each test point is interpolated over the floor grid (Gaussian
RBF) and shown as the heat map.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.fingerprint_jobs import fingerprint_job, heat_map_job
from twinloc.compute.jobs import Job
from twinloc.geometry.grid import FloorGrid
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.fingerprint.radio import RadioMapController, twin_scene
from twinloc.gui.features.fingerprint.surveys import SurveyController
from twinloc.gui.tasks import LONG, JobRunner
from twinloc.gui.widgets.loss_plot import losses_so_far

TRAIN_KEY, HEAT_KEY = "fingerprint_training", "rmse_heat_map"
#: The heat map covers the cells within this distance of a test point, metres: farther away the
#: interpolation only extrapolates (seed 002 maps the surveyed area only).
HEAT_REACH_M = 3.0
#: Where the training data come from: key -> what the user reads.
TRAINING_DATA = {
    "none": "Measured survey",
    "only": "Twin only (virtual survey of the floor)",
    "prior": "Twin prior + measured survey",
}


@dataclass(frozen=True)
class TrainingRequest:
    """What to train: model ``kind`` ("knn", "mlp", "lstm1", "lstm2"), ``features`` ("rss",
    "range", "rss+range"), training data ``twin`` (a key of :data:`TRAINING_DATA`), the
    fraction of reference points held out for testing, the seed, the epochs of a torch model
    (0: the seed's), and whether the twin is calibrated on the training points first (as
    ``twinloc fingerprint --calibrate``; with ``twin`` "none" it does nothing)."""

    kind: str = "knn"
    features: str = "rss"
    twin: str = "none"
    test_fraction: float = 0.3
    seed: int = 0
    epochs: int = 0
    calibrated: bool = False


def split_by_points(survey, test_fraction: float, seed: int):
    """(training survey, test survey): ``test_fraction`` of ``survey``'s reference points,
    whole points drawn by ``seed`` (at least one each side).

    Raises
    ------
    ValueError
        Fewer than two reference points, or a fraction outside (0, 1).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"the test fraction must be between 0 and 1, got {test_fraction:g}")
    ids = np.unique(survey.point_ids)
    if len(ids) < 2:
        raise ValueError(f"the survey has {len(ids)} reference point: a model needs one to train on and one to test on")
    count = min(max(1, round(test_fraction * len(ids))), len(ids) - 1)
    tested = np.isin(survey.point_ids, np.random.default_rng(seed).choice(ids, size=count, replace=False))
    return survey.select(~tested), survey.select(tested)


class PositioningController(QObject):
    """Trains fingerprint positioning models on a document's surveys and maps their RMSE.

    Signals
    -------
    lossesChanged()
        :attr:`losses` grew by an epoch or was reset.
    trainingEnded(str)
        "finished", "failed" or "cancelled".
    resultChanged()
        :attr:`run` or :attr:`heat_map` changed.
    """

    lossesChanged = Signal()
    trainingEnded = Signal(str)
    resultChanged = Signal()

    def __init__(self, document: ProjectDocument, runner: JobRunner, radio: RadioMapController, surveys: SurveyController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._radio = radio
        self._surveys = surveys
        self.losses: dict[str, tuple[list[float], list[float]]] = {}
        self.run = None
        """The last :class:`~twinloc.fingerprint.experiment.FingerprintRun` (None before the first)."""
        self.twin = None
        """The twin's part of :attr:`run` (:class:`~twinloc.fingerprint.twin.TwinTraining`), None without the twin."""
        self.request: TrainingRequest | None = None
        self.test_positions: np.ndarray | None = None
        """(S, 2) metres: the true positions of :attr:`run`'s test samples, in its ``predicted`` order."""
        self.scene_digest: str | None = None
        """``Scene.content_hash()`` of the twin :attr:`run` was trained with (when it used the twin)."""
        self.heat_map: tuple[FloorGrid, np.ndarray] | None = None
        """The floor grid and the RMSE interpolated on its cells, metres (NaN farther than :data:`HEAT_REACH_M` from a test point)."""
        document.sceneChanged.connect(self._forget)

    @property
    def training(self) -> bool:
        return self._runner.task(TRAIN_KEY) is not None

    def train(self, request: TrainingRequest) -> None:
        """Start training and evaluating a model.

        Raises
        ------
        ValueError
            No survey, a survey too small to split, or a run still going.
        """
        from twinloc.fingerprint.models import default_settings  # torch and scikit-learn load with the first run

        measured = self._surveys.measured
        survey = measured.survey if measured is not None else self._surveys.virtual
        if survey is None:
            raise ValueError("Import a measured survey (or run a virtual survey of the plan) first: its reference "
                             "points are trained and tested on.")
        if self.training:
            raise ValueError("A model is still training: cancel it first.")
        train, test = split_by_points(survey, request.test_fraction, request.seed)
        settings = default_settings(request.kind, request.features, request.seed)
        if request.epochs:
            settings = replace(settings, training=replace(settings.training, epochs=int(request.epochs)))
        self.request = request
        scene, geometry = twin_scene(self._document), self._document.geometry
        task = self._runner.submit_publishing(
            lambda publish: fingerprint_job(request.kind, train, test, settings, seed=request.seed, twin=request.twin,
                                            scene=scene, calibrated=request.calibrated, geometry=geometry,
                                            on_epoch=losses_so_far(publish)),
            lane=LONG, key=TRAIN_KEY,
        )
        task.published.connect(self._on_losses)
        tested = np.asarray(test.positions, dtype=np.float64)[:, :2]
        digest = scene.content_hash()
        task.finished.connect(lambda outcome: self._on_trained(outcome, tested, digest))
        task.failed.connect(lambda _message: self.trainingEnded.emit("failed"))
        task.cancelled.connect(lambda: self.trainingEnded.emit("cancelled"))
        self.losses = {}
        self.lossesChanged.emit()

    def cancel(self) -> None:
        """Stop training; a torch model ends with its best weights so far and is evaluated."""
        self._runner.cancel(TRAIN_KEY)

    def stop(self) -> None:
        """Stop for good (the window is closing)."""
        for key in (TRAIN_KEY, HEAT_KEY):
            self._runner.cancel(key)

    def _forget(self) -> None:
        """A model belongs to its site: another scene drops it."""
        if self.run is not None:
            self.stop()
            self.run, self.twin, self.test_positions, self.heat_map = None, None, None, None
            self.resultChanged.emit()

    def _on_losses(self, losses: dict) -> None:
        self.losses = losses
        self.lossesChanged.emit()

    def _on_trained(self, outcome, tested: np.ndarray, digest: str) -> None:
        run = outcome.run
        self.run, self.twin, self.test_positions, self.scene_digest = run, outcome.twin, tested, digest
        self.heat_map = None
        self.resultChanged.emit()
        self.trainingEnded.emit("finished")
        scene, view, geometry = twin_scene(self._document), self._radio.view, self._document.geometry

        def run_heat_map(progress, cancel) -> tuple[FloorGrid, np.ndarray]:
            from scipy.spatial import cKDTree

            progress(0.0, "Floor grid")
            grid = geometry.floor_grid(scene, view.resolution_m, view.receiver_height_m)
            cells = grid.points[:, :2]
            rmse = heat_map_job(run, cells).function(progress, cancel)
            distance, _index = cKDTree(run.points.positions[:, :2]).query(cells)
            return grid, np.where(distance <= HEAT_REACH_M, rmse, np.nan)

        task = self._runner.submit(Job("RMSE heat map", run_heat_map), lane=LONG, key=HEAT_KEY, supersede=True)
        task.finished.connect(self._on_heat_map)

    def _on_heat_map(self, result: tuple[FloorGrid, np.ndarray]) -> None:
        grid, rmse = result
        self.heat_map = (grid, np.asarray(rmse, dtype=np.float64))
        self.resultChanged.emit()
