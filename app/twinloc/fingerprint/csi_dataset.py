"""CSI datasets: the twin's channel of one base station over many points, in one ``.npz`` file.

The file is an uncompressed zip of ``.npy`` members (numpy's own ``.npz``, so
``numpy.load`` reads it without TwinLoc):

- ``positions`` (N, 3) float64, metres;
- ``angle_delay`` (N, antennas, delay_bins) float32, |2D DFT| of the CSI (the CNN input);
- ``multipath`` (N, K, 7) float32, the K strongest paths' delay_s, power_db, phase_rad,
  aoa_azimuth_rad, aoa_elevation_rad, aod_azimuth_rad, aod_elevation_rad (NaN-padded);
- ``csi`` (N, antennas, subcarriers) complex64, only when asked for (it is large);
- ``sector`` (N,) int8, the sector serving each sample, only for a base station of several
  sectors (:mod:`twinloc.fingerprint.sectors`); the channel, the angle-delay image and every
  azimuth of ``multipath`` are then in that sector's array frame;
- ``provenance``, a 0-d unicode array holding JSON (scene digest, base station, array, band,
  noise, timing offset, seed, TwinLoc version).

Members are streamed chunk by chunk (each array first into its own ``.npy`` beside the output,
then copied into the zip), so writing holds one chunk of samples, never the dataset: numpy's
``savez`` needs every array whole, and HDF5 or zarr would be a new dependency. Stored members
are plain bytes at a known offset, so :func:`open_csi_dataset` maps them lazily.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.fingerprint.sectors import check_sectors, local_azimuth
from twinloc.model.input_files import MIB, checked_input_file
from twinloc.radio.channel import AntennaArray, OfdmBand, angle_delay, frequency_response
from twinloc.radio.radiomap import MultipathFeatures

#: Most samples of a dataset.
MAX_SAMPLES = 2_000_000
#: Largest dataset file, bytes (written or read).
MAX_DATASET_BYTES = 256 * 1024 * MIB
#: Samples synthesised and written per step (bounds the memory of a write).
CHUNK_SAMPLES = 512
#: Delay bins kept in ``angle_delay`` unless told.
DEFAULT_DELAY_BINS = 64
#: Multipath columns, in the order of ``multipath``'s last axis.
MULTIPATH_COLUMNS = tuple(MultipathFeatures.__dataclass_fields__)
#: Largest provenance member, bytes.
_MAX_PROVENANCE_BYTES = MIB


@dataclass(frozen=True)
class CsiSettings:
    """How the channel of each sample is synthesised.

    array : AntennaArray. band : OfdmBand.
    delay_bins : delay bins kept in ``angle_delay``, 1 to band.subcarriers (default: DEFAULT_DELAY_BINS
        or every subcarrier if fewer; at 100 MHz, 64 bins span 640 ns, 192 m of path).
    snr_db : white noise, signal-to-noise ratio per sample in dB (-30 to 100), or None.
    timing_offset_s : each sample's timing-advance error is drawn uniformly from 0 to this, seconds (0 to 1e-6).
    seed : seeds the timing offsets and the noise.
    keep_csi : also store the CSI itself (antennas x subcarriers complex64 per sample).
    sectors : the base station's sectors, 1 to :data:`~twinloc.fingerprint.sectors.MAX_SECTORS`,
        each with its own ``array`` facing its bisector (1: one array, the module's frame).
    """

    array: AntennaArray
    band: OfdmBand
    delay_bins: int | None = None
    snr_db: float | None = None
    timing_offset_s: float = 0.0
    seed: int = 0
    keep_csi: bool = False
    sectors: int = 1

    def __post_init__(self) -> None:
        check_sectors(self.sectors)
        if self.delay_bins is None:
            object.__setattr__(self, "delay_bins", min(DEFAULT_DELAY_BINS, self.band.subcarriers))
        if not (isinstance(self.delay_bins, int) and 1 <= self.delay_bins <= self.band.subcarriers):
            raise ValueError(f"delay bins must be an integer from 1 to {self.band.subcarriers}, got {self.delay_bins!r}")
        if self.snr_db is not None and not (np.isfinite(self.snr_db) and -30.0 <= self.snr_db <= 100.0):
            raise ValueError(f"signal-to-noise ratio must be -30 to 100 dB, got {self.snr_db!r}")
        if not (np.isfinite(self.timing_offset_s) and 0.0 <= self.timing_offset_s <= 1e-6):
            raise ValueError(f"timing offset must be 0 to 1000 ns, got {self.timing_offset_s!r} s")

    def provenance(self) -> dict:
        return {
            "array": {"rows": self.array.rows, "columns": self.array.columns,
                      "spacing_wavelengths": self.array.spacing_wavelengths},
            "band": {"centre_hz": self.band.centre_hz, "bandwidth_hz": self.band.bandwidth_hz,
                     "subcarriers": self.band.subcarriers},
            "delay_bins": self.delay_bins, "snr_db": self.snr_db, "timing_offset_s": self.timing_offset_s,
            "seed": self.seed, "keep_csi": self.keep_csi, "sectors": self.sectors,
        }


def member_shapes(samples: int, strongest_paths: int, settings: CsiSettings) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of each array member of a dataset of ``samples`` samples."""
    antennas = settings.array.antennas
    shapes = {
        "positions": ((samples, 3), np.dtype(np.float64)),
        "angle_delay": ((samples, antennas, settings.delay_bins), np.dtype(np.float32)),
        "multipath": ((samples, strongest_paths, len(MULTIPATH_COLUMNS)), np.dtype(np.float32)),
    }
    if settings.keep_csi:
        shapes["csi"] = ((samples, antennas, settings.band.subcarriers), np.dtype(np.complex64))
    if settings.sectors > 1:
        shapes["sector"] = ((samples,), np.dtype(np.int8))
    return shapes


def dataset_bytes(samples: int, strongest_paths: int, settings: CsiSettings) -> int:
    """Bytes of the arrays of a dataset (the file adds headers of a few kB)."""
    return sum(int(np.prod(shape)) * dtype.itemsize for shape, dtype in member_shapes(samples, strongest_paths, settings).values())


def check_dataset_size(samples: int, strongest_paths: int, settings: CsiSettings, out_path) -> None:
    """Raise ValueError if the dataset breaks MAX_SAMPLES or MAX_DATASET_BYTES, or would not fit
    twice (the members, then the zip) in the free space beside ``out_path``."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"a CSI dataset holds 1 to {MAX_SAMPLES:,} samples, this one would hold {samples:,}")
    size = dataset_bytes(samples, strongest_paths, settings)
    if size > MAX_DATASET_BYTES:
        raise ValueError(f"the dataset would be {size / MIB:,.0f} MiB, above the {MAX_DATASET_BYTES / MIB:,.0f} MiB limit")
    free = shutil.disk_usage(Path(out_path).resolve().parent).free
    if 2 * size > free:
        raise ValueError(f"the dataset needs {2 * size / MIB:,.0f} MiB while writing; {free / MIB:,.0f} MiB are free")


def write_csi_dataset(
    out_path,
    positions,
    paths: MultipathFeatures,
    settings: CsiSettings,
    provenance: dict,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
    sector=None,
    copied: tuple[CsiDataset, np.ndarray] | None = None,
) -> int:
    """Synthesise the channel of every sample and write the dataset to ``out_path``; return its bytes.

    positions : (N, 3) metres. paths : MultipathFeatures of (N, K) arrays, the base station's
    paths to each position. provenance : the caller's facts (scene digest, base station...),
    merged with the settings'. The file appears only once complete (written beside, then renamed).
    sector : (N,) int, the sector serving each sample, required when ``settings.sectors`` > 1:
        each sample's paths are turned into its sector's array frame (:func:`in_sector_frame`).
    copied : (an earlier dataset of the same N samples and settings, (N,) bool): the rows marked
        are copied from it, the others synthesised. Every chunk is still synthesised in order, so
        the noise and timing offsets each new row gets are those of a write without ``copied``.
    """
    cancel = cancel or CancelToken()
    progress = progress or report_nothing
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    samples, strongest = paths.delay_s.shape
    check_dataset_size(samples, strongest, settings, out_path)
    if settings.sectors > 1:
        if sector is None or np.shape(sector) != (samples,):
            raise ValueError(f"a base station of {settings.sectors} sectors needs the sector of each of the {samples} samples")
        sector = np.asarray(sector, dtype=np.int8)
        paths = in_sector_frame(paths, sector, settings.sectors)
    rng = np.random.default_rng(settings.seed)
    offsets = rng.uniform(0.0, settings.timing_offset_s, samples)
    shapes = member_shapes(samples, strongest, settings)
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(dir=out_path.resolve().parent, prefix=".csi-") as folder:
        streams = {name: _npy_stream(Path(folder) / f"{name}.npy", shape, dtype) for name, (shape, dtype) in shapes.items()}
        try:
            for start in range(0, samples, CHUNK_SAMPLES):
                cancel.raise_if_cancelled()
                progress(start / samples, f"Channel of samples {start + 1:,} to {min(start + CHUNK_SAMPLES, samples):,}")
                rows = slice(start, min(start + CHUNK_SAMPLES, samples))
                chunk = MultipathFeatures(**{name: getattr(paths, name)[rows] for name in MULTIPATH_COLUMNS})
                response = frequency_response(chunk, settings.array, settings.band, timing_offset_s=offsets[rows],
                                              snr_db=settings.snr_db, rng=rng)
                values = {
                    "positions": positions[rows],
                    "angle_delay": angle_delay(response, settings.array, settings.delay_bins),
                    "multipath": np.stack([getattr(chunk, name) for name in MULTIPATH_COLUMNS], axis=-1),
                    "csi": response,
                    "sector": None if sector is None else sector[rows],
                }
                if copied is not None:
                    _copy_rows(values, copied, rows)
                for name, stream in streams.items():
                    stream.write(np.ascontiguousarray(values[name], dtype=shapes[name][1]).tobytes())
        finally:
            for stream in streams.values():
                stream.close()
        cancel.raise_if_cancelled()
        progress(1.0, "Writing the dataset")
        partial = Path(folder) / "dataset.npz"
        record = json.dumps({**provenance, **settings.provenance()}, sort_keys=True)
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name in shapes:
                # force_zip64: the member's size is unknown to zipfile while streaming and may pass 4 GiB.
                with open(Path(folder) / f"{name}.npy", "rb") as source, \
                        archive.open(f"{name}.npy", "w", force_zip64=True) as target:
                    shutil.copyfileobj(source, target, 16 * MIB)
            with archive.open("provenance.npy", "w") as target:
                np.lib.format.write_array(target, np.array(record), allow_pickle=False)
        os.replace(partial, out_path)
    return out_path.stat().st_size


def in_sector_frame(paths: MultipathFeatures, sector, sectors: int) -> MultipathFeatures:
    """``paths`` (N, K) as seen by each sample's sector (N,): every azimuth (of arrival and of
    departure) turned back by the sector's angle, so that the sector's array steers by it."""
    return dataclasses.replace(
        paths,
        aoa_azimuth_rad=local_azimuth(paths.aoa_azimuth_rad, sector, sectors),
        aod_azimuth_rad=local_azimuth(paths.aod_azimuth_rad, sector, sectors),
    )


def _copy_rows(values: dict[str, np.ndarray], copied: tuple[CsiDataset, np.ndarray], rows: slice) -> None:
    """Put the rows ``copied[1]`` marks within ``rows`` of dataset ``copied[0]`` into ``values``."""
    dataset, marked = copied
    local = np.flatnonzero(marked[rows])
    if local.size:
        taken = dataset.take(local + rows.start)
        for name in values:
            if name in taken:
                values[name] = np.array(values[name], copy=True)
                values[name][local] = taken[name]


def _npy_stream(path: Path, shape: tuple[int, ...], dtype: np.dtype):
    """An open file holding a ``.npy`` header for ``shape``/``dtype``, ready for the data in C order."""
    stream = open(path, "wb")
    np.lib.format.write_array_header_2_0(stream, {"descr": np.lib.format.dtype_to_descr(dtype),
                                                   "fortran_order": False, "shape": shape})
    return stream


class CsiDataset:
    """A CSI dataset read lazily: its arrays are memory maps of the file's stored members.

    ``len(dataset)`` samples; ``names`` the array members; ``provenance`` a dict.
    """

    def __init__(self, path) -> None:
        self.path = checked_input_file(path, MAX_DATASET_BYTES)
        self._arrays: dict[str, np.memmap] = {}
        try:
            with zipfile.ZipFile(self.path) as archive, open(self.path, "rb") as raw:
                for info in archive.infolist():
                    name = info.filename.removesuffix(".npy")
                    if info.compress_type != zipfile.ZIP_STORED:
                        raise ValueError(f"member {name!r} is compressed; CSI datasets are stored uncompressed")
                    if name == "provenance":
                        if info.file_size > _MAX_PROVENANCE_BYTES:
                            raise ValueError("its provenance is larger than 1 MiB")
                        self.provenance = json.loads(str(np.load(archive.open(info), allow_pickle=False)))
                    else:
                        self._arrays[name] = _mapped_member(self.path, raw, info)
        except (zipfile.BadZipFile, json.JSONDecodeError, struct.error, EOFError) as error:
            raise ValueError(f"{path}: not a CSI dataset ({error})") from None
        except ValueError as error:
            raise ValueError(f"{path}: not a CSI dataset: {error}") from None
        self._check(path)

    def _check(self, path) -> None:
        missing = {"positions", "angle_delay", "multipath"} - set(self._arrays)
        if missing or not hasattr(self, "provenance"):
            raise ValueError(f"{path}: not a CSI dataset: it lacks {', '.join(sorted(missing)) or 'provenance'}")
        samples = {array.shape[0] for array in self._arrays.values()}
        if len(samples) != 1:
            raise ValueError(f"{path}: not a CSI dataset: its arrays hold different numbers of samples")

    def __len__(self) -> int:
        return int(self._arrays["positions"].shape[0])

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._arrays)

    @property
    def positions(self) -> np.ndarray:
        """(N, 3) float64 metres, read into memory."""
        return np.array(self._arrays["positions"])

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._arrays[name].shape)

    def batches(self, name: str, rows: int) -> Iterator[np.ndarray]:
        """Member ``name`` read ``rows`` samples at a time, in order (each batch a copy in memory)."""
        array = self._arrays[name]
        for start in range(0, len(self), rows):
            yield np.array(array[start:start + rows])

    def take(self, indices) -> dict[str, np.ndarray]:
        """The samples at ``indices`` of every array member, read into memory."""
        indices = np.asarray(indices, dtype=np.int64)
        return {name: np.asarray(array[indices]) for name, array in self._arrays.items()}


def open_csi_dataset(path) -> CsiDataset:
    """The dataset at ``path``, mapped lazily.

    Raises FileNotFoundError; ``model.input_files.InputFileError`` (an OSError) for a folder, a
    pipe or a file above MAX_DATASET_BYTES; ValueError (naming the file) for anything else.
    """
    return CsiDataset(path)


def _mapped_member(path: Path, raw, info: zipfile.ZipInfo) -> np.memmap:
    """Memory map of the stored ``.npy`` member ``info`` of the zip at ``path``."""
    raw.seek(info.header_offset)
    local = raw.read(30)
    if local[:4] != b"PK\x03\x04":
        raise ValueError(f"member {info.filename!r} has no local header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    raw.seek(info.header_offset + 30 + name_length + extra_length)
    version = np.lib.format.read_magic(raw)
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = reader(raw)
    if fortran_order or dtype.hasobject or not shape:
        raise ValueError(f"member {info.filename!r} is not a C-ordered numeric array")
    if int(np.prod(shape)) * dtype.itemsize > info.file_size:
        raise ValueError(f"member {info.filename!r} is shorter than its header says")
    return np.memmap(path, dtype=dtype, mode="r", offset=raw.tell(), shape=shape)
