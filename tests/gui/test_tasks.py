"""Tasks: pool listeners become GUI-thread signals of the task that was submitted, to its holder only;
superseding is explicit; live reports are coalesced to the newest; the long lane never holds a live thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from twinloc.compute.jobs import ComputePool, Job
from twinloc.gui.tasks import LIVE, LONG, JobRunner

WAIT_S = 10


@pytest.fixture
def runner(qtbot):
    """A runner with one thread per lane: a job blocking the long lane leaves only the live thread free."""
    runner = JobRunner({LIVE: ComputePool(max_workers=1), LONG: ComputePool(max_workers=1)})
    yield runner
    runner.shutdown()


def test_result_and_progress_arrive_on_the_gui_thread(runner, qtbot):
    threads = []

    def work(progress, cancel):
        progress(0.5, "halfway")
        return 42

    task = runner.submit(Job("answer", work), key="g")
    task.progress.connect(lambda *args: threads.append(QThread.currentThread()))
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [42] and task.outcome == "finished" and task.name == "answer"
    assert threads and all(thread is QThread.currentThread() for thread in threads)
    assert runner.is_idle


def test_each_signal_reaches_only_the_holder_of_its_task(runner, qtbot):
    first_holder, second_holder = [], []
    first = runner.submit(Job("first", lambda progress, cancel: "one"))
    second = runner.submit(Job("second", lambda progress, cancel: "two"), lane=LONG)
    first.finished.connect(first_holder.append)
    second.finished.connect(second_holder.append)
    qtbot.waitUntil(lambda: runner.is_idle, timeout=5000)
    assert first_holder == ["one"] and second_holder == ["two"]


def test_a_superseded_task_says_nothing_more(runner, qtbot):
    started, release = threading.Event(), threading.Event()

    def slow(progress, cancel):
        started.set()
        release.wait(WAIT_S)
        cancel.raise_if_cancelled()
        return "old"

    heard = []
    first = runner.submit(Job("slow", slow), key="los")
    for signal in (first.finished, first.cancelled, first.failed):
        signal.connect(lambda *args: heard.append(args))
    assert started.wait(WAIT_S)
    second = runner.submit(Job("fast", lambda progress, cancel: "new"), key="los", supersede=True)
    with qtbot.waitSignal(second.finished, timeout=5000) as blocker:
        release.set()
    qtbot.waitUntil(lambda: first.handle.future.done(), timeout=5000)
    qtbot.waitUntil(lambda: runner.is_idle, timeout=5000)
    assert blocker.args == ["new"] and heard == []
    assert first.handle.cancelled and first.outcome == "superseded"


def test_a_discarded_task_that_had_finished_says_nothing(runner, qtbot):
    """The race a cancel cannot close: the job finished on its thread, its result still queued
    for the GUI thread. Cancelling then still delivers it; discarding drops it."""
    outcomes = {}
    for how in ("cancel", "discard"):
        task = runner.submit(Job("map", lambda progress, cancel: "stale"), key=how)
        heard = outcomes[how] = []
        for signal in (task.finished, task.cancelled, task.failed):
            signal.connect(lambda *args, heard=heard: heard.append(args))
        assert task.handle.future.result(WAIT_S) == "stale"  # done; no Qt event processed yet
        getattr(runner, how)(how)
        if how == "discard":
            assert runner.task(how) is None and runner.discard(how) is False  # nothing left to discard
        qtbot.waitUntil(lambda: runner.is_idle, timeout=5000)  # a cancelled task is idle once it delivered
    assert outcomes == {"cancel": [("stale",)], "discard": []}


def test_superseding_must_be_asked_for(runner, qtbot):
    release = threading.Event()
    running = runner.submit(Job("Model training", lambda progress, cancel: release.wait(WAIT_S)), lane=LONG, key="training")
    with pytest.raises(ValueError, match="Model training is still running"):
        runner.submit(Job("Model training", lambda progress, cancel: None), lane=LONG, key="training")
    assert runner.task("training") is running
    release.set()
    qtbot.waitUntil(lambda: runner.is_idle, timeout=5000)


def test_failure_and_cancel_are_reported(runner, qtbot):
    def broken(progress, cancel):
        raise ValueError("grid is empty")

    task = runner.submit(Job("broken", broken), key="x")
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["grid is empty"] and task.outcome == "failed"

    gate = threading.Event()

    def waits(progress, cancel):
        gate.wait(WAIT_S)
        cancel.raise_if_cancelled()

    waiting = runner.submit(Job("waits", waits), key="y")
    assert runner.task("y") is waiting and waiting.name == "waits"
    with qtbot.waitSignal(waiting.cancelled, timeout=5000):
        runner.cancel("y")
        gate.set()
    assert waiting.outcome == "cancelled" and runner.task("y") is None

    gate.clear()
    direct = runner.submit(Job("waits", waits), lane=LONG)
    with qtbot.waitSignal(direct.cancelled, timeout=5000):
        direct.cancel()
        gate.set()


def test_live_reports_are_coalesced_to_the_newest(runner, qtbot):
    """The GUI thread is kept from turning while the job publishes 100 reports: one arrives, the last."""
    published, release = threading.Event(), threading.Event()

    def make_job(publish):
        def run(progress, cancel):
            for step in range(1, 101):
                publish(step)
                progress(step / 100, f"step {step}")
            published.set()
            release.wait(WAIT_S)
            return "done"

        return Job("reports", run)

    task = runner.submit_publishing(make_job, key="reports")
    reports, progress = [], []
    task.published.connect(reports.append)
    task.progress.connect(lambda fraction, text: progress.append((fraction, text)))
    assert published.wait(WAIT_S)  # blocks the GUI thread: nothing is delivered meanwhile
    release.set()
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert reports == [100]
    assert progress == [(1.0, "step 100")]


def test_a_blocked_long_lane_leaves_the_live_lane_free(runner, qtbot):
    started, release = threading.Event(), threading.Event()
    long_task = runner.submit(Job("long run", lambda progress, cancel: started.set() or release.wait(WAIT_S)), lane=LONG)
    assert started.wait(WAIT_S)
    live = runner.submit(Job("LOS map", lambda progress, cancel: "map"))
    with qtbot.waitSignal(live.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == ["map"] and long_task.running
    release.set()
    qtbot.waitUntil(lambda: runner.is_idle, timeout=5000)
