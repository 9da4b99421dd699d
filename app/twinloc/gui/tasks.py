"""Tasks: jobs running on the application's compute lanes, reported to whoever holds them.

:meth:`JobRunner.submit` runs a :class:`~twinloc.compute.jobs.Job` on one of the lanes and
returns a :class:`Task`, a QObject whose signals (``progress``, ``published``, ``finished``,
``failed``, ``cancelled``) arrive on the GUI thread and reach only the objects that connected
to that task: a finished LOS map never passes through the training dock's slots.

Lanes are separate pools, so a minutes-long run never holds a thread the live maps need:
``"live"`` runs what follows the user's edits (floor maps, the located UE, a layout's score),
``"long"`` runs what the user starts and waits for (training, layout optimization,
evaluations, data generation).

Superseding is explicit: a task submitted under the ``key`` of a running one with
``supersede=True`` cancels it, and the older task says nothing more (a newer input made its
result stale). Progress and live reports are coalesced in one place: a worker thread keeps
only the newest report waiting and posts one queued event for it, so a job that reports
faster than the GUI thread turns (while it draws a big scene) never floods the event queue
and a Cancel click is handled at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError

from PySide6.QtCore import QObject, Qt, Signal, Slot

from twinloc.compute.jobs import ComputePool, Job, JobCancelled, JobHandle, ResultCache

LIVE = "live"
"""The lane of computations that follow the user's edits (floor maps, the located UE)."""
LONG = "long"
"""The lane of runs the user starts and waits for (training, layout optimization, evaluations)."""
LONG_WORKERS = 3
"""Threads of the long lane: training, a layout optimization and an evaluation run side by side."""

Publish = Callable[[object], None]
"""``publish(report)``: hand a live report (the best layout so far, the losses so far) to the GUI."""


def default_lanes() -> dict[str, ComputePool]:
    """The application's lanes, sharing one result cache: ``{"live": ..., "long": ...}``."""
    cache = ResultCache()
    return {LIVE: ComputePool(cache=cache), LONG: ComputePool(max_workers=LONG_WORKERS, cache=cache)}


class Task(QObject):
    """One submitted job, as seen from the GUI thread.

    Every signal is emitted on the GUI thread and only while the task is current: a task that
    was superseded (see :meth:`JobRunner.submit`) emits nothing more.

    Signals
    -------
    progress(float, str)
        The newest progress report: fraction done in [0, 1] and what is being done.
    published(object)
        The newest live report the job handed to ``publish`` (see :meth:`JobRunner.submit_publishing`).
    finished(object)
        The job's result.
    failed(str)
        The job raised; the message names the problem.
    cancelled()
        The job stopped because it was cancelled before it had a result.

    Attributes
    ----------
    name : str
        What the job computes, in the user's words ("LOS map").
    lane : str
        The lane it runs in.
    key : str or None
        The key it was submitted under.
    """

    progress = Signal(float, str)
    published = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    # Posted from worker threads; the queued connection delivers it on the GUI thread.
    _posted = Signal(str)

    def __init__(self, name: str, lane: str, key: str | None, on_done: Callable[[Task], None]) -> None:
        super().__init__()
        self.name = name
        self.lane = lane
        self.key = key
        self._on_done = on_done
        self._handle: JobHandle | None = None
        self._lock = threading.Lock()
        self._waiting: dict[str, object] = {}
        self._current = True
        self._outcome = ""
        self._posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def handle(self) -> JobHandle:
        """The pool's handle of the job: its future and cancel token."""
        return self._handle

    @property
    def running(self) -> bool:
        """True until the outcome was delivered (or the task was superseded)."""
        return self._current and not self._outcome

    @property
    def outcome(self) -> str:
        """"finished", "failed", "cancelled", "superseded", or "" while running."""
        return self._outcome

    def cancel(self) -> None:
        """Ask the job to stop; ``cancelled`` follows (or ``finished``, for a job that keeps
        what it found so far, such as the layout optimization)."""
        self._handle.cancel()

    def publish(self, report: object) -> None:
        """Hand a live report to the GUI thread; safe from any thread.

        Only the newest report waits: one not yet delivered is replaced.
        """
        self._post("published", report)

    def _post(self, kind: str, value: object) -> None:
        with self._lock:
            waiting = kind in self._waiting
            self._waiting[kind] = value
        if not waiting:
            self._posted.emit(kind)

    def _supersede(self) -> None:
        self._current = False
        self._outcome = "superseded"
        self._handle.cancel()

    @Slot(str)
    def _deliver(self, kind: str) -> None:
        with self._lock:
            value = self._waiting.pop(kind)
        if not self._current:
            return  # superseded: nobody wants this job's news any more
        if kind == "progress":
            self.progress.emit(*value)
        elif kind == "published":
            self.published.emit(value)
        else:
            self._conclude(value)

    def _conclude(self, handle: JobHandle) -> None:
        try:
            result = handle.future.result()
        except (JobCancelled, CancelledError):
            self._outcome, signal, args = "cancelled", self.cancelled, ()
        except Exception as error:  # a failed job is reported, never raised into the event loop
            self._outcome, signal, args = "failed", self.failed, (_describe(error),)
        else:
            self._outcome, signal, args = "finished", self.finished, (result,)
        # The runner first: a slot of the outcome may open a modal dialog, and the progress
        # area must not stay on the finished job's last step behind it.
        self._on_done(self)
        signal.emit(*args)


class JobRunner(QObject):
    """Runs jobs on the application's lanes and hands back a :class:`Task` for each.

    Signals
    -------
    taskStarted(object)
        A :class:`Task` was submitted (the progress area and the failure reports observe it).
    idleChanged(bool)
        True when no task is running any more, False when the first one starts.

    Parameters
    ----------
    lanes : mapping of str to ComputePool
        The pools by lane name (at least :data:`LIVE` and :data:`LONG`); the runner shuts
        them down in :meth:`shutdown`.
    """

    taskStarted = Signal(object)
    idleChanged = Signal(bool)

    def __init__(self, lanes: Mapping[str, ComputePool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        missing = {LIVE, LONG} - set(lanes)
        if missing:
            raise ValueError(f"the runner needs the lanes {sorted(missing)}")
        self._lanes = dict(lanes)
        self._running: list[Task] = []

    def submit(self, job: Job, *, lane: str = LIVE, key: str | None = None, supersede: bool = False) -> Task:
        """Run ``job`` in ``lane`` and return its task.

        Parameters
        ----------
        job : Job
        lane : str, default: "live"
        key : str or None, default: None
            Names what the task computes for its holder ("los"); at most one task per key runs.
        supersede : bool, default: False
            Cancel the running task of ``key`` and silence it (its result would be stale).

        Raises
        ------
        ValueError
            A task of ``key`` is running and ``supersede`` is False, or ``lane`` is unknown.
        """
        return self._start(job.name, job, lane, key, supersede, None)

    def submit_publishing(
        self, make_job: Callable[[Publish], Job], *, lane: str = LIVE, key: str | None = None, supersede: bool = False
    ) -> Task:
        """Like :meth:`submit`, for a job that hands live reports to the GUI while it runs.

        ``make_job(publish)`` builds the job around the task's :meth:`Task.publish`, which the
        job calls from its worker thread; the reports arrive as the task's ``published``
        signal, the newest only.
        """
        return self._start("", None, lane, key, supersede, make_job)

    def task(self, key: str) -> Task | None:
        """The running task of ``key``, or None."""
        return next((task for task in self._running if task.key == key), None)

    def cancel(self, key: str) -> None:
        """Cancel the running task of ``key``, if any."""
        task = self.task(key)
        if task is not None:
            task.cancel()

    def discard(self, key: str) -> bool:
        """Cancel the running task of ``key``, if any, and drop its outcome unheard.

        For a result that would be stale: a job that had already finished computing when it
        was cancelled still delivers ``finished`` after :meth:`cancel`, never after this.
        Returns whether a task was running (its holder then says how it ended itself).
        """
        task = self.task(key)
        if task is None:
            return False
        task._supersede()
        self._on_done(task)
        return True

    @property
    def is_idle(self) -> bool:
        return not self._running

    def shutdown(self) -> None:
        """Cancel every task and stop the lanes without waiting for workers to finish a chunk."""
        for task in self._running:
            task._supersede()
        self._running.clear()
        for pool in self._lanes.values():
            pool.shutdown(wait=False)

    def _start(
        self, name: str, job: Job | None, lane: str, key: str | None, supersede: bool, make_job: Callable[[Publish], Job] | None
    ) -> Task:
        if lane not in self._lanes:
            raise ValueError(f"unknown lane {lane!r}; the lanes are {sorted(self._lanes)}")
        previous = self.task(key) if key is not None else None
        if previous is not None and not supersede:
            raise ValueError(f"{previous.name} is still running: cancel it first.")
        task = Task(name, lane, key, self._on_done)
        if make_job is not None:
            job = make_job(task.publish)
            task.name = job.name
        if previous is not None:
            previous._supersede()
            self._running.remove(previous)
        was_idle = not self._running
        self._running.append(task)
        task._handle = self._lanes[lane].submit(_reporting(job, task))
        task._handle.add_done_listener(lambda handle: task._post("done", handle))
        if was_idle:
            self.idleChanged.emit(False)
        self.taskStarted.emit(task)
        return task

    def _on_done(self, task: Task) -> None:
        if task in self._running:
            self._running.remove(task)
            if not self._running:
                self.idleChanged.emit(True)


def _reporting(job: Job, task: Task) -> Job:
    """``job`` posting its progress to ``task``. A listener added to the handle after the pool
    took the job could miss the first reports of a job that starts at once, so the job posts."""

    def run(progress, cancel):
        def report(fraction: float, text: str) -> None:
            progress(fraction, text)
            task._post("progress", (float(fraction), str(text)))

        return job.function(report, cancel)

    return Job(job.name, run, job.key)


def _describe(error: Exception) -> str:
    text = str(error).strip()
    return text if text else type(error).__name__
