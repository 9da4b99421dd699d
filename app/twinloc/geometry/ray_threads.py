"""The one process-wide set of threads that ray queries split large batches over.

Embree releases the GIL while it traces, and so does NumPy on large arrays, so threads in
one process use every core without copying the scene into other processes. A batch is cut
into blocks of a fixed number of rays whatever the number of threads, and each block is
computed exactly as a lone batch would be: the result of a query depends on its rays only,
never on how many threads ran it or on what else was running.

Sharing: the thread that asks works through its own blocks, and ``threads - 1`` helper
threads join whichever queries are running, taking one block at a time from each in turn.
A live map asked for while a long job runs is therefore never queued behind the long job's
blocks: it runs on its own thread from the start, and from their next block on the helpers
split their time evenly between the two, so the live map keeps at least the share of the
cores it had before threads (its own thread against the job's). When nothing else runs, one
query gets every core. A query asked from inside a block cannot deadlock: its asker does
all the blocks no helper took.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable

BLOCK_RAYS = 8192
"""Rays per block of a segment query. A batch of at most one block runs on the asking thread
alone: below it, handing work to another thread costs more than it saves (a segment walk
pays some NumPy calls per block and per crossing; smaller blocks made it a quarter slower)."""

FIRST_HIT_BLOCK_RAYS = 4096
"""Rays per block of a first-hit query: one Embree call and a few NumPy calls per block, so
smaller blocks cost little on one thread and spread a bounce of a few thousand launched rays;
the Python between those calls holds the GIL, a smaller share of larger blocks."""

_threads = os.cpu_count() or 1
_changed = threading.Condition()  # guards everything below; helpers wait on it for work
_queries: list[_Query] = []  # running queries with blocks nobody has taken yet
_helpers: dict[int, threading.Thread] = {}  # by number: helper k leaves when fewer than k + 2 threads are wanted
_turn = 0


def set_default_threads(threads: int) -> None:
    """Set how many threads, at most, one ray query uses in this process.

    Parameters
    ----------
    threads : int, >= 1
        1 computes every query on the thread that asks (what a Dask worker, which already
        runs one task per core, wants). Default at start: ``os.cpu_count()``.
    """
    global _threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"ray threads must be an integer >= 1, got {threads!r}")
    with _changed:
        _threads = threads
        _changed.notify_all()  # surplus helpers leave after their current block


def default_threads() -> int:
    """How many threads, at most, one ray query uses in this process (see :func:`set_default_threads`)."""
    return _threads


def run_blocks(
    count: int, work: Callable[[int, int], object], threads: int | None = None, block_rays: int = BLOCK_RAYS
) -> list:
    """``work(start, stop)`` for each block of ``range(count)``, spread over up to ``threads`` threads.

    Parameters
    ----------
    count : int, number of rays in the batch.
    work : callable (start, stop) -> result; called once per block, possibly from several
        threads at once, so it must only write to its own block of any shared output.
    threads : int, optional; at most this many threads (the asking one included). Default:
        :func:`default_threads`; never more than that.
    block_rays : int, default: BLOCK_RAYS; rays per block (the blocks never depend on ``threads``).

    Returns
    -------
    list, the results in block order.
    """
    bounds = [(start, min(start + block_rays, count)) for start in range(0, count, block_rays)]
    return run_tasks([functools.partial(work, start, stop) for start, stop in bounds], threads)


def run_tasks(tasks: list[Callable[[], object]], threads: int | None = None) -> list:
    """Call each of ``tasks``, spread over up to ``threads`` threads like :func:`run_blocks`' blocks.

    For independent pieces of one computation that release the GIL for much of their time
    (e.g. the mixture fits of one position estimate). Returns their results in order; the
    first error raised by a task is raised here, after the tasks already started finish.
    """
    threads = min(threads or _threads, _threads, len(tasks))
    if threads <= 1:
        return [task() for task in tasks]
    query = _Query(tasks, helpers_wanted=threads - 1)
    with _changed:
        _queries.append(query)
        _start_helpers()
        _changed.notify(threads - 1)
    while (index := query.claim()) is not None:
        query.run(index)
    query.finished.wait()  # blocks helpers took and are still computing
    if query.error is not None:
        raise query.error
    return query.results


class _Query:
    """The tasks of one call of :func:`run_tasks` and who has taken which (under ``_changed``)."""

    def __init__(self, tasks: list[Callable[[], object]], helpers_wanted: int) -> None:
        self.tasks = tasks
        self.results: list = [None] * len(tasks)
        self.error: BaseException | None = None
        self.helpers_wanted = helpers_wanted
        self.helping = 0
        self._next = 0
        self._unfinished = len(tasks)
        self.finished = threading.Event()

    def claim(self) -> int | None:
        """The index of the next task nobody has taken, or None."""
        with _changed:
            return self._claim_locked()

    def _claim_locked(self) -> int | None:
        if self._next >= len(self.tasks):
            return None
        index = self._next
        self._next += 1
        if self._next == len(self.tasks):
            _queries.remove(self)
        return index

    def run(self, index: int) -> None:
        try:
            self.results[index] = self.tasks[index]()
        except BaseException as error:  # handed to the asker, which raises it
            with _changed:
                self.error = self.error or error
                skipped = len(self.tasks) - self._next  # the rest is not started
                if skipped:
                    self._next = len(self.tasks)
                    self._unfinished -= skipped
                    _queries.remove(self)
        with _changed:
            self._unfinished -= 1
            if self._unfinished == 0:
                self.finished.set()


def _start_helpers() -> None:
    """Start the missing helpers of numbers 0 to ``_threads - 2`` (under ``_changed``)."""
    for number in range(_threads - 1):
        if number not in _helpers:
            _helpers[number] = threading.Thread(target=_help, args=(number,), name=f"twinloc-rays-{number}", daemon=True)
            _helpers[number].start()


def _help(number: int) -> None:
    """A helper's life: take one block at a time from the running queries in turn."""
    global _turn
    while True:
        with _changed:
            while True:
                if number >= _threads - 1:  # fewer threads were asked for: leave
                    del _helpers[number]
                    return
                wanting = [query for query in _queries if query.helping < query.helpers_wanted]
                if wanting:
                    break
                _changed.wait()
            query = wanting[_turn % len(wanting)]
            _turn += 1
            index = query._claim_locked()
            query.helping += 1
        query.run(index)
        with _changed:
            query.helping -= 1


def _forget_helpers_in_child() -> None:
    """A forked child has none of the parent's threads: start its helpers afresh."""
    global _changed, _queries, _helpers
    _changed, _queries, _helpers = threading.Condition(), [], {}


os.register_at_fork(after_in_child=_forget_helpers_in_child)
