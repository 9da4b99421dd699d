"""Site changes in the Fingerprinting feature (seed 000's model update).

:class:`SiteChangeController` keeps the twin the feature's models know (the *baseline*: the
scene as loaded, then as of the last update). When the user edits the scene's objects or
materials, it computes the change map from the baseline to the edited twin in the live lane
(the twin's floor data of :func:`~twinloc.fingerprint.model_update.floor_data`, then
:func:`~twinloc.fingerprint.site_change.change_map`), and says which of the feature's
results were made on the old twin (:func:`~twinloc.fingerprint.site_change.stale`): the
positioning model when it was trained with the twin, and the channel dataset. "Update" runs
:func:`~twinloc.fingerprint.model_update.update_model_for_scene` in the long lane (what
``twinloc model-update`` runs) and makes the edited twin the baseline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from twinloc.compute.jobs import Job
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.fingerprint.channel import ChannelController
from twinloc.gui.features.fingerprint.positioning import PositioningController
from twinloc.gui.features.fingerprint.radio import twin_scene
from twinloc.gui.tasks import LONG, JobRunner
from twinloc.radio.transmitters import transmitters_of

if TYPE_CHECKING:
    from twinloc.fingerprint.model_update import ModelUpdate, TwinFloorData
    from twinloc.fingerprint.site_change import ChangeMap

MAP_KEY, UPDATE_KEY = "change_map", "model_update"


class SiteChangeController(QObject):
    """The change map of the user's scene edits, the stale results, and the model update.

    Signals
    -------
    changesChanged()
        :attr:`changes` changed (computed, or forgotten when the twin is the baseline again); it
        stays after an update, to show where the twin changed.
    staleChanged()
        What :meth:`stale_results` names may have changed.
    updateProgress(float, str)
        The running update's progress: fraction done and its stage.
    updateEnded(str)
        "finished", "failed" or "cancelled".
    """

    changesChanged = Signal()
    staleChanged = Signal()
    updateProgress = Signal(float, str)
    updateEnded = Signal(str)

    def __init__(self, document: ProjectDocument, runner: JobRunner, positioning: PositioningController,
                 channel: ChannelController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._positioning = positioning
        self._channel = channel
        self.baseline = twin_scene(document)
        """The twin the feature's models know."""
        self.changes: ChangeMap | None = None
        self.update: ModelUpdate | None = None
        """The last update (None before it, and again once the scene changes)."""
        self._floor: TwinFloorData | None = None  # the baseline's floor data, kept for the update
        self._updated_model = None  # (run, model, digest): the update of positioning's run
        document.sceneChanged.connect(self._on_scene_loaded)
        document.objectsChanged.connect(self._on_edited)
        document.materialsChanged.connect(self._on_edited)
        positioning.resultChanged.connect(self.staleChanged)
        channel.datasetChanged.connect(self.staleChanged)

    @property
    def updating(self) -> bool:
        return self._runner.task(UPDATE_KEY) is not None

    def model(self):
        """(model, scene digest) of the positioning model trained with the twin (its update once
        updated), or None."""
        run = self._positioning.run
        if run is None or run.twin == "none":
            return None
        if self._updated_model is not None and self._updated_model[0] is run:
            return self._updated_model[1:]
        return run.model, self._positioning.scene_digest

    def stale_results(self) -> list[str]:
        """What was made on another twin than the current one, in words (empty: nothing is stale)."""
        from twinloc.fingerprint.site_change import stale

        scene = self._document.scene
        names = []
        held = self.model()
        if held is not None and stale(held[1], scene):
            names.append(f"the {held[0].kind.upper()} positioning model (Model section)")
        dataset = self._channel.dataset
        if dataset is not None and stale(dataset.provenance.get("scene_digest"), scene):
            names.append(f"the channel dataset {dataset.path.name} (generate it again)")
        return names

    def model_is_stale(self) -> bool:
        from twinloc.fingerprint.site_change import stale

        held = self.model()
        return held is not None and stale(held[1], self._document.scene)

    def update_model(self) -> None:
        """Start updating the stale positioning model for the edited twin.

        Raises
        ------
        ValueError
            No stale model, or an update still running.
        """
        from twinloc.fingerprint.model_update import update_model_for_scene

        if not self.model_is_stale():
            raise ValueError("No positioning model trained with the twin is stale.")
        if self.updating:
            raise ValueError("The model is still being updated.")
        run, (model, _digest) = self._positioning.run, self.model()
        old, new = self.baseline, twin_scene(self._document)
        floor = self._floor if self._floor is not None and [t.name for t in self._floor.transmitters] == list(
            model.spec.transmitters) else None
        seed = self._positioning.request.seed

        def run_update(progress, cancel):
            return update_model_for_scene(model, old, new, seed=seed, floor=floor, progress=progress, cancel=cancel)

        task = self._runner.submit(Job("Model update", run_update), lane=LONG, key=UPDATE_KEY)
        task.progress.connect(self.updateProgress)
        task.finished.connect(lambda update: self._on_updated(update, run, new))
        task.failed.connect(lambda _message: self.updateEnded.emit("failed"))
        task.cancelled.connect(lambda: self.updateEnded.emit("cancelled"))

    def cancel_update(self) -> None:
        """Stop the running model update (it ends with updateEnded("cancelled"); the model stays stale)."""
        self._runner.cancel(UPDATE_KEY)

    def stop(self) -> None:
        """Stop for good (the window is closing)."""
        for key in (MAP_KEY, UPDATE_KEY):
            self._runner.cancel(key)

    def _on_scene_loaded(self) -> None:
        """Another site: its twin is the baseline, nothing has changed yet."""
        self.stop()
        self.baseline, self._floor, self._updated_model = twin_scene(self._document), None, None
        self._set_changes(None)
        self.update = None
        self.staleChanged.emit()

    def _on_edited(self) -> None:
        """Compute the change map from the baseline to the edited twin (none when they are equal again)."""
        from twinloc.fingerprint.model_update import floor_data
        from twinloc.fingerprint.site_change import change_map

        self.update = None
        self.staleChanged.emit()
        old, new = self.baseline, twin_scene(self._document)
        if old.content_hash() == new.content_hash():
            self._runner.discard(MAP_KEY)
            self._set_changes(None)
            return
        names = [t.name for t in transmitters_of(old)]
        if not names or not self.stale_results():
            # Nothing made on the old twin can go stale, so the (whole-floor) map would be work for nobody.
            self._runner.discard(MAP_KEY)
            self._set_changes(None)
            return
        floor = self._floor if self._floor is not None and [t.name for t in self._floor.transmitters] == names else None

        def run_map(progress, cancel):
            progress(0.0, "Radio map of the twin before the change")
            known = floor or floor_data(old, names)
            cancel.raise_if_cancelled()
            progress(0.5, "Tracing the cells the change can reach")
            return known, change_map(old, new, known.transmitters, known.points, known.settings, old_map=known.radio)

        task = self._runner.submit(Job("Change map", run_map), lane=LONG, key=MAP_KEY, supersede=True)
        task.finished.connect(self._on_mapped)

    def _on_mapped(self, result) -> None:
        self._floor, changes = result
        self._set_changes(changes)

    def _on_updated(self, update: ModelUpdate, run, scene) -> None:
        self._updated_model = (run, update.model, scene.content_hash())
        self.baseline, self._floor, self.update = scene, None, update
        self.staleChanged.emit()
        self.updateEnded.emit("finished")

    def _set_changes(self, changes: ChangeMap | None) -> None:
        if changes is not None or self.changes is not None:
            self.changes = changes
            self.changesChanged.emit()
