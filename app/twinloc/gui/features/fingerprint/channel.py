"""Channel datasets of the Fingerprinting feature: the twin's CSI of one base station over the floor.

:class:`ChannelController` generates a dataset file in the long lane (what ``twinloc
csi-dataset`` runs: :func:`~twinloc.compute.csi_jobs.csi_dataset_job`) and loads one from
disk, keeping the dataset the few-labels section learns from. A dataset is the file's, not
the project's: it is read lazily (memory maps), and its provenance names the twin it was made
from, so the site-change section can say when the scene has changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.fingerprint.radio import twin_scene
from twinloc.gui.tasks import LONG, JobRunner
from twinloc.radio.transmitters import Transmitter, transmitters_of

if TYPE_CHECKING:
    from twinloc.fingerprint.csi_dataset import CsiDataset

KEY = "csi_dataset"
"""The key of the generation task."""


@dataclass(frozen=True)
class ChannelRequest:
    """A dataset to generate.

    station : name of an enabled base station, access point or anchor.
    rows, columns : antenna array elements; spacing_wavelengths : element spacing.
    centre_ghz, bandwidth_mhz, subcarriers : the OFDM band.
    snr_db : white noise, signal-to-noise ratio in dB, or None for none.
    resolution_m : floor grid cell size (one sample per cell).
    out_path : the ``.npz`` file written.
    sectors : the base station's sectors (each sample is served by the one it lies in).
    """

    station: str
    rows: int = 1
    columns: int = 32
    spacing_wavelengths: float = 0.5
    centre_ghz: float = 3.5
    bandwidth_mhz: float = 100.0
    subcarriers: int = 408
    snr_db: float | None = None
    resolution_m: float = 0.25
    out_path: str = ""
    sectors: int = 1


def provenance_text(dataset: CsiDataset) -> str:
    """One line saying what the dataset holds and where it comes from."""
    facts = dataset.provenance
    array, band = facts.get("array", {}), facts.get("band", {})
    noise = facts.get("snr_db")
    antennas = f"{array.get('rows', '?')}×{array.get('columns', '?')} antennas"
    band_text = (f"{band.get('subcarriers', '?')} subcarriers over {band.get('bandwidth_hz', 0) / 1e6:g} MHz "
                 f"at {band.get('centre_hz', 0) / 1e9:g} GHz")
    return (f"{len(dataset):,} samples of {facts.get('scene', '?')} from {facts.get('base_station', '?')}: "
            f"{antennas}, {band_text}, {'no noise' if noise is None else f'SNR {noise:g} dB'}")


class ChannelController(QObject):
    """Generates and loads the CSI dataset of a document's twin.

    Signals
    -------
    datasetChanged()
        :attr:`dataset` changed (generated, loaded or forgotten).
    generationEnded(str)
        "finished", "failed" or "cancelled".
    stationsChanged()
        The twin's base stations, access points or anchors changed (:meth:`stations`).
    """

    datasetChanged = Signal()
    generationEnded = Signal(str)
    stationsChanged = Signal()

    def __init__(self, document: ProjectDocument, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self.dataset: CsiDataset | None = None
        document.sceneChanged.connect(self._forget)
        for signal in (document.sceneChanged, document.anchorsChanged, document.accessPointsChanged,
                       document.baseStationsChanged):
            signal.connect(self.stationsChanged)

    @property
    def generating(self) -> bool:
        return self._runner.task(KEY) is not None

    def stations(self) -> dict[str, tuple[float, float, float]]:
        """The possible base stations, name -> (x, y, z) metres: the project's enabled base
        stations, then the twin's enabled access points and anchors."""
        found = {station.name: tuple(station.position) for station in self._document.project.base_stations
                 if station.enabled}
        for transmitter in transmitters_of(twin_scene(self._document)):
            found.setdefault(transmitter.name, transmitter.position)
        return found

    def generate(self, request: ChannelRequest) -> None:
        """Start writing the dataset of ``request`` (then :attr:`dataset` is the written file).

        Raises
        ------
        ValueError
            No base station of that name, no output file, an array or band out of range, a grid
            of more samples than a dataset may hold, or a generation still running.
        """
        from twinloc.compute.csi_jobs import csi_dataset_job  # the radio physics loads with the first dataset
        from twinloc.fingerprint.csi_dataset import MAX_SAMPLES, CsiSettings
        from twinloc.geometry.grid import grid_shape
        from twinloc.radio.channel import AntennaArray, OfdmBand
        from twinloc.radio.radiomap import RadioSettings

        if self.generating:
            raise ValueError("A dataset is still being generated: cancel it first.")
        stations = self.stations()
        if request.station not in stations:
            raise ValueError(f"The twin has no enabled base station, access point or anchor named {request.station!r}.")
        if not request.out_path:
            raise ValueError("Choose the dataset file to write.")
        band = OfdmBand(request.centre_ghz * 1e9, request.bandwidth_mhz * 1e6, request.subcarriers)
        settings = CsiSettings(AntennaArray(request.rows, request.columns, spacing_wavelengths=request.spacing_wavelengths),
                               band, snr_db=request.snr_db, sectors=request.sectors)
        scene = twin_scene(self._document)
        columns, rows = grid_shape(scene, request.resolution_m)
        if columns * rows > MAX_SAMPLES:
            raise ValueError(f"{columns} × {rows} cells at {request.resolution_m:g} m exceed the {MAX_SAMPLES:,} samples "
                             "a dataset may hold; choose a coarser resolution.")
        transmitter = Transmitter(request.station, stations[request.station], band.centre_hz, 0.0)
        radio = RadioSettings(receiver_height_m=self._document.tag_height_m)
        job = csi_dataset_job(scene, transmitter, request.out_path, settings, radio, request.resolution_m,
                              geometry=self._document.geometry)
        task = self._runner.submit(job, lane=LONG, key=KEY)
        task.finished.connect(lambda result: self._on_written(result.path))
        task.failed.connect(lambda _message: self.generationEnded.emit("failed"))
        task.cancelled.connect(lambda: self.generationEnded.emit("cancelled"))

    def load(self, path: str) -> None:
        """Make the dataset at ``path`` the current one.

        Raises
        ------
        ValueError
            Not a readable CSI dataset (the message names the file and why).
        """
        from twinloc.fingerprint.csi_dataset import open_csi_dataset

        try:
            dataset = open_csi_dataset(path)
        except FileNotFoundError:
            raise ValueError(f"{path}: no such file") from None
        except OSError as error:
            raise ValueError(f"{path}: cannot read: {error.strerror or error}") from None
        self.dataset = dataset
        self.datasetChanged.emit()

    def cancel(self) -> None:
        self._runner.cancel(KEY)

    def stop(self) -> None:
        """Stop for good (the window is closing)."""
        self._runner.cancel(KEY)

    def _on_written(self, path: str) -> None:
        self.load(path)
        self.generationEnded.emit("finished")

    def _forget(self) -> None:
        """A dataset belongs to its site: another scene drops it."""
        if self._runner.discard(KEY):  # a result finished just before must not come back
            self.generationEnded.emit("cancelled")
        if self.dataset is not None:
            self.dataset = None
            self.datasetChanged.emit()
