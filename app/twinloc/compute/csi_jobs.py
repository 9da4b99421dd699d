"""The CSI dataset job: trace a base station's paths over the floor, synthesise and write the channel."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from twinloc import __version__
from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job
from twinloc.fingerprint.csi_dataset import MULTIPATH_COLUMNS, CsiSettings, check_dataset_size, write_csi_dataset
from twinloc.fingerprint.sectors import serving_sectors
from twinloc.geometry.cache import GeometryCache, cache_or_new, process_cache
from twinloc.geometry.scene import Scene
from twinloc.radio.radiomap import MultipathFeatures, RadioMap, RadioSettings, compute_radio_map
from twinloc.radio.transmitters import Transmitter
from twinloc.studies import Runner

#: Points traced at once (bounds the memory of the candidate paths).
TRACE_POINTS = 2048


@dataclass(frozen=True)
class CsiDatasetResult:
    """What a CSI dataset job wrote: ``samples`` samples, ``bytes`` in ``path``; the seconds of
    path tracing and of channel synthesis plus writing; ``reached`` samples some path arrives at;
    ``sector_rotation`` what the provenance records of it (None for one sector)."""

    path: str
    samples: int
    reached: int
    bytes: int
    trace_seconds: float
    channel_seconds: float
    sector_rotation: dict | None = None


def csi_dataset_job(
    scene: Scene,
    station: Transmitter,
    out_path: str,
    settings: CsiSettings,
    radio: RadioSettings = RadioSettings(),
    resolution_m: float | None = 0.25,
    points=None,
    geometry: GeometryCache | None = None,
    runner: Runner | None = None,
) -> Job:
    """A job writing the CSI dataset of ``station`` (its frequency: the band's centre) to ``out_path``.

    The samples are ``points`` ((N, 3) metres) when given, else the floor grid of the scene's
    evaluation regions at ``resolution_m``, ``radio.receiver_height_m`` above the floor. The
    size is checked before anything is traced. The job writes a file, so it is never cached.
    With ``settings.sectors`` > 1 each sample is served by the sector around ``station`` it lies
    in, and the provenance records whether the twin allows sector rotation (``sector_rotation``:
    ``applies`` and ``reason``, :func:`~twinloc.fingerprint.sectors.sector_rotation_applicability`).
    With a ``runner`` the paths are traced as a study (blocks of TRACE_POINTS samples); the
    channel synthesis and the writing stay in this process.
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> CsiDatasetResult:
        progress(0.0, "Preparing ray engine")
        cache = cache_or_new(geometry)
        engine = cache.ray_engine(scene)
        samples = points if points is not None else cache.floor_grid(scene, resolution_m, radio.receiver_height_m).points
        samples = np.asarray(samples, dtype=np.float64).reshape(-1, 3)
        check_dataset_size(len(samples), radio.strongest_paths, settings, out_path)
        cancel.raise_if_cancelled()
        started = time.perf_counter()
        paths, reached = _traced_paths(scene, station, samples, radio, engine, runner, cancel,
                                       scaled_progress(progress, 0.05, 0.5))
        traced = time.perf_counter()
        provenance = {
            "scene": scene.name, "scene_digest": scene.content_hash(), "base_station": station.name,
            "base_station_position_m": list(station.position), "max_depth": radio.max_depth,
            "strongest_paths": radio.strongest_paths, "twinloc_version": __version__,
        }
        sector = None
        if settings.sectors > 1:
            sector, provenance["sector_rotation"] = serving_sectors(scene, station.name, station.position, samples,
                                                                    settings.sectors, engine=engine)
        size = write_csi_dataset(out_path, samples, paths, settings, provenance, cancel,
                                 scaled_progress(progress, 0.5, 1.0), sector=sector)
        return CsiDatasetResult(path=str(out_path), samples=len(samples), reached=reached,
                                bytes=size, trace_seconds=traced - started, channel_seconds=time.perf_counter() - traced,
                                sector_rotation=provenance.get("sector_rotation"))

    return Job(name="CSI dataset", function=run, key=None)


def _traced_paths(scene, station, samples, radio, engine, runner, cancel, progress) -> tuple[MultipathFeatures, int]:
    """The (N, K) strongest paths of ``station`` to ``samples`` and how many samples a path reaches.

    Traced TRACE_POINTS points at a time: a point's candidate paths outweigh its K features
    many times, so tracing everything at once would hold more than the dataset. With a runner
    each block is a task of a study (the tracing is deterministic, so the paths are the same);
    without one, the blocks are traced here on ``engine``.
    """
    blocks = [samples[start:start + TRACE_POINTS] for start in range(0, len(samples), TRACE_POINTS)]
    if runner is None:
        parts = []
        for index, block in enumerate(blocks):
            step = scaled_progress(progress, index / len(blocks), (index + 1) / len(blocks))
            parts.append(_strongest_paths(compute_radio_map(scene, (station,), block, radio, engine=engine, cancel=cancel,
                                                            progress=step)))
    else:
        shared = {"scene": scene, "station": station, "radio": radio}
        parts = runner.map(_trace_block, blocks, shared=shared, progress=progress, cancel=cancel)
    paths = MultipathFeatures(**{name: np.concatenate([features[name] for features, _ in parts]) for name in MULTIPATH_COLUMNS})
    return paths, sum(reached for _, reached in parts)


def _trace_block(block: np.ndarray, shared: dict, rng_seed) -> tuple[dict[str, np.ndarray], int]:
    """A study task: the strongest paths of one block of samples (deterministic; no seed needed)."""
    scene = shared["scene"]
    return _strongest_paths(compute_radio_map(scene, (shared["station"],), block, shared["radio"],
                                              engine=process_cache().ray_engine(scene)))


def _strongest_paths(radio_map: RadioMap) -> tuple[dict[str, np.ndarray], int]:
    """The (n, K) features of a one-transmitter map's points and how many of them a path reaches."""
    return ({name: getattr(radio_map.paths, name)[:, 0] for name in MULTIPATH_COLUMNS},
            int(radio_map.reached[:, 0].sum()))
