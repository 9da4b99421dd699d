"""What the live floor maps share: when to recompute, and the anchors they are computed for.

A floor map (LOS, error map) recomputes soon after the document changes (a zero-interval
single shot coalesces the several signals one edit may emit) and, while an anchor is
dragged, at most once per throttle interval with the previewed position; the document only
changes when the drag ends.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer

from twinloc.gui.document import ProjectDocument


class LiveFloorMap(QObject):
    """Base of the live floor-map overlays.

    Subclasses set ``key`` (the key their tasks run under), implement ``_submit()`` (capture
    inputs, submit the job superseding the previous one) and ``_on_disabled()`` (cancel and
    clear what they show), and connect their task's ``failed`` signal to ``_on_failed``.

    Parameters
    ----------
    document : ProjectDocument
    throttle_ms : int
        Least interval between recomputations while an anchor is dragged.
    enabled : bool
        Whether the map starts shown.
    """

    key = ""
    """The key the map's tasks run under (a newer one supersedes the running one)."""

    def __init__(self, document: ProjectDocument, throttle_ms: int, enabled: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._throttle_ms = throttle_ms
        self._enabled = enabled
        self._preview: tuple[str, tuple[float, float, float]] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._submit)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Show (and compute) or hide (and stop computing) the map."""
        self._enabled = bool(enabled)
        if self._enabled:
            self.refresh()
        else:
            self._timer.stop()
            self._on_disabled()

    def stop(self) -> None:
        """Stop recomputing for good (the window is closing; the pool is shut down next)."""
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

    def _on_failed(self, _message: str) -> None:
        """The map could not be computed (the window says why): show none rather than an outdated one."""
        if self._enabled:
            self._on_disabled()

    def _enabled_anchors(self) -> tuple[tuple[str, ...], np.ndarray]:
        """Names and (A, 3) positions in metres of the enabled anchors, the dragged one previewed."""
        moved = dict([self._preview]) if self._preview is not None else {}
        enabled = [anchor for anchor in self._document.project.anchors if anchor.enabled]
        positions = np.array([moved.get(a.name, a.position) for a in enabled], dtype=np.float64).reshape(-1, 3)
        return tuple(a.name for a in enabled), positions

