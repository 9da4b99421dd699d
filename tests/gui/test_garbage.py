"""Reference cycles are freed on the GUI thread while a main window is open (twinloc.gui.garbage)."""

from __future__ import annotations

import gc
import threading

import pytest

from twinloc.gui.garbage import GuiThreadCollector

pytestmark = pytest.mark.gui


class _Cycle:
    """Half of a reference cycle that records the thread that frees it."""

    freed_on: list[str] = []

    def __init__(self) -> None:
        self.partner = None

    def __del__(self) -> None:
        _Cycle.freed_on.append(threading.current_thread().name)


def _make_cycles(count: int) -> None:
    for _ in range(count):
        first, second = _Cycle(), _Cycle()
        first.partner, second.partner = second, first


def test_cycles_made_on_a_worker_thread_are_freed_on_the_gui_thread(qtbot):
    _Cycle.freed_on = []
    gc.collect()
    collector = GuiThreadCollector()
    collector.open()
    try:
        # Far more allocations than the first generation's threshold: with automatic
        # collection on, the worker would free some of them itself.
        worker = threading.Thread(target=_make_cycles, args=(5 * gc.get_threshold()[0],), name="worker")
        worker.start()
        worker.join()
        assert _Cycle.freed_on == []
        qtbot.waitUntil(lambda: len(_Cycle.freed_on) > 0, timeout=10_000)
        assert set(_Cycle.freed_on) == {threading.main_thread().name}
    finally:
        collector.close()
        gc.collect()


def test_automatic_collection_is_off_while_a_collector_is_open_and_back_after():
    before = gc.isenabled()  # off if an earlier test left a window open
    first, second = GuiThreadCollector(), GuiThreadCollector()
    first.open()
    second.open()
    assert not gc.isenabled()
    first.close()
    assert not gc.isenabled()  # the second is still open
    second.close()
    assert gc.isenabled() == before
