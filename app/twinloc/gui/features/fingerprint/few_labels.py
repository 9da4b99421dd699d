"""Learning with few labels in the Fingerprinting feature (seed 003).

:class:`FewLabelsController` runs what ``twinloc fingerprint-ssl`` runs
(:func:`~twinloc.compute.ssl_jobs.ssl_job`) on the channel section's dataset, in the long lane.
While it trains, one live report carries the losses of the model training now and every
pseudo-label round finished so far (both in one report: the task keeps only the newest, so a
round is never lost behind a loss). The result keeps the test samples' true positions for the
error layer on the floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.jobs import Job
from twinloc.gui.features.fingerprint.channel import ChannelController
from twinloc.gui.tasks import LONG, JobRunner

if TYPE_CHECKING:
    from twinloc.fingerprint.ssl import PseudoLabelRound, SslResult

KEY = "fingerprint_ssl"
"""The key of the training task."""
#: What the methods are called in the dock.
METHOD_TITLES = {"supervised": "Supervised (labelled only)", "consistency": "Consistency (seed 003)",
                 "mean-teacher": "Mean teacher", "ensemble": "Ensemble of the three"}
INPUT_TITLES = {"angle-delay": "Angle-delay image (CNN)", "multipath": "Multipath features (MLP)"}


@dataclass(frozen=True)
class FewLabelsRequest:
    """A run: the share of labelled training samples, the method, consistency rounds, the model
    input, the epochs of the first training (fine-tunings take 1 / 2.5 of them, as the CLI's
    ``--epochs``), the seed, and whether the labels are rotated into the base station's other
    sectors (seed 003; see :meth:`FewLabelsController.sector_rotation`)."""

    labelled_fraction: float = 0.1
    method: str = "consistency"
    rounds: int = 1
    input: str = "angle-delay"
    epochs: int = 150
    seed: int = 0
    sector_rotation: bool = False


def live_listeners(publish):
    """(on_epoch, on_round) of a run, publishing ``{"losses": {stage: (train, validation)},
    "rounds": [PseudoLabelRound, ...]}`` after each epoch and each round. Worker thread only.

    Each fit of the run restarts its epochs; the losses shown are those of the fit in progress.
    """
    report: dict = {"losses": {}, "rounds": []}

    def on_epoch(_epoch: int, history) -> None:
        report["losses"] = {"training now": (list(history.train_loss), list(history.validation_loss))}
        publish(dict(report))

    def on_round(_number: int, found: PseudoLabelRound) -> None:
        report["rounds"] = [*report["rounds"], found]
        publish(dict(report))

    return on_epoch, on_round


class FewLabelsController(QObject):
    """Runs semi-supervised positioning on the current CSI dataset.

    Signals
    -------
    liveChanged()
        :attr:`losses` or :attr:`rounds` grew while a run trains (or were reset).
    runEnded(str)
        "finished", "failed" or "cancelled".
    resultChanged()
        :attr:`result` changed.
    datasetChanged()
        The channel dataset runs learn from changed (so may :meth:`sector_rotation`).
    """

    liveChanged = Signal()
    runEnded = Signal(str)
    resultChanged = Signal()
    datasetChanged = Signal()

    def __init__(self, runner: JobRunner, channel: ChannelController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._channel = channel
        self.losses: dict[str, tuple[list[float], list[float]]] = {}
        self.rounds: list[PseudoLabelRound] = []
        self.result: SslResult | None = None
        self.request: FewLabelsRequest | None = None
        self.test_positions: np.ndarray | None = None
        """(T, 2) metres: the true positions of :attr:`result`'s test samples, in its ``predictions`` order."""
        channel.datasetChanged.connect(self._forget)
        channel.datasetChanged.connect(self.datasetChanged)

    @property
    def running(self) -> bool:
        return self._runner.task(KEY) is not None

    def run(self, request: FewLabelsRequest) -> None:
        """Start a run on the channel section's dataset.

        Raises
        ------
        ValueError
            No dataset, a run still going, or settings the method cannot use.
        """
        from twinloc.compute.ssl_jobs import SslRequest, ssl_job  # torch loads with the first run
        from twinloc.fingerprint.ssl import SslSettings

        dataset = self._channel.dataset
        if dataset is None:
            raise ValueError("Generate or load a channel dataset first.")
        if self.running:
            raise ValueError("A run is still training: cancel it first.")
        settings = SslSettings(pretrain_epochs=request.epochs, finetune_epochs=max(1, round(request.epochs / 2.5)))
        job_request = SslRequest(str(dataset.path), request.input, request.labelled_fraction, request.method,
                                 request.rounds, request.seed, settings, sector_rotation=request.sector_rotation)

        def make_job(publish):
            on_epoch, on_round = live_listeners(publish)
            job = ssl_job(job_request, on_epoch=on_epoch, on_round=on_round)

            def run(progress, cancel):
                result = job.function(progress, cancel)
                return result, dataset.positions[result.test, :2]  # read on the worker, like the inputs

            return Job(job.name, run)

        task = self._runner.submit_publishing(make_job, lane=LONG, key=KEY)
        task.published.connect(self._on_live)
        task.finished.connect(lambda outcome: self._on_result(*outcome))
        task.failed.connect(lambda _message: self.runEnded.emit("failed"))
        task.cancelled.connect(lambda: self.runEnded.emit("cancelled"))
        self.request = request
        self.losses, self.rounds = {}, []
        self.liveChanged.emit()

    def sector_rotation(self) -> tuple[bool, str]:
        """Whether sector rotation applies to the current dataset, and why not: what the dataset
        recorded of :func:`~twinloc.fingerprint.sectors.sector_rotation_applicability` when it
        was generated ("" when it applies)."""
        dataset = self._channel.dataset
        if dataset is None:
            return False, "Sector rotation needs a channel dataset."
        found = dataset.provenance.get("sector_rotation")
        if not isinstance(found, dict):
            return False, ("Sector rotation needs a base station of 2 or more sectors: this dataset has one "
                           "(set Sectors in Channel dataset).")
        if found.get("applies") is True:
            return True, ""
        return False, f"Sector rotation does not apply: {found.get('reason', 'the twin is not symmetric')}."

    def cancel(self) -> None:
        self._runner.cancel(KEY)

    def stop(self) -> None:
        """Stop for good (the window is closing)."""
        self._runner.cancel(KEY)

    def _on_live(self, report: dict) -> None:
        self.losses, self.rounds = report["losses"], list(report["rounds"])
        self.liveChanged.emit()

    def _on_result(self, result: SslResult, test_positions: np.ndarray) -> None:
        self.result, self.rounds = result, list(result.rounds)
        self.test_positions = test_positions
        self.liveChanged.emit()
        self.resultChanged.emit()
        self.runEnded.emit("finished")

    def _forget(self) -> None:
        """A result belongs to its dataset: another one (or none) drops it."""
        if self._runner.discard(KEY):  # a result finished just before must not come back
            self.runEnded.emit("cancelled")
        if self.result is not None:
            self.result, self.test_positions = None, None
            self.resultChanged.emit()
