"""The live line-of-sight map: recomputed whenever its inputs change, published to the floor.

Inputs are captured on the GUI thread (the effective scene, enabled anchor positions,
grid settings) into a :func:`~twinloc.compute.los_jobs.los_map_job`; the job runs in the
live lane under the key ``"los"``, superseding the running one, so a newer request (an
anchor being dragged) cancels the older one, and the map is published to the floor stack
as the layer ``"los"``. With no enabled anchor there is nothing to count (every cell would
read 0 on a 0-1 legend): the layer is a caption saying what to do, without a map.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QObject, Signal

from twinloc.compute.los_jobs import los_map_job
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.live_map import LiveMapController
from twinloc.gui.features.los.layers import NO_ANCHORS_LAYER, los_layer
from twinloc.gui.tasks import JobRunner
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.model.project import ResultRecord
from twinloc.uwb.visibility import LosMap

KEY = "los"
PREVIEW_THROTTLE_MS = 40
"""At most one recomputation per this interval while an anchor is dragged."""


class LosMapController(LiveMapController):
    """Keeps the floor layer ``"los"`` showing the LOS anchor count of each floor cell.

    Signals
    -------
    updated(object)
        A new :class:`~twinloc.uwb.visibility.LosMap` is shown, or None: no map (no anchors, or the map was taken away).
    """

    updated = Signal(object)
    key = KEY

    def __init__(self, document: ProjectDocument, runner: JobRunner, floor: FloorStack, parent: QObject | None = None) -> None:
        self.los_map: LosMap | None = None
        """The map on display (None before the first result, while off or without anchors)."""
        super().__init__(document, runner, floor, PREVIEW_THROTTLE_MS, parent)
        for signal in (document.sceneChanged, document.anchorsChanged, document.materialsChanged, document.objectsChanged,
                       document.settingsChanged):
            signal.connect(self.refresh)

    def record_summary(self) -> bool:
        """Keep the shown map's summary in the project as a ``los_map`` result; False when none is shown."""
        if self.los_map is None:
            return False
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._document.add_result(ResultRecord("los_map", created, self.los_map.summary()))
        return True

    def _on_disabled(self) -> None:
        self.los_map = None
        self.updated.emit(None)

    def _submit(self) -> None:
        _names, positions = self._enabled_anchors()
        revision = self._floor.revise(KEY)
        if not len(positions):
            self._runner.cancel(KEY)
            self.los_map = None
            self._floor.publish(KEY, NO_ANCHORS_LAYER, revision)
            self.updated.emit(None)
            return
        resolution = self._document.grid_resolution_m
        job = los_map_job(self._document.scene, positions, resolution, self._document.tag_height_m,
                          geometry=self._document.geometry)
        task = self._runner.submit(job, key=KEY, supersede=True)
        task.finished.connect(lambda result: self._on_finished(result, revision))
        task.failed.connect(self._on_failed)

    def _on_finished(self, result: LosMap, revision: int) -> None:
        if not self._enabled or not self._floor.publish(KEY, los_layer(result), revision):
            return
        self.los_map = result
        self.updated.emit(result)

