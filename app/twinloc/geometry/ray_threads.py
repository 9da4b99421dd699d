"""The one process-wide thread pool that ray queries split large batches over.

Embree releases the GIL while it traces, and so does numpy on large arrays, so threads in
one process use every core without copying the scene into other processes. A batch is cut
into blocks of ``BLOCK_RAYS`` rays whatever the number of threads, and each block is computed
exactly as a lone batch would be: the result of a query depends on its rays only, never on
how many threads ran it or on what else was running.

The thread that asks works through the blocks itself, and the pool's threads join in while
they are free. A query therefore never waits for a pool thread: a live map asking while a
long job holds the pool still makes progress at one thread's speed (the operating system
shares the cores between them), and a query asked from inside the pool cannot deadlock.
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

BLOCK_RAYS = 8192
"""Rays per block of a segment query. A batch of at most one block runs on the asking thread
alone: below it, handing work to another thread costs more than it saves (a segment walk
pays some NumPy calls per block and per crossing; smaller blocks made it a quarter slower)."""

FIRST_HIT_BLOCK_RAYS = 2048
"""Rays per block of a first-hit query: one Embree call and a few NumPy calls per block, so
smaller blocks cost nothing measurable and spread a bounce of a few thousand rays."""

_lock = threading.Lock()
_threads = os.cpu_count() or 1
_pool: ThreadPoolExecutor | None = None


def set_default_threads(threads: int) -> None:
    """Set how many threads, at most, one ray query uses in this process.

    Parameters
    ----------
    threads : int, >= 1
        1 computes every query on the thread that asks (what a Dask worker, which already
        runs one task per core, wants). Default at start: ``os.cpu_count()``.
    """
    global _threads, _pool
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"ray threads must be an integer >= 1, got {threads!r}")
    with _lock:
        old, _pool, _threads = _pool, None, threads
    if old is not None:
        old.shutdown(wait=False)  # blocks already handed to it finish; their askers wait for them


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
    (e.g. the mixture fits of one position estimate). Returns their results in order.
    """
    threads = min(threads or _threads, _threads, len(tasks))
    if threads <= 1:
        return [task() for task in tasks]
    results: list = [None] * len(tasks)
    claims = itertools.count()  # next() on it is atomic under the GIL: each task is claimed once
    failed = threading.Event()

    def drain() -> None:
        while (index := next(claims)) < len(tasks) and not failed.is_set():
            try:
                results[index] = tasks[index]()
            except BaseException:
                failed.set()
                raise

    helpers = [_shared_pool().submit(drain) for _ in range(threads - 1)]
    try:
        drain()
    finally:
        for helper in helpers:
            if not helper.cancel():  # a helper still queued behind another query's has nothing to do
                helper.result()  # waits for its block; re-raises its error
    return results


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="twinloc-rays")
        return _pool
