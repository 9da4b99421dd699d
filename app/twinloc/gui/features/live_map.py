"""What the live floor maps share: when to recompute, and the anchors they are computed for.

A floor map (LOS, error map) is a layer of the floor stack and computes only while the user
has it on. It recomputes soon after the document changes (a zero-interval single shot
coalesces the several signals one edit may emit) and, while an anchor is dragged, at most
once per throttle interval with the previewed position; the document only changes when the
drag ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer

from twinloc.gui.document import ProjectDocument
from twinloc.gui.tasks import JobRunner
from twinloc.gui.viewport.floor_stack import FloorStack


class LiveMapController(QObject):
    """Base of the live floor-map controllers.

    Subclasses set ``key`` (their floor layer's key, also the key their tasks run under),
    implement ``_submit()`` (capture inputs, take a revision of the layer, submit the job
    superseding the previous one) and ``_on_disabled()`` (forget what they computed), and
    connect their task's ``failed`` signal to ``_on_failed``.

    Parameters
    ----------
    document : ProjectDocument
    runner : JobRunner
    floor : FloorStack
        Where the map is published; it must have the layer ``key`` registered.
    throttle_ms : int
        Least interval between recomputations while an anchor is dragged.
    """

    key = ""
    """The key of the map's floor layer and of its tasks (a newer task supersedes the running one)."""

    def __init__(
        self, document: ProjectDocument, runner: JobRunner, floor: FloorStack, throttle_ms: int, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._floor = floor
        self._throttle_ms = throttle_ms
        self._enabled = floor.active == self.key
        self._preview: tuple[str, tuple[float, float, float]] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._submit)
        floor.activeChanged.connect(self._on_active_changed)
        if self._enabled:
            self.refresh()

    @property
    def enabled(self) -> bool:
        """True while the map's layer is on (and the map is computed)."""
        return self._enabled

    def stop(self) -> None:
        """Stop recomputing for good (the window is closing; the lanes are shut down next)."""
        self._enabled = False
        self._timer.stop()

    def refresh(self) -> None:
        """Recompute from the document (soon, once the current batch of signals is over)."""
        self._preview = None
        if self._enabled:
            self._timer.start(0)

    def preview_anchor(self, name: str, position: tuple[float, float, float]) -> None:
        """Recompute as if anchor ``name`` stood at ``position`` (the document is not changed)."""
        self._preview = (name, tuple(float(c) for c in position))
        if self._enabled and not self._timer.isActive():
            self._timer.start(self._throttle_ms)

    def _on_active_changed(self, active: str | None) -> None:
        enabled = active == self.key
        if enabled == self._enabled:
            return
        self._enabled = enabled
        if enabled:
            self.refresh()
        else:
            self._disable()

    def _disable(self) -> None:
        self._timer.stop()
        self._runner.cancel(self.key)
        self._floor.withdraw(self.key)
        self._on_disabled()

    def _on_failed(self, _message: str) -> None:
        """The map could not be computed (the window says why): show none rather than an outdated one."""
        if self._enabled:
            self._disable()

    def _enabled_anchors(self) -> tuple[tuple[str, ...], np.ndarray]:
        """Names and (A, 3) positions in metres of the enabled anchors, the dragged one previewed."""
        moved = dict([self._preview]) if self._preview is not None else {}
        enabled = [anchor for anchor in self._document.project.anchors if anchor.enabled]
        positions = np.array([moved.get(a.name, a.position) for a in enabled], dtype=np.float64).reshape(-1, 3)
        return tuple(a.name for a in enabled), positions



def floor_summary(result, describe: Callable[[Any], str]) -> tuple[str, str]:
    """A live map's part of the status-bar summary, as (text, tooltip).

    ``result`` is the map shown (with a ``grid``), or None: no part. A map without cells says
    why in its first sentence, the tooltip has what to do; otherwise ``describe(result)``.
    """
    if result is None:
        return "", ""
    reason = result.grid.empty_reason
    return (reason.split(". ")[0], reason) if reason else (describe(result), "")
