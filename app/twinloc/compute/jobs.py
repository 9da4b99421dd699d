"""Jobs, the pool that runs them on worker threads, and the cache of their results.

A job is a pure function of immutable inputs captured when the job is made; it
reports ``progress(fraction, text)`` and checks a :class:`CancelToken` between chunks
of work. The GUI and the CLI run the same jobs; the GUI bridges the listeners of a
:class:`JobHandle` to Qt signals.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, JobCancelled, ProgressFn

__all__ = [
    "CancelToken",
    "ComputePool",
    "Job",
    "JobCancelled",
    "JobHandle",
    "ProgressFn",
    "ResultCache",
    "input_key",
]


@dataclass(frozen=True)
class Job:
    """A unit of background work.

    name : shown to the user ("LOS map").
    function : ``function(progress, cancel) -> result``; must not touch widgets or VTK objects.
    key : hash of every input the result depends on (see :func:`input_key`); None: never cached.
    """

    name: str
    function: Callable[[ProgressFn, CancelToken], Any]
    key: str | None = None


class JobHandle:
    """A submitted job: its future, its cancel token and its listeners.

    Listeners run on the worker thread that runs the job (a done listener runs on
    the submitting thread when the job was already complete, e.g. a cache hit). The
    GUI must therefore bridge them to Qt signals with queued connections and never
    touch a widget from a listener. A listener must not raise: an exception from a
    progress listener ends the job with that exception.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.future: Future = Future()
        self._token = CancelToken()
        self._lock = threading.Lock()
        self._progress_listeners: list[Callable[[float, str], None]] = []
        self._last_fraction = 0.0

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called (the job may still be finishing a chunk)."""
        return self._token.cancelled

    def cancel(self) -> None:
        """Ask the job to stop; its future then raises :class:`JobCancelled`.

        A job that already finished keeps its result.
        """
        self._token.cancel()

    def add_progress_listener(self, listener: Callable[[float, str], None]) -> None:
        """Call ``listener(fraction, text)`` on each progress report; fractions never decrease."""
        with self._lock:
            self._progress_listeners.append(listener)

    def add_done_listener(self, listener: Callable[[JobHandle], None]) -> None:
        """Call ``listener(handle)`` once the job has a result, an exception or was cancelled."""
        self.future.add_done_callback(lambda _future: listener(self))

    def _report(self, fraction: float, text: str) -> None:
        # Clamped and made monotonic here so that every job's listeners can rely on it.
        with self._lock:
            fraction = min(1.0, max(self._last_fraction, float(fraction)))
            self._last_fraction = fraction
            listeners = tuple(self._progress_listeners)
        for listener in listeners:
            listener(fraction, text)


class ResultCache:
    """A thread-safe least-recently-used map from job keys to results."""

    def __init__(self, max_entries: int = 32) -> None:
        if max_entries < 1:
            raise ValueError(f"a result cache holds at least one entry, got {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, key: str) -> tuple[bool, Any]:
        """``(True, result)`` when ``key`` is cached (and marks it recently used), else ``(False, None)``."""
        with self._lock:
            if key not in self._entries:
                return False, None
            self._entries.move_to_end(key)
            return True, self._entries[key]

    def store(self, key: str, result: Any) -> None:
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class ComputePool:
    """Runs jobs on a small pool of worker threads and caches their results.

    numpy, Embree and torch release the GIL, so threads give real parallelism for
    the heavy parts while keeping results in-process (no pickling of scenes).

    Parameters
    ----------
    max_workers : int or None, default: None
        Worker threads; None uses ``min(4, os.cpu_count())``.
    cache : ResultCache or None, default: None
        Where results with a key are kept; None makes a new cache.
    """

    def __init__(self, max_workers: int | None = None, cache: ResultCache | None = None) -> None:
        if max_workers is None:
            max_workers = min(4, os.cpu_count() or 1)
        self.cache = cache if cache is not None else ResultCache()
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="twinloc-compute")
        self._live: set[JobHandle] = set()
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._open.set()

    def hold(self) -> None:
        """Queue the jobs submitted from now on without starting them, until :meth:`release`."""
        self._open.clear()

    def release(self) -> None:
        """Start the jobs held since :meth:`hold`, in the order they came."""
        self._open.set()

    def submit(self, job: Job) -> JobHandle:
        """Start ``job`` (or complete it at once from the cache) and return its handle."""
        handle = JobHandle(job)
        if job.key is not None:
            hit, result = self.cache.lookup(job.key)
            if hit:
                handle.future.set_running_or_notify_cancel()
                handle.future.set_result(result)
                return handle
        with self._lock:
            self._live.add(handle)
        self._executor.submit(self._run, handle)
        return handle

    def shutdown(self, wait: bool = True) -> None:
        """Cancel every job not yet finished and stop the workers."""
        with self._lock:
            live = tuple(self._live)
        for handle in live:
            handle.cancel()
        self._open.set()  # held workers wake, see their jobs cancelled and leave
        self._executor.shutdown(wait=wait)

    def __enter__(self) -> ComputePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def _run(self, handle: JobHandle) -> None:
        future = handle.future
        self._open.wait()
        try:
            if not future.set_running_or_notify_cancel():  # future.cancel() was called directly
                return
            handle._token.raise_if_cancelled()
            result = handle.job.function(handle._report, handle._token)
        except Exception as error:  # kept in the future for the caller; never printed here
            future.set_exception(error)
        else:
            if handle.job.key is not None:
                self.cache.store(handle.job.key, result)
            future.set_result(result)
        finally:
            with self._lock:
                self._live.discard(handle)


def input_key(*parts: Any) -> str:
    """A sha256 hex digest of the inputs a result depends on.

    Accepts numpy arrays (dtype, shape and bytes), numpy scalars, bool, int, float,
    str, bytes, None, enums, paths, tuples, lists, dicts and dataclasses (their
    compared fields), nested. Different types never collide: each part is tagged.

    Raises
    ------
    TypeError
        For a part of another type (hashing ``repr`` would silently give unstable keys).
    """
    digest = hashlib.sha256()
    for part in parts:
        _feed(digest, part)
    return digest.hexdigest()


def _feed(digest: Any, part: Any) -> None:
    if isinstance(part, np.ndarray) or isinstance(part, np.generic):
        array = np.ascontiguousarray(part)
        _tagged(digest, b"nd", f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    elif part is None:
        _tagged(digest, b"none", b"")
    elif isinstance(part, bool):
        _tagged(digest, b"bool", b"1" if part else b"0")
    elif isinstance(part, enum.Enum):
        _tagged(digest, b"enum", type(part).__qualname__.encode())
        _feed(digest, part.value)
    elif isinstance(part, int):
        _tagged(digest, b"int", str(part).encode())
    elif isinstance(part, float):
        _tagged(digest, b"float", struct.pack("<d", part))
    elif isinstance(part, str):
        _tagged(digest, b"str", part.encode("utf-8"))
    elif isinstance(part, bytes):
        _tagged(digest, b"bytes", part)
    elif isinstance(part, PurePath):
        _tagged(digest, b"path", str(part).encode("utf-8"))
    elif isinstance(part, (tuple, list)):
        _tagged(digest, b"seq", str(len(part)).encode())
        for item in part:
            _feed(digest, item)
    elif isinstance(part, dict):
        _tagged(digest, b"dict", str(len(part)).encode())
        for name in sorted(part, key=repr):
            _feed(digest, name)
            _feed(digest, part[name])
    elif dataclasses.is_dataclass(part) and not isinstance(part, type):
        _tagged(digest, b"dataclass", type(part).__qualname__.encode())
        for spec in dataclasses.fields(part):
            if spec.compare:
                _feed(digest, spec.name)
                _feed(digest, getattr(part, spec.name))
    else:
        raise TypeError(f"input_key cannot hash a {type(part).__name__}; pass arrays, numbers, strings or dataclasses")


def _tagged(digest: Any, tag: bytes, payload: bytes) -> None:
    # Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    digest.update(tag + b":" + str(len(payload)).encode() + b":")
    digest.update(payload)
