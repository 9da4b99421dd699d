"""The compute pool: cancellation, progress, cache, exceptions, input keys."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pytest

from twinloc.compute.jobs import CancelToken, ComputePool, Job, JobCancelled, ResultCache, input_key


@pytest.fixture
def pool():
    with ComputePool(max_workers=2) as pool:
        yield pool


def chunked_job(chunks: int, started: threading.Event | None = None, release: threading.Event | None = None, key=None):
    """A job of ``chunks`` chunks that checks its token between chunks; records what it did."""
    done_chunks = []

    def run(progress, cancel):
        for index in range(chunks):
            cancel.raise_if_cancelled()
            if index == 1 and started is not None:
                started.set()
                release.wait(5)
            done_chunks.append(index)
            progress((index + 1) / chunks, f"chunk {index + 1}")
        return sum(done_chunks)

    return Job("chunked", run, key), done_chunks


def test_a_job_returns_its_result(pool: ComputePool) -> None:
    job, _ = chunked_job(4)
    assert pool.submit(job).future.result(5) == 0 + 1 + 2 + 3


def test_cancellation_stops_a_chunked_job(pool: ComputePool) -> None:
    started, release = threading.Event(), threading.Event()
    job, done_chunks = chunked_job(100, started, release)
    handle = pool.submit(job)
    assert started.wait(5)
    handle.cancel()
    release.set()
    with pytest.raises(JobCancelled):
        handle.future.result(5)
    assert handle.cancelled
    assert done_chunks == [0, 1]


def test_a_job_cancelled_before_it_starts_never_runs(pool: ComputePool) -> None:
    started, release = threading.Event(), threading.Event()
    blockers = [pool.submit(chunked_job(3, started, release)[0]) for _ in range(2)]
    calls = []
    queued = pool.submit(Job("queued", lambda progress, cancel: calls.append(1)))
    queued.cancel()
    release.set()
    with pytest.raises(JobCancelled):
        queued.future.result(5)
    assert calls == []
    for handle in blockers:
        handle.future.result(5)


def test_progress_is_monotonic_and_reaches_one(pool: ComputePool) -> None:
    def run(progress, cancel):
        for fraction in (0.1, 0.5, 0.3, 0.8, 1.7):
            progress(fraction, "step")
        return None

    reports = []
    gate = threading.Event()
    handle = pool.submit(Job("wobbly", lambda p, c: (gate.wait(5), run(p, c))[1]))
    handle.add_progress_listener(lambda fraction, text: reports.append(fraction))
    gate.set()
    handle.future.result(5)
    assert reports == [0.1, 0.5, 0.5, 0.8, 1.0]


def test_listeners_run_on_the_worker_thread(pool: ComputePool) -> None:
    gate = threading.Event()
    threads, done = [], threading.Event()
    handle = pool.submit(Job("j", lambda progress, cancel: (gate.wait(5), progress(1.0, "done"))))
    handle.add_progress_listener(lambda f, t: threads.append(threading.current_thread().name))
    handle.add_done_listener(lambda h: (threads.append(threading.current_thread().name), done.set()))
    gate.set()
    assert done.wait(5)
    assert all(name.startswith("twinloc-compute") for name in threads) and len(threads) == 2


def test_a_cache_hit_does_not_rerun(pool: ComputePool) -> None:
    calls = []

    def run(progress, cancel):
        calls.append(1)
        return np.arange(3)

    first = pool.submit(Job("cached", run, key="k1")).future.result(5)
    done = []
    second = pool.submit(Job("cached", run, key="k1"))
    assert second.future.done()
    second.add_done_listener(done.append)
    assert second.future.result() is first
    assert calls == [1] and done == [second]
    pool.submit(Job("uncached", run)).future.result(5)
    pool.submit(Job("uncached", run)).future.result(5)
    assert len(calls) == 3


def test_failed_jobs_are_not_cached(pool: ComputePool) -> None:
    with pytest.raises(ZeroDivisionError):
        pool.submit(Job("fails", lambda p, c: 1 / 0, key="k")).future.result(5)
    assert "k" not in pool.cache


def test_exceptions_reach_the_future_and_are_not_printed(pool: ComputePool, capfd: pytest.CaptureFixture) -> None:
    def run(progress, cancel):
        raise ValueError("bad input")

    handle = pool.submit(Job("fails", run))
    with pytest.raises(ValueError, match="bad input"):
        handle.future.result(5)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_shutdown_cancels_running_jobs() -> None:
    pool = ComputePool(max_workers=1)
    started, release = threading.Event(), threading.Event()
    handle = pool.submit(chunked_job(100, started, release)[0])
    assert started.wait(5)
    threading.Timer(0.05, release.set).start()
    pool.shutdown()
    with pytest.raises(JobCancelled):
        handle.future.result(0)


def test_a_held_pool_starts_nothing_until_released() -> None:
    """What the window's start-up relies on: held jobs wait, in order, and a job cancelled
    while held never runs (had it started, its call would be recorded)."""
    calls = []
    with ComputePool(max_workers=2) as pool:
        pool.hold()
        dropped = pool.submit(Job("dropped", lambda progress, cancel: calls.append("dropped")))
        kept = pool.submit(Job("kept", lambda progress, cancel: calls.append("kept") or 7))
        dropped.cancel()
        pool.release()
        assert kept.future.result(30) == 7
        with pytest.raises(JobCancelled):
            dropped.future.result(30)
    assert calls == ["kept"]


def test_shutting_down_a_held_pool_cancels_its_jobs() -> None:
    calls = []
    pool = ComputePool(max_workers=1)
    pool.hold()
    handle = pool.submit(Job("held", lambda progress, cancel: calls.append(1)))
    pool.shutdown()  # waits for the workers: a held worker must wake up
    with pytest.raises(JobCancelled):
        handle.future.result(0)
    assert calls == []


def test_default_worker_count_is_small() -> None:
    with ComputePool() as pool:
        assert 1 <= pool._executor._max_workers <= 4


def test_result_cache_evicts_the_least_recently_used() -> None:
    cache = ResultCache(max_entries=2)
    cache.store("a", 1)
    cache.store("b", 2)
    assert cache.lookup("a") == (True, 1)
    cache.store("c", 3)
    assert "b" not in cache and "a" in cache and "c" in cache and len(cache) == 2
    assert cache.lookup("b") == (False, None)


def test_cancel_token() -> None:
    token = CancelToken()
    token.raise_if_cancelled()
    token.cancel()
    assert token.cancelled
    with pytest.raises(JobCancelled):
        token.raise_if_cancelled()


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def test_input_key_distinguishes_what_matters() -> None:
    positions = np.array([[1.0, 2.0, 3.0]])
    key = input_key("los", positions, 0.1, 1.0)
    assert key == input_key("los", positions.copy(), 0.1, 1.0)
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != input_key("los", positions.astype(np.float32), 0.1, 1.0)
    assert key != input_key("los", positions.reshape(3, 1), 0.1, 1.0)
    assert key != input_key("los", positions + 1e-12, 0.1, 1.0)
    assert key != input_key("los", positions, 0.1000001, 1.0)
    assert input_key(("ab", "c")) != input_key(("a", "bc"))
    assert input_key(1) != input_key(1.0) != input_key("1")
    assert input_key(True) != input_key(1)
    assert input_key(Point(1.0, 2.0)) == input_key(Point(1.0, 2.0)) != input_key(Point(2.0, 1.0))
    assert input_key({"b": 1, "a": 2}) == input_key({"a": 2, "b": 1})
    with pytest.raises(TypeError):
        input_key(object())


def test_cancelling_the_future_directly_before_it_runs(pool: ComputePool) -> None:
    started, release = threading.Event(), threading.Event()
    blockers = [pool.submit(chunked_job(3, started, release)[0]) for _ in range(2)]
    calls = []
    queued = pool.submit(Job("queued", lambda progress, cancel: calls.append(1)))
    assert queued.future.cancel()
    release.set()
    for handle in blockers:
        handle.future.result(5)
    pool.shutdown()
    assert calls == [] and queued.future.cancelled()
