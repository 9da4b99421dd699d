"""The semi-supervised positioning job: read a CSI dataset, learn from a fraction of its labels, test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from twinloc.cancellation import CancelToken, ProgressFn
from twinloc.compute.jobs import Job
from twinloc.fingerprint.ssl import PseudoLabelRound, SslResult, SslSettings


@dataclass(frozen=True)
class SslRequest:
    """One run of :func:`twinloc.fingerprint.ssl.run_ssl` on the dataset file at ``dataset``.

    input : "angle-delay" or "multipath" (see :func:`twinloc.fingerprint.ssl.dataset_inputs`).
    A dataset of several sectors trains one head per sector; ``sector_rotation`` also rotates
    the labels into the other sectors (``run_ssl``'s argument).
    """

    dataset: str
    input: str
    labelled_fraction: float
    method: str
    rounds: int = 1
    seed: int = 0
    settings: SslSettings = SslSettings()
    sector_rotation: bool = False


def ssl_job(
    request: SslRequest,
    on_epoch: Callable | None = None,
    on_round: Callable[[int, PseudoLabelRound], None] | None = None,
    runner=None,
) -> Job:
    """A job returning the :class:`~twinloc.fingerprint.ssl.SslResult` of ``request``.

    ``on_epoch`` and ``on_round`` are called on the worker thread (live losses, pseudo-label
    counts per round); a GUI hands them on to its own thread. Training is not cached: its
    result depends on the dataset file, which may change under the same name. ``runner`` (a
    :class:`twinloc.studies.Runner`) runs an ensemble's members as its tasks (``run_ssl``'s argument).
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> SslResult:
        from twinloc.fingerprint.csi_dataset import open_csi_dataset
        from twinloc.fingerprint.sectors import dataset_sectors
        from twinloc.fingerprint.ssl import dataset_inputs, run_ssl

        progress(0.0, "Reading the dataset")
        dataset = open_csi_dataset(request.dataset)
        inputs, positions = dataset_inputs(dataset, request.input)
        cancel.raise_if_cancelled()
        return run_ssl(inputs, positions, request.labelled_fraction, request.method, rounds=request.rounds,
                       seed=request.seed, settings=request.settings, cancel=cancel, progress=progress,
                       on_epoch=on_epoch, on_round=on_round, sectors=dataset_sectors(dataset),
                       sector_rotation=request.sector_rotation, runner=runner)

    return Job(name=f"Semi-supervised positioning ({request.method})", function=run, key=None)
