"""The live line-of-sight overlay: recomputed on the pool whenever its inputs change.

Inputs are captured on the GUI thread (the effective scene, enabled anchor positions,
grid settings) into a :func:`~twinloc.compute.los_job.los_map_job`; the job runs on the
live lane under the key ``"los"``, superseding the running one, so a newer request (an anchor
being dragged) cancels the older one, and the result is drawn on the GUI thread. With no enabled
anchor there is nothing to count (every cell would read 0 on a 0-1 legend): the floor stays
bare and a caption in the view says what to do.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QObject, Signal

from twinloc.compute.los_job import los_map_job
from twinloc.gui.tasks import JobRunner
from twinloc.gui.document import ProjectDocument
from twinloc.gui.live_floor_map import LiveFloorMap
from twinloc.model.project import ResultRecord
from twinloc.uwb.visibility import LosMap

KEY = "los"
OVERLAY_TITLE = "LOS anchors"
NO_ANCHORS_CAPTION = "LOS overlay: place anchors to see how many of them each floor cell sees"
PREVIEW_THROTTLE_MS = 40
"""At most one recomputation per this interval while an anchor is dragged."""


class LosOverlay(LiveFloorMap):
    """Keeps the viewport's floor overlay showing the LOS anchor count of each floor cell.

    Parameters
    ----------
    document : ProjectDocument
    runner : JobRunner
    viewport : SceneViewport
        Only ``set_floor_overlay``/``clear_floor_overlay`` and, for the caption shown while
        there are no anchors, ``set_floor_markers``/``clear_floor_markers`` are used.

    Signals
    -------
    updated(object)
        A new :class:`~twinloc.uwb.visibility.LosMap` is shown, or None: no map (no anchors, or the map was taken away).
    """

    updated = Signal(object)
    key = KEY

    def __init__(self, document: ProjectDocument, runner: JobRunner, viewport, parent: QObject | None = None) -> None:
        super().__init__(document, PREVIEW_THROTTLE_MS, enabled=True, parent=parent)
        self._runner = runner
        self._viewport = viewport
        self.los_map: LosMap | None = None
        """The map on display (None before the first result, while hidden or without anchors)."""
        self._captioned = False

        for signal in (document.sceneChanged, document.anchorsChanged, document.materialsChanged, document.settingsChanged):
            signal.connect(self.refresh)

    def _on_disabled(self) -> None:
        self._runner.cancel(KEY)
        self.los_map = None
        self._viewport.clear_floor_overlay()
        self._show_caption(False)
        self.updated.emit(None)

    def record_summary(self) -> bool:
        """Keep the shown map's summary in the project as a ``los_map`` result; False when none is shown."""
        if self.los_map is None:
            return False
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._document.add_result(ResultRecord("los_map", created, self.los_map.summary()))
        return True

    def _submit(self) -> None:
        _names, positions = self._enabled_anchors()
        if not len(positions):
            self._runner.cancel(KEY)
            self.los_map = None
            self._viewport.clear_floor_overlay()
            self._show_caption(True)
            self.updated.emit(None)
            return
        resolution = self._document.grid_resolution_m
        job = los_map_job(self._document.scene, positions, resolution, self._document.tag_height_m)
        task = self._runner.submit(job, key=KEY, supersede=True)
        task.finished.connect(self._on_finished)
        task.failed.connect(self._on_failed)

    def _on_finished(self, result: LosMap) -> None:
        if not self._enabled:
            return
        self.los_map = result
        top = max(int(result.anchor_positions.shape[0]), 1)
        self._show_caption(False)
        self._viewport.set_floor_overlay(
            result.grid, result.los_count, OVERLAY_TITLE, clim=(0, top), categorical=True
        )
        self.updated.emit(result)

    def _show_caption(self, shown: bool) -> None:
        """Show or remove the no-anchors caption (and only it: other maps own the markers otherwise)."""
        if shown and not self._captioned:
            self._viewport.set_floor_markers([], NO_ANCHORS_CAPTION)
        elif not shown and self._captioned:
            self._viewport.clear_floor_markers()
        self._captioned = shown
