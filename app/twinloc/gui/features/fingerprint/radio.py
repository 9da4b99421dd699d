"""The radio map of the Fingerprinting feature: the twin's path gain, RSS, range and LOS per transmitter.

:class:`RadioMapController` keeps how the map is computed (frequency and power overrides,
resolution, receiver height, reflection depth) and how it is shown (transmitter, quantity)
as view state, computes the map over the floor grid in the live lane (superseding the map
still being computed) and computes it again when the anchors, access points or materials
change, or an object is edited, while the map is on the floor. The twin's transmitters are the project's enabled
access points and anchors (:func:`twin_scene`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.scene import Scene
from twinloc.gui.document import ProjectDocument
from twinloc.gui.tasks import JobRunner
from twinloc.radio.transmitters import Transmitter, transmitters_of

if TYPE_CHECKING:
    from twinloc.compute.radiomap_jobs import FloorRadioMap
    from twinloc.radio.radiomap import RadioMap, RadioSettings

KEY = "radio_map"
"""The key of the radio map's tasks."""


@dataclass(frozen=True)
class RadioView:
    """How the radio map is computed.

    frequency_ghz : carrier of every transmitter, GHz; None: each transmitter's own.
    power_dbm : transmit power of every transmitter, dBm; None: each transmitter's own.
    resolution_m : floor grid cell size, metres.
    receiver_height_m : height of the grid above the floor, metres.
    max_depth : specular reflections per path, 0 to 2.
    """

    frequency_ghz: float | None = None
    power_dbm: float | None = None
    resolution_m: float = 0.5
    receiver_height_m: float = 1.0
    max_depth: int = 2

    @property
    def settings(self) -> RadioSettings:
        from twinloc.radio.radiomap import RadioSettings  # the radio physics loads with the first map

        return RadioSettings(max_depth=self.max_depth, receiver_height_m=self.receiver_height_m)


def twin_scene(document: ProjectDocument) -> Scene:
    """The document's scene with the project's anchors and access points (what the user edits)."""
    project = document.project
    return dataclasses.replace(document.scene, anchors=tuple(project.anchors), access_points=tuple(project.access_points))


class RadioMapController(QObject):
    """Computes the twin's radio map for a document and says which part of it to show.

    Signals
    -------
    mapChanged()
        :attr:`radio_map` changed (computed, or forgotten), or the shown transmitter or quantity.
    viewChanged()
        :attr:`view` changed.
    """

    mapChanged = Signal()
    viewChanged = Signal()

    def __init__(self, document: ProjectDocument, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self.view = RadioView()
        self.radio_map: RadioMap | None = None
        self.grid: FloorGrid | None = None
        """The floor grid of :attr:`radio_map` (its points are the map's points)."""
        self.transmitter = ""
        """The name of the transmitter shown ("" before the first map)."""
        self.quantity = "rss_dbm"
        self.wanted = False
        """True once the user asked for a map: document edits then compute it again."""
        document.sceneChanged.connect(self._forget)
        for signal in (document.anchorsChanged, document.accessPointsChanged, document.materialsChanged, document.objectsChanged,
                       document.sceneChanged):
            signal.connect(self._on_document_changed)

    @property
    def computing(self) -> bool:
        return self._runner.task(KEY) is not None

    def transmitters(self) -> tuple[Transmitter, ...]:
        """The twin's enabled transmitters with the view's frequency and power overrides."""
        view = self.view
        frequency = None if view.frequency_ghz is None else view.frequency_ghz * 1e9
        return transmitters_of(twin_scene(self._document), frequency, view.power_dbm)

    def set_view(self, view: RadioView) -> None:
        """Compute with ``view`` from now on (at once, when a map was asked for)."""
        self.view = view
        self.viewChanged.emit()
        if self.wanted:
            self.compute()

    def show(self, transmitter: str | None = None, quantity: str | None = None) -> None:
        """Show another transmitter or quantity of the map (no recomputation)."""
        self.transmitter = self.transmitter if transmitter is None else transmitter
        self.quantity = self.quantity if quantity is None else quantity
        self.mapChanged.emit()

    def values(self) -> np.ndarray | None:
        """(M,) float64: the shown quantity of the shown transmitter per grid cell (NaN where no
        path arrives; LOS as 1/0), or None without a map."""
        radio_map = self.radio_map
        if radio_map is None or self.transmitter not in radio_map.transmitter_names:
            return None
        column = radio_map.transmitter_names.index(self.transmitter)
        reached = radio_map.reached[:, column]
        values = np.asarray(getattr(radio_map, self.quantity)[:, column], dtype=np.float64)
        return np.where(reached, values, np.nan) if self.quantity != "los" else values

    def compute(self) -> None:
        """Start computing the map over the floor grid (a bad setting fails the task with a message).

        Raises
        ------
        ValueError
            The twin has no enabled transmitter.
        """
        from twinloc.compute.radiomap_jobs import radio_map_job  # the radio physics loads with the first map

        transmitters = self.transmitters()
        if not transmitters:
            raise ValueError("The twin has no transmitter: add an access point or enable an anchor.")
        self.wanted = True
        view = self.view
        job = radio_map_job(twin_scene(self._document), transmitters, view.resolution_m, view.settings,
                            geometry=self._document.geometry)
        task = self._runner.submit(job, key=KEY, supersede=True)
        task.finished.connect(self._on_computed)

    def cancel(self) -> None:
        self._runner.cancel(KEY)

    def stop(self) -> None:
        """Stop for good (the window is closing)."""
        self.wanted = False
        self._runner.cancel(KEY)

    def _on_computed(self, result: FloorRadioMap) -> None:
        self.grid, self.radio_map = result.grid, result.radio_map
        if self.transmitter not in self.radio_map.transmitter_names:
            self.transmitter = self.radio_map.transmitter_names[0] if self.radio_map.transmitter_names else ""
        self.mapChanged.emit()

    def _on_document_changed(self) -> None:
        if not self.wanted:
            return
        if self.transmitters():
            self.compute()
        else:
            self._forget()

    def _forget(self) -> None:
        """The map no longer belongs to the document (another scene, no transmitter left)."""
        self._runner.discard(KEY)  # a map computed just before this must not come back
        if self.radio_map is not None:
            self.radio_map, self.grid = None, None
            self.mapChanged.emit()
