"""The live line-of-sight overlay: recomputed on the pool whenever its inputs change.

Inputs are captured on the GUI thread (the effective scene, enabled anchor positions,
grid settings) into a :func:`~twinloc.compute.los_job.los_map_job`; the job runs on the
compute pool under the supersede group ``"los"``, so a newer request (an anchor being
dragged) cancels the older one, and the result is drawn on the GUI thread.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from twinloc.compute.los_job import los_map_job
from twinloc.gui.compute_bridge import JobRunner
from twinloc.gui.document import ProjectDocument
from twinloc.model.project import ResultRecord
from twinloc.uwb.visibility import LosMap

GROUP = "los"
OVERLAY_TITLE = "LOS anchors"
PREVIEW_THROTTLE_MS = 40
"""At most one recomputation per this interval while an anchor is dragged."""


class LosOverlay(QObject):
    """Keeps the viewport's floor overlay showing the LOS anchor count of each floor cell.

    Parameters
    ----------
    document : ProjectDocument
    runner : JobRunner
    viewport : SceneViewport
        Only ``set_floor_overlay`` and ``clear_floor_overlay`` are used.

    Signals
    -------
    updated(object)
        A new :class:`~twinloc.uwb.visibility.LosMap` is shown.
    """

    updated = Signal(object)

    def __init__(self, document: ProjectDocument, runner: JobRunner, viewport, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._viewport = viewport
        self._enabled = True
        self._preview: tuple[str, tuple[float, float, float]] | None = None
        self.los_map: LosMap | None = None
        """The map on display (None before the first result or while hidden)."""

        # A zero-interval single shot coalesces the several signals one edit may emit.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._submit)

        for signal in (document.sceneChanged, document.anchorsChanged, document.materialsChanged, document.settingsChanged):
            signal.connect(self.refresh)
        runner.finished.connect(self._on_finished)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Show (and compute) or hide (and stop computing) the overlay."""
        self._enabled = bool(enabled)
        if self._enabled:
            self.refresh()
        else:
            self._timer.stop()
            self._runner.cancel(GROUP)
            self.los_map = None
            self._viewport.clear_floor_overlay()

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
            self._timer.start(PREVIEW_THROTTLE_MS)

    def record_summary(self) -> bool:
        """Keep the shown map's summary in the project as a ``los_map`` result; False when none is shown."""
        if self.los_map is None:
            return False
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._document.add_result(ResultRecord("los_map", created, self.los_map.summary()))
        return True

    def _submit(self) -> None:
        project = self._document.project
        scene = self._document.scene
        moved = dict([self._preview]) if self._preview is not None else {}
        positions = np.array(
            [moved.get(a.name, a.position) for a in project.anchors if a.enabled], dtype=np.float64
        ).reshape(-1, 3)
        settings = project.settings
        tag_height = settings.tag_height_m if settings.tag_height_m is not None else scene.tag_height_m
        self._runner.submit(los_map_job(scene, positions, settings.grid_resolution_m, tag_height), GROUP)

    def _on_finished(self, group: str, result: object) -> None:
        if group != GROUP or not self._enabled or not isinstance(result, LosMap):
            return
        self.los_map = result
        top = max(int(result.anchor_positions.shape[0]), 1)
        self._viewport.set_floor_overlay(
            result.grid, result.los_count, OVERLAY_TITLE, clim=(0, top), categorical=True
        )
        self.updated.emit(result)
