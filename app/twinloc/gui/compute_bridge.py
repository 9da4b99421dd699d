"""Bridge from the compute pool to Qt: job progress and outcomes arrive as GUI-thread signals."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import CancelledError

from PySide6.QtCore import QObject, Qt, Signal, Slot

from twinloc.compute.jobs import ComputePool, Job, JobCancelled, JobHandle


class JobRunner(QObject):
    """Runs :class:`~twinloc.compute.jobs.Job` objects on a :class:`ComputePool`, one per group.

    Each job is submitted under a *group* ("los"); submitting again to a group cancels the
    job still running there (a newer computation supersedes it), and events of a superseded
    job are dropped. All signals are emitted on the GUI thread; the pool's listeners, which
    run on worker threads, only post events to it. A job's progress reports are coalesced:
    only the newest waits to be delivered, so a job that reports faster than the GUI thread
    turns (while it draws a big scene) never queues up a backlog of progress-bar repaints.

    Signals
    -------
    progress(str group, float fraction, str text)
    finished(str group, object result)
    failed(str group, str message)
    cancelled(str group)
        Emitted when the current job of a group was cancelled with :meth:`cancel`.
    idleChanged(bool)
        True when no job is running any more, False when the first one starts.

    Parameters
    ----------
    pool : ComputePool
        The application's pool; the runner shuts it down in :meth:`shutdown`.
    """

    progress = Signal(str, float, str)
    finished = Signal(str, object)
    failed = Signal(str, str)
    cancelled = Signal(str)
    idleChanged = Signal(bool)

    # Posted from worker threads; the queued connection delivers it on this object's thread.
    _event = Signal(str, int, str, object)

    def __init__(self, pool: ComputePool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._tickets = itertools.count(1)
        self._current: dict[str, tuple[int, JobHandle]] = {}
        self._progress_lock = threading.Lock()
        self._newest_progress: dict[int, tuple[float, str]] = {}
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)

    def submit(self, job: Job, supersede_group: str) -> JobHandle:
        """Run ``job`` under ``supersede_group``, cancelling the group's earlier job."""
        previous = self._current.get(supersede_group)
        if previous is not None:
            previous[1].cancel()
        was_idle = not self._current
        ticket = next(self._tickets)
        handle = self._pool.submit(self._reporting(job, supersede_group, ticket))
        self._current[supersede_group] = (ticket, handle)
        if was_idle:
            self.idleChanged.emit(False)
        handle.add_done_listener(lambda done: self._event.emit(supersede_group, ticket, "done", done))
        return handle

    def cancel(self, group: str) -> None:
        """Cancel the running job of ``group`` (its ``cancelled`` signal follows)."""
        current = self._current.get(group)
        if current is not None:
            current[1].cancel()

    def job_name(self, group: str) -> str | None:
        """The name of the job running in ``group``, or None."""
        current = self._current.get(group)
        return current[1].job.name if current is not None else None

    @property
    def is_idle(self) -> bool:
        return not self._current

    def shutdown(self) -> None:
        """Cancel every job and stop the pool without waiting for workers to finish a chunk."""
        self._current.clear()
        self._pool.shutdown(wait=False)

    def _reporting(self, job: Job, group: str, ticket: int) -> Job:
        """``job`` posting its progress here. A listener added to the handle after ``submit``
        could miss the first reports of a job that starts at once, so the job itself posts."""

        def run(progress, cancel):
            def report(fraction: float, text: str) -> None:
                progress(fraction, text)
                with self._progress_lock:
                    waiting = ticket in self._newest_progress
                    self._newest_progress[ticket] = (float(fraction), str(text))
                if not waiting:
                    self._event.emit(group, ticket, "progress", None)

            return job.function(report, cancel)

        return Job(job.name, run, job.key)

    @Slot(str, int, str, object)
    def _on_event(self, group: str, ticket: int, kind: str, payload: object) -> None:
        if kind == "progress":
            with self._progress_lock:
                payload = self._newest_progress.pop(ticket)
        current = self._current.get(group)
        if current is None or current[0] != ticket:
            return  # superseded or shut down: nobody wants this job's news any more
        if kind == "progress":
            fraction, text = payload
            self.progress.emit(group, fraction, text)
            return
        del self._current[group]
        # Idle first: a slot of the outcome may open a modal dialog, and the progress area
        # must not stay on the finished job's last step behind it.
        if not self._current:
            self.idleChanged.emit(True)
        self._announce_outcome(group, payload)

    def _announce_outcome(self, group: str, handle: JobHandle) -> None:
        try:
            result = handle.future.result()
        except (JobCancelled, CancelledError):
            self.cancelled.emit(group)
        except Exception as error:  # a failed job is reported, never raised into the event loop
            self.failed.emit(group, _describe(error))
        else:
            self.finished.emit(group, result)


def _describe(error: Exception) -> str:
    text = str(error).strip()
    return text if text else type(error).__name__
