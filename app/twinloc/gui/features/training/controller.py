"""The Training section's commands: data, training runs, model files and the mitigated map.

:class:`TrainingController` is the Qt side of :mod:`twinloc.mitigation`. It keeps the
virtual data (generated from the document's twin), the measured data (a CSV file or the
SIMULATED site), the last trained or loaded model, and runs every long step in the long lane
of the application's :class:`JobRunner`, so the live maps keep their threads. The trainer's
per-epoch losses arrive as the training task's live reports, the newest only, so a fast run
never floods the event queue. The data belong to the anchors and
the scene they were made for: an edit of either forgets them (the model is kept).
The dock (:mod:`twinloc.gui.features.training.dock`) is a view of this object.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.jobs import Job
from twinloc.compute.mitigation_jobs import mitigated_map_job, mitigation_job, virtual_dataset_job
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.training.layers import MAP_VIEWS, mitigated_layer, view_values
from twinloc.gui.tasks import LONG, JobRunner, Task
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.gui.widgets.loss_plot import losses_so_far
from twinloc.learn.runs import TrainingSettings
from twinloc.mitigation.datasets import FIXES_PER_SAMPLE, MitigationDataset, check_virtual_data, measured_csv_dataset
from twinloc.mitigation.files import load_dataset, load_mitigation_model, mitigation_checkpoint, save_dataset
from twinloc.mitigation.maps import MitigatedMap
from twinloc.mitigation.per_link import PerLinkModel
from twinloc.mitigation.site import SiteSimulation, simulated_site_dataset
from twinloc.mitigation.training import MitigationResult

VIRTUAL_KEY = "training_virtual"
MEASURED_KEY = "training_measured"
TRAIN_KEY = "training"
MAP_KEY = "mitigated_map"
"""The key of the mitigated map's floor layer and of its tasks."""
SAVE_KEY = "training_save"


@dataclass(frozen=True)
class LoadedModel:
    """The model the section holds, with what its checkpoint records.

    model : the torch module; provenance and extra : the checkpoint's metadata (see
    :func:`twinloc.mitigation.files.mitigation_checkpoint`); source : the file it came from,
    or "" when trained in this session and not saved yet.
    """

    model: Any
    provenance: dict
    extra: dict
    source: str = ""


class TrainingController(QObject):
    """Trains error mitigation models for a document and shows their mitigated map.

    Parameters
    ----------
    document : ProjectDocument
    runner : JobRunner
    floor : FloorStack
        Shows the mitigated map as the layer :data:`MAP_KEY`, which must be registered.

    Signals
    -------
    dataChanged()
        :attr:`virtual` or :attr:`measured` changed (generated, imported, loaded or forgotten).
    dataForgotten(str)
        The document changed under the data; the text says why.
    dataEnded(str)
        Generating or simulating data ended: "finished", "failed" or "cancelled".
    progress(float, str)
        Progress of the data being made or of the training run: fraction done and what is done.
    lossesChanged()
        :attr:`losses` grew by an epoch (or was reset for a new run or a loaded model).
    trainingEnded(str)
        A run ended: its reason ("completed", "early stopping", "time limit", "cancelled")
        or "failed".
    modelChanged()
        :attr:`current` or :attr:`result` changed (trained, loaded, saved).
    mapChanged()
        The mitigated map was shown, redrawn or hidden.
    mapEnded()
        The mitigated map left the floor.
    saved(str)
        :meth:`save_virtual` wrote this file.
    """

    dataChanged = Signal()
    dataForgotten = Signal(str)
    dataEnded = Signal(str)
    progress = Signal(float, str)
    lossesChanged = Signal()
    trainingEnded = Signal(str)
    modelChanged = Signal()
    mapChanged = Signal()
    mapEnded = Signal()
    saved = Signal(str)

    def __init__(self, document: ProjectDocument, runner: JobRunner, floor: FloorStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._floor = floor
        self._revision = 0
        self.virtual: MitigationDataset | None = None
        self.measured: MitigationDataset | None = None
        self.result: MitigationResult | None = None
        """The last run of this session (None after a model was loaded)."""
        self.current: LoadedModel | None = None
        self.map: MitigatedMap | None = None
        self.map_view = "nn"
        self.map_floor = "twin"
        """Where the map applies the model: "twin" (the virtual data) or "site" (the simulated site's floor)."""
        self.losses: dict[str, tuple[list[float], list[float]]] = {}
        self._training = False
        self._map_shown = floor.active == MAP_KEY
        self._data_inputs = self._inputs()
        for signal, what in ((document.sceneChanged, "The scene"), (document.materialsChanged, "The scene's materials"),
                             (document.anchorsChanged, "The anchor layout"), (document.settingsChanged, "The tag height"),
                             (document.errorMapSettingsChanged, "The ranging model")):
            signal.connect(lambda what=what: self._forget_data_if_stale(what))
        floor.activeChanged.connect(self._on_floor_changed)
        self.dataChanged.connect(self._offer_map)
        self.modelChanged.connect(self._offer_map)
        self._offer_map()

    # ------------------------------------------------------------------ state

    @property
    def training(self) -> bool:
        return self._training

    @property
    def map_shown(self) -> bool:
        return self._map_shown

    def anchors(self) -> np.ndarray:
        """(A, 3) float64, metres: the document's enabled anchors."""
        return np.array([a.position for a in self._document.project.anchors if a.enabled], dtype=np.float64).reshape(-1, 3)

    # ------------------------------------------------------------------ data

    def generate_virtual(self, resolution_m: float, groups: int, seed: int) -> None:
        """Start generating the twin's virtual data for the enabled anchors.

        Raises
        ------
        ValueError
            Fewer than three enabled anchors (no fix in 2D).
        """
        anchors = self._checked_anchors()
        project = self._document.project
        job = virtual_dataset_job(self._document.scene, anchors, self._document.tag_height_m, resolution_m, groups,
                                  project.error_map.ranging, seed, geometry=self._document.geometry)
        self._watch_data(self._runner.submit(job, lane=LONG, key=VIRTUAL_KEY, supersede=True), "virtual")

    def simulate_site(self, points: int, fixes: int, seed: int) -> None:
        """Start measuring the SIMULATED physical site (see :class:`SiteSimulation`)."""
        anchors = self._checked_anchors()
        if fixes < FIXES_PER_SAMPLE:
            raise ValueError(f"Take at least {FIXES_PER_SAMPLE} fixes per point: one sample is {FIXES_PER_SAMPLE} fixes.")
        scene, tag_height = self._document.scene, self._document.tag_height_m
        resolution = self._document.grid_resolution_m
        ranging = self._document.project.error_map.ranging
        simulation = SiteSimulation(points=int(points), fixes=int(fixes), seed=int(seed))
        geometry = self._document.geometry

        def run(progress, cancel) -> MitigationDataset:
            progress(0.0, "Measuring the simulated site")
            return simulated_site_dataset(scene, anchors, tag_height, resolution, ranging, simulation, geometry=geometry)

        self._watch_data(self._runner.submit(Job("Simulated site", run), lane=LONG, key=MEASURED_KEY, supersede=True), "measured")

    def import_measured(self, path: str | Path) -> None:
        """Read measuring points from a CSV file (see :mod:`twinloc.uwb.measured`).

        Raises
        ------
        ValueError
            A malformed file, or no point with eight fixes; the data held before are kept.
        """
        anchors = self._checked_anchors()
        self.measured = measured_csv_dataset(path, self._document.scene, anchors, self._document.tag_height_m,
                                             geometry=self._document.geometry)
        self.dataChanged.emit()

    def save_virtual(self, path: str | Path) -> None:
        """Start writing the virtual data as a compressed ``.npz`` with its provenance.

        A worker thread writes it (the hall at 10 cm compresses for about 2 s); ``saved``
        follows (a failure is shown by the window).
        """
        if self.virtual is None:
            raise ValueError("There are no virtual data to save: generate them first.")
        data, path = self.virtual, Path(path)

        def run(progress, _cancel) -> Path:
            progress(0.0, f"Writing {path.name}")
            save_dataset(data, path)
            return path

        task = self._runner.submit(Job("Saving training data", run), lane=LONG, key=SAVE_KEY, supersede=True)
        task.finished.connect(lambda written: self.saved.emit(str(written)))

    def load_virtual(self, path: str | Path) -> None:
        """Read virtual data saved before; they must belong to the open scene and anchors.

        Raises
        ------
        ValueError
            A broken file, or data of another scene or anchor layout (the data held are kept).
        """
        data = load_dataset(path)
        check_virtual_data(data, self._document.scene, self.anchors(), Path(path).name)
        self.virtual = data
        self.dataChanged.emit()

    # ------------------------------------------------------------------ training

    def train(self, architecture: str, model_kwargs: dict, seed: int,
              pretrain: TrainingSettings, fine_tune: TrainingSettings, split: str = "points") -> None:
        """Pre-train on the virtual data and fine-tune on the measured data, on a worker thread;
        then apply the model over the floors (see :func:`~twinloc.compute.mitigation_jobs.mitigation_job`).

        ``architecture``: "per_link" or a network of :mod:`twinloc.learn.models`. ``split``: the
        model kept holds out whole measuring "points" or measured "samples" (the paper's
        split); both are reported.

        Raises
        ------
        ValueError
            Data missing, model settings the architecture refuses, or a run still going.
        """
        from twinloc.learn.models import create_model  # torch loads with the first run, not at start-up

        if architecture != "per_link":
            try:
                create_model(architecture, **model_kwargs)
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"Invalid model settings: {error}") from None
        if self.virtual is None:
            raise ValueError("Generate (or load) the virtual data of the twin first.")
        if self.measured is None:
            raise ValueError("Import measured data or simulate a site first: the model is fine-tuned and tested on them.")
        if architecture == "per_link" and (self.virtual.ranges is None or self.measured.ranges is None):
            raise ValueError("The per-link model needs the range of every anchor in both data sets; these hold "
                             "positions only. Generate the virtual data again, or choose the paper model.")
        virtual, measured, scene, geometry = self.virtual, self.measured, self._document.scene, self._document.geometry
        task = self._runner.submit_publishing(
            lambda publish: mitigation_job(scene, virtual, measured, pretrain, fine_tune, architecture=architecture,
                                           model_kwargs=model_kwargs, split=split, seed=seed,
                                           epoch_listener=losses_so_far(publish), geometry=geometry),
            lane=LONG, key=TRAIN_KEY,
        )
        task.progress.connect(self.progress)
        task.published.connect(self._on_losses)
        task.finished.connect(self._on_trained)
        task.failed.connect(lambda _message: self._end_training("failed"))
        # Cancelled before training began (while a stage was set up): no result to show.
        task.cancelled.connect(lambda: self._end_training("cancelled"))
        self._training = True
        self.losses = {}
        self.lossesChanged.emit()

    def cancel(self) -> None:
        """Stop training; the run ends with the best weights so far and their comparison."""
        self._runner.cancel(TRAIN_KEY)

    # ------------------------------------------------------------------ model files

    def save_model(self, path: str | Path) -> None:
        """Write the current model as a ``.pt`` checkpoint (atomically)."""
        if self.current is None:
            raise ValueError("There is no model to save: train or load one first.")
        if isinstance(self.current.model, PerLinkModel):
            raise ValueError("Only the paper model can be saved: the per-link model reads the twin's link table, "
                             "which a model file does not hold.")
        from twinloc.learn.trainer import save_checkpoint  # torch is loaded once a model exists

        save_checkpoint(path, self.current.model, provenance=self.current.provenance, extra=self.current.extra)
        self.current = LoadedModel(self.current.model, self.current.provenance, self.current.extra, str(path))
        self.modelChanged.emit()

    def load_model(self, path: str | Path) -> None:
        """Read a model saved before; its recorded losses and errors are shown again.

        Raises
        ------
        CheckpointError
            Not a checkpoint, not an error mitigation model (16 inputs, 2 outputs), or damaged
            metadata (see :func:`~twinloc.mitigation.files.load_mitigation_model`).
        """
        checkpoint = load_mitigation_model(path)
        self.current = LoadedModel(checkpoint.model, checkpoint.provenance, checkpoint.extra, str(path))
        self.result = None
        history = checkpoint.extra.get("history", {})
        self.losses = {stage: (list(h.get("train_loss", [])), list(h.get("validation_loss", []))) for stage, h in history.items()}
        self.lossesChanged.emit()
        self.modelChanged.emit()
        if self._map_shown:
            self._submit_map()

    # ------------------------------------------------------------------ the mitigated map

    def show_map(self, shown: bool) -> None:
        """Apply the model to the virtual data and show the per-cell error on the floor, in place
        of the floor's active layer (or stop, giving the floor back to that layer).

        Raises
        ------
        ValueError
            No model or no virtual data.
        """
        if not shown:
            self._floor.release(MAP_KEY)
            return
        if self.current is None:
            raise ValueError("Train or load a model first.")
        if self.virtual is None:
            raise ValueError("Generate (or load) the virtual data first: the map applies the model to them.")
        self._floor.set_active(MAP_KEY)

    def site_simulation(self) -> SiteSimulation | None:
        """The simulation behind the measured data, or None when they are not simulated."""
        settings = (self.measured.provenance.get("simulation") if self.measured is not None else None)
        return SiteSimulation(**settings) if settings else None

    def set_map_floor(self, floor: str) -> None:
        """Apply the model on the twin's floor ("twin") or the simulated site's ("site").

        Raises
        ------
        ValueError
            "site" while the measured data do not come from the simulated site.
        """
        if floor not in ("twin", "site"):
            raise ValueError(f"unknown floor {floor!r}")
        if floor == "site" and self.site_simulation() is None:
            raise ValueError("Simulate a site first: the measured data do not come from the simulated site.")
        self.map_floor = floor
        if self._map_shown:
            self.map = None
            self._submit_map()
            self.mapChanged.emit()

    def set_map_view(self, view: str) -> None:
        """Show the map as one of :data:`MAP_VIEWS`."""
        if view not in MAP_VIEWS:
            raise ValueError(f"unknown map view {view!r}")
        self.map_view = view
        self._draw_map()

    def map_values(self) -> np.ndarray | None:
        """(M,) float64, metres, the values :attr:`map_view` draws per cell, or None."""
        return view_values(self.map, self.map_view) if self.map is not None else None

    def stop(self) -> None:
        """The window is closing: stop the jobs."""
        for key in (VIRTUAL_KEY, MEASURED_KEY, TRAIN_KEY, MAP_KEY):
            self._runner.cancel(key)

    # ------------------------------------------------------------------ internals

    def _checked_anchors(self) -> np.ndarray:
        anchors = self.anchors()
        if len(anchors) < 3:
            raise ValueError(f"Place at least three enabled anchors: a fix needs three ranges ({len(anchors)} enabled).")
        return anchors

    def _offer_map(self) -> None:
        """The map's View action can turn it on once there are a model and virtual data."""
        self._floor.action(MAP_KEY).setEnabled(self.current is not None and self.virtual is not None)

    def _on_floor_changed(self, active: str | None) -> None:
        shown = active == MAP_KEY
        if shown == self._map_shown:
            return
        self._map_shown = shown
        if shown:
            self._submit_map()
            self.mapChanged.emit()
            return
        self._runner.cancel(MAP_KEY)
        self._floor.withdraw(MAP_KEY)
        self.map = None
        self.mapChanged.emit()
        self.mapEnded.emit()

    def _submit_map(self) -> None:
        site = self.site_simulation() if self.map_floor == "site" else None
        revision = self._floor.revise(MAP_KEY)
        task = self._runner.submit(mitigated_map_job(self._document.scene, self.current.model, self.virtual, site,
                                                     geometry=self._document.geometry),
                                   key=MAP_KEY, supersede=True)
        task.finished.connect(lambda result: self._on_map(result, revision))
        task.failed.connect(lambda _message: self._floor.release(MAP_KEY))
        task.cancelled.connect(lambda: self._floor.release(MAP_KEY) if self.map is None else None)

    def _draw_map(self) -> None:
        if not self._map_shown or self.map is None:
            return
        self._floor.publish(MAP_KEY, mitigated_layer(self.map, self.map_view), self._revision)
        self.mapChanged.emit()

    def _inputs(self) -> tuple:
        """What the data depend on: the effective scene, the enabled anchors, the tag height, the ranging model."""
        return (self._document.scene.content_hash(), self.anchors().tobytes(), self._document.tag_height_m,
                self._document.project.error_map.ranging)

    def _forget_data_if_stale(self, what: str) -> None:
        inputs = self._inputs()
        if inputs == self._data_inputs:
            return  # e.g. an anchor renamed, or another setting changed
        self._data_inputs = inputs
        for key in (VIRTUAL_KEY, MEASURED_KEY, MAP_KEY):
            self._runner.cancel(key)
        if self.virtual is None and self.measured is None:
            return
        self.virtual = self.measured = None
        self._floor.release(MAP_KEY)
        self.dataChanged.emit()
        self.dataForgotten.emit(f"{what} changed: the training data were made for the old one; generate them again.")

    def _watch_data(self, task: Task, kind: str) -> None:
        """Keep what ``task`` makes as the ``kind`` ("virtual" or "measured") data."""
        task.progress.connect(self.progress)
        task.finished.connect(lambda data: self._on_data(kind, data))
        task.failed.connect(lambda _message: self.dataEnded.emit("failed"))
        task.cancelled.connect(lambda: self.dataEnded.emit("cancelled"))

    def _on_data(self, kind: str, data: MitigationDataset) -> None:
        setattr(self, kind, data)
        self.dataChanged.emit()
        self.dataEnded.emit("finished")

    def _on_losses(self, report: dict[str, tuple[list[float], list[float]]]) -> None:
        self.losses.update(report)
        self.lossesChanged.emit()

    def _on_trained(self, result: MitigationResult) -> None:
        self.result = result
        provenance, extra = mitigation_checkpoint(result)
        self.current = LoadedModel(result.model, provenance, extra)
        self.losses = {stage: (list(t.history.train_loss), list(t.history.validation_loss))
                       for stage, t in result.training.items()}
        self._training = False
        self.lossesChanged.emit()
        self.modelChanged.emit()
        self.trainingEnded.emit(result.stopped)
        if self._map_shown:
            self._submit_map()

    def _end_training(self, outcome: str) -> None:
        self._training = False
        self.trainingEnded.emit(outcome)

    def _on_map(self, result: MitigatedMap, revision: int) -> None:
        if self._map_shown:
            self.map, self._revision = result, revision
            self._draw_map()
