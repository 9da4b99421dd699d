"""JobRunner: pool listeners become GUI-thread signals; a newer job supersedes an older one."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from twinloc.compute.jobs import ComputePool, Job
from twinloc.gui.compute_bridge import JobRunner


@pytest.fixture
def runner(qtbot):
    runner = JobRunner(ComputePool(max_workers=2))
    yield runner
    runner.shutdown()


def test_result_and_progress_arrive_on_the_gui_thread(runner, qtbot):
    threads = []
    runner.progress.connect(lambda *args: threads.append(QThread.currentThread()))

    def work(progress, cancel):
        progress(0.5, "halfway")
        return 42

    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        runner.submit(Job("answer", work), "g")
    assert blocker.args == ["g", 42]
    assert threads and all(thread is QThread.currentThread() for thread in threads)
    assert runner.is_idle


def test_newer_job_supersedes_the_running_one(runner, qtbot):
    started, release = threading.Event(), threading.Event()
    results = []
    runner.finished.connect(lambda group, result: results.append(result))
    cancelled = []
    runner.cancelled.connect(cancelled.append)

    def slow(progress, cancel):
        started.set()
        release.wait(5)
        cancel.raise_if_cancelled()
        return "old"

    first = runner.submit(Job("slow", slow), "los")
    assert started.wait(5)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.submit(Job("fast", lambda progress, cancel: "new"), "los")
    release.set()
    qtbot.waitUntil(lambda: first.future.done(), timeout=5000)
    qtbot.wait(50)
    assert results == ["new"] and cancelled == []
    assert first.cancelled


def test_failure_and_cancel_are_reported(runner, qtbot):
    def broken(progress, cancel):
        raise ValueError("grid is empty")

    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.submit(Job("broken", broken), "x")
    assert blocker.args == ["x", "grid is empty"]

    gate = threading.Event()

    def waits(progress, cancel):
        gate.wait(5)
        cancel.raise_if_cancelled()

    runner.submit(Job("waits", waits), "y")
    assert runner.job_name("y") == "waits"
    with qtbot.waitSignal(runner.cancelled, timeout=5000) as blocker:
        runner.cancel("y")
        gate.set()
    assert blocker.args == ["y"]
