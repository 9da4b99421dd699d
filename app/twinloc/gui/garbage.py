"""Python's cyclic garbage collection, kept on the GUI thread while a main window is open.

The collector runs in whichever thread allocates when a generation fills up, and frees what
reference cycles hold, VTK objects included. A compute thread that frees a VTK object while
the GUI thread renders deadlocks: the GUI thread holds VTK's own collector lock and waits
for the GIL in a VTK callback, while the compute thread holds the GIL and waits for that
lock. (Seen when a compute thread imported Numba, which allocates a great deal, during the
window's first render.) So while a main window is open, automatic collection is off, and a
timer on the GUI thread collects as often as the collector's own thresholds would have.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 200
"""How often the GUI thread looks at the collector's counts."""

_open_windows = 0  # collectors open in this process; automatic collection is off while > 0
_enabled_before = True


class GuiThreadCollector(QObject):
    """Collects garbage on the GUI thread between :meth:`open` and :meth:`close`.

    While any collector is open, automatic collection is off; when the last one closes, it
    is on again if it was before the first one opened.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._open = False

    def open(self) -> None:
        global _open_windows, _enabled_before
        if self._open:
            return
        self._open = True
        if _open_windows == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _open_windows += 1
        self._timer.start()

    def close(self) -> None:
        global _open_windows
        if not self._open:
            return
        self._open = False
        self._timer.stop()
        _open_windows -= 1
        if _open_windows == 0 and _enabled_before:
            gc.enable()

    def collect_due(self) -> int:
        """Collect the oldest generation whose count is over its threshold, as ``gc`` would.

        Returns the number of unreachable objects found (0 when nothing was due).
        """
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                return gc.collect(generation)
        return 0
