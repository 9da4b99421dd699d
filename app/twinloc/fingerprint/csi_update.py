"""Regenerating a CSI dataset after a site change: only its changed samples.

A dataset written by the CSI dataset job names its scene (digest), base station and settings in
its provenance. After scene edits, :func:`regenerate_csi_dataset` traces the base station's
paths to the dataset's positions in the old and the changed scene, marks the samples whose
paths changed (the change map of :mod:`twinloc.fingerprint.site_change` at the dataset's
positions for that base station, or any of its K strongest paths' values differing), and writes
a new dataset: the other rows copied bit for bit from the old file, the changed ones
synthesised as a fresh generation on the changed scene would (same noise and timing offsets).
The new provenance holds the changed scene's digest and the edit that led to it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.fingerprint.csi_dataset import MULTIPATH_COLUMNS, CsiSettings, open_csi_dataset, write_csi_dataset
from twinloc.fingerprint.sectors import serving_sectors
from twinloc.fingerprint.site_change import apply_edits, change_map
from twinloc.geometry.scene import Scene
from twinloc.radio.channel import AntennaArray, OfdmBand
from twinloc.radio.radiomap import MultipathFeatures, RadioSettings, compute_radio_map
from twinloc.radio.transmitters import Transmitter

__all__ = ["CsiRegeneration", "regenerate_csi_dataset"]

#: Largest difference of a path value, in its own unit, that is rounding (delays in seconds;
#: dB and radians otherwise), on top of a relative 1e-12.
_ROUNDING = {"delay_s": 1e-21}
#: Provenance keys the dataset's settings fill in (the rest are the caller's facts).
_SETTINGS_KEYS = ("array", "band", "delay_bins", "snr_db", "timing_offset_s", "seed", "keep_csi", "sectors")


@dataclass(frozen=True)
class CsiRegeneration:
    """What :func:`regenerate_csi_dataset` wrote: ``changed`` (N,) bool, the samples synthesised
    again (the rest copied); ``path`` and ``bytes`` of the new file; ``seconds`` in all."""

    path: str
    changed: np.ndarray
    bytes: int
    seconds: float


def regenerate_csi_dataset(dataset_path, scene: Scene, edits, out_path, *, cancel: CancelToken | None = None,
                           progress: ProgressFn = report_nothing) -> CsiRegeneration:
    """Write to ``out_path`` the dataset at ``dataset_path`` (made on ``scene``) as it is on
    ``scene`` changed by ``edits``, synthesising only the samples whose paths changed.

    Raises ValueError when the dataset was not made on ``scene`` (its digest differs) or its
    provenance lacks what regeneration needs; SceneEditError for an edit the scene cannot take;
    what :func:`open_csi_dataset` raises for an unreadable file.
    """
    started = time.perf_counter()
    cancel = cancel or CancelToken()
    dataset = open_csi_dataset(dataset_path)
    provenance = dataset.provenance
    if provenance.get("scene_digest") != scene.content_hash():
        raise ValueError(f"{dataset_path}: made on another scene than {scene.name!r} as it is now "
                         f"(digest {str(provenance.get('scene_digest'))[:12]}); regenerate it from that scene")
    try:
        settings = _settings(provenance)
        station = Transmitter(provenance["base_station"], tuple(float(c) for c in provenance["base_station_position_m"]),
                              settings.band.centre_hz, 0.0)
        radio = RadioSettings(max_depth=int(provenance["max_depth"]), strongest_paths=int(provenance["strongest_paths"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{dataset_path}: its provenance cannot be regenerated from ({error})") from None
    changed_scene = apply_edits(scene, edits)
    positions = dataset.positions
    progress(0.0, f"Paths of {station.name} before the change")
    old = compute_radio_map(scene, (station,), positions, radio, cancel=cancel,
                            progress=scaled_progress(progress, 0.0, 0.3))
    progress(0.3, "Change map")
    changes = change_map(scene, changed_scene, (station,), positions, radio, old_map=old)
    new_paths = MultipathFeatures(**{name: getattr(changes.new_map.paths, name)[:, 0] for name in MULTIPATH_COLUMNS})
    changed = changes.changed[:, 0] | _paths_differ(old.paths, changes.new_map.paths)
    record = {key: value for key, value in provenance.items() if key not in _SETTINGS_KEYS}
    record.update(scene_digest=changed_scene.content_hash(), regenerated_from={
        "dataset": Path(dataset_path).name, "scene_digest": provenance["scene_digest"],
        "edits": [{key: value for key, value in vars(edit).items() if value is not None} for edit in edits],
        "changed_samples": int(changed.sum()),
    })
    sector = None
    if settings.sectors > 1:
        # The edit may break (or restore) the symmetry that sector rotation needs: ask the changed twin.
        sector, record["sector_rotation"] = serving_sectors(changed_scene, station.name, station.position, positions,
                                                           settings.sectors)
    size = write_csi_dataset(out_path, positions, new_paths, settings, record, cancel,
                             scaled_progress(progress, 0.6, 1.0), sector=sector, copied=(dataset, ~changed))
    return CsiRegeneration(str(out_path), changed, size, time.perf_counter() - started)


def _settings(provenance: dict) -> CsiSettings:
    """The CsiSettings a dataset's provenance records."""
    array, band = provenance["array"], provenance["band"]
    return CsiSettings(AntennaArray(int(array["rows"]), int(array["columns"]), float(array["spacing_wavelengths"])),
                       OfdmBand(float(band["centre_hz"]), float(band["bandwidth_hz"]), int(band["subcarriers"])),
                       delay_bins=int(provenance["delay_bins"]), snr_db=provenance["snr_db"],
                       timing_offset_s=float(provenance["timing_offset_s"]), seed=int(provenance["seed"]),
                       keep_csi=bool(provenance["keep_csi"]), sectors=int(provenance.get("sectors", 1)))


def _paths_differ(before: MultipathFeatures, after: MultipathFeatures) -> np.ndarray:
    """(P,) bool: some value of the first transmitter's K strongest paths differs beyond rounding
    (NaN equals NaN). Tracing a point among other points may round its last bit differently."""
    differ = np.zeros(before.delay_s.shape[0], dtype=bool)
    for name in MULTIPATH_COLUMNS:
        a, b = getattr(before, name)[:, 0], getattr(after, name)[:, 0]
        same = np.isclose(a, b, rtol=1e-12, atol=_ROUNDING.get(name, 1e-12), equal_nan=True)
        differ |= ~same.all(axis=1)
    return differ
