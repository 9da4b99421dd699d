"""CSI datasets: 20,000 samples of a 32-antenna, 408-subcarrier channel, time and memory.

The industrial hall's base station BS1 (3.5 GHz, 100 MHz), 20,000 floor points 1 m above
the floor (evenly picked from its 0.08 m grid), reflections to depth 2, the 4 strongest paths,
20 dB SNR and up to 10 ns timing-advance error, written as one ``.npz`` (angle-delay images
with 64 delay bins, multipath features, positions):

(a) seconds to trace the paths, to synthesise and write the channel, and in all (target: all
    <= 60 s), and the speed-up over a per-sample Python loop (one sample, path and antenna at a
    time, numpy over the subcarriers) timed on 200 samples in the same run and extrapolated:
    against the vectorised CSI and angle-delay transform on the same samples, and against the
    whole channel step (noise and writing included); the loop's CSI equals the vectorised one
    (largest relative difference).
(b) peak memory: the growth of the generating process's peak resident size, measured in a
    child process, against one copy of the 20,000 samples' CSI (2.09 GB; target: below one
    copy) and against the stored dataset (angle-delay images, features, positions).

Run: ``python benchmarks/run.py csi`` (writes benchmarks/results/csi.json).
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SAMPLES = 20_000
LOOP_SAMPLES = 200
TARGET_SECONDS = 60.0


def _settings():
    from twinloc.fingerprint.csi_dataset import CsiSettings
    from twinloc.radio.channel import AntennaArray, OfdmBand

    return CsiSettings(AntennaArray(1, 32), OfdmBand(3.5e9, 100e6, 408), delay_bins=64, snr_db=20.0,
                       timing_offset_s=10e-9, seed=0)


def _scene_and_points():
    from twinloc.geometry.cache import GeometryCache
    from twinloc.geometry.loaders import load_scene
    from twinloc.radio.transmitters import Transmitter

    scene = load_scene("industrial_hall")
    geometry = GeometryCache()
    grid = geometry.floor_grid(scene, 0.08, 1.0).points
    points = grid[np.linspace(0, len(grid) - 1, SAMPLES).round().astype(int)]
    station = next(s for s in scene.base_stations if s.name == "BS1")
    return scene, geometry, points, Transmitter("BS1", tuple(station.position), 3.5e9, 0.0)


def _generate(out_path: str) -> dict:
    """Generate the dataset here; report the job's seconds and this process's peak-RSS growth, bytes."""
    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.compute.csi_jobs import csi_dataset_job
    from twinloc.radio.radiomap import RadioSettings

    scene, geometry, points, station = _scene_and_points()
    geometry.ray_engine(scene)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    job = csi_dataset_job(scene, station, out_path, _settings(), RadioSettings(max_depth=2, receiver_height_m=1.0),
                          points=points, geometry=geometry)
    result = job.function(report_nothing, CancelToken())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"samples": result.samples, "reached": result.reached, "bytes": result.bytes, "seconds": seconds,
            "trace_seconds": result.trace_seconds, "channel_seconds": result.channel_seconds,
            "peak_growth_bytes": peak - before}


def _loop_response(paths, array, band) -> np.ndarray:
    """The CSI one sample and one path at a time (the baseline), without noise or timing offset."""
    offsets = band.offsets_hz
    out = np.zeros((paths.delay_s.shape[0], array.antennas, band.subcarriers), complex)
    elements = np.arange(array.antennas)
    for p in range(paths.delay_s.shape[0]):
        for k in range(paths.delay_s.shape[1]):
            if math.isnan(paths.delay_s[p, k]):
                continue
            gain = 10 ** (paths.power_db[p, k] / 20) * np.exp(1j * paths.phase_rad[p, k])
            u_x = math.cos(paths.aod_elevation_rad[p, k]) * math.cos(paths.aod_azimuth_rad[p, k])
            for n in elements:
                steer = np.exp(2j * np.pi * array.spacing_wavelengths * n * u_x)
                out[p, n] += gain * steer * np.exp(-2j * np.pi * offsets * paths.delay_s[p, k])
    return out


def _speedup(channel_seconds: float) -> dict:
    """Time the loop and the vectorised channel on the same LOOP_SAMPLES samples' paths."""
    from twinloc.fingerprint.csi_dataset import MULTIPATH_COLUMNS
    from twinloc.radio.channel import angle_delay, frequency_response
    from twinloc.radio.radiomap import MultipathFeatures, RadioSettings, compute_radio_map

    scene, geometry, points, station = _scene_and_points()
    subset = points[:: SAMPLES // LOOP_SAMPLES][:LOOP_SAMPLES]
    radio_map = compute_radio_map(scene, (station,), subset, RadioSettings(max_depth=2, receiver_height_m=1.0),
                                  engine=geometry.ray_engine(scene))
    paths = MultipathFeatures(**{n: getattr(radio_map.paths, n)[:, 0] for n in MULTIPATH_COLUMNS})
    settings = _settings()
    started = time.perf_counter()
    looped = _loop_response(paths, settings.array, settings.band)
    for sample in looped:
        np.abs(np.fft.ifft(np.fft.fft(sample, axis=0), axis=1)[:, : settings.delay_bins])
    loop_seconds = (time.perf_counter() - started) * SAMPLES / LOOP_SAMPLES
    timings = []
    for _ in range(4):  # the first call warms numpy's FFT plans; the best of the other three counts
        started = time.perf_counter()
        vectorised = frequency_response(paths, settings.array, settings.band)
        angle_delay(vectorised, settings.array, settings.delay_bins)
        timings.append(time.perf_counter() - started)
    vector_seconds = min(timings[1:]) * SAMPLES / LOOP_SAMPLES
    scale = np.abs(looped).max()
    return {
        "loop_seconds_extrapolated": round(loop_seconds, 2),
        "vectorised_seconds_extrapolated": round(vector_seconds, 2),
        "speedup_vs_loop_same_subset": round(loop_seconds / vector_seconds, 1),
        "speedup_vs_loop_whole_channel_step": round(loop_seconds / channel_seconds, 1),
        "loop_equals_vectorised_max_relative_difference": float(np.abs(looped - vectorised).max() / scale),
    }


def run() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "csi.npz")
        child = subprocess.run([sys.executable, __file__, "--child", out], capture_output=True, text=True, check=True)
        generated = json.loads(child.stdout.strip().splitlines()[-1])
    from twinloc.fingerprint.csi_dataset import dataset_bytes

    copy = dataset_bytes(SAMPLES, 4, _settings())
    return {
        "scene": "industrial_hall", "base_station": "BS1", "samples": generated["samples"],
        "reached": generated["reached"], "antennas": 32, "subcarriers": 408, "delay_bins": 64,
        "trace_seconds": round(generated["trace_seconds"], 2),
        "channel_and_write_seconds": round(generated["channel_seconds"], 2),
        "total_seconds": round(generated["seconds"], 2), "target_seconds": TARGET_SECONDS,
        **_speedup(generated["channel_seconds"]),
        "file_bytes": generated["bytes"], "dataset_copy_bytes": copy,
        "peak_memory_growth_bytes": generated["peak_growth_bytes"],
        "peak_memory_over_stored_dataset": round(generated["peak_growth_bytes"] / copy, 3),
        "csi_bytes": SAMPLES * 32 * 408 * 8,
        "peak_memory_over_csi": round(generated["peak_growth_bytes"] / (SAMPLES * 32 * 408 * 8), 3),
    }


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    print(json.dumps(_generate(sys.argv[2])))
