"""Radio maps: TwinLoc against Sionna RT's RadioMapSolver, and the hall's interactive map.

(a) On Sionna RT's own example scenes (copies in tests/data/sionna/), the same transmitter,
    isotropic antennas with vertical polarisation, specular reflection to depth 2 (and
    refraction, which TwinLoc models as transmission), no diffraction and no diffuse
    scattering: the median |delta path gain| over the cells both reach, outside solids
    (target <= 2 dB), and TwinLoc's time over Sionna's for the same map in the same run.
    Sionna runs on the CPU (LLVM) in its own venv as a subprocess; without it the benchmark
    says so and reports TwinLoc alone. Sionna's map is a Monte Carlo average over each cell,
    TwinLoc's the value at the cell's centre. Each scene also gets the median |delta| of
    TwinLoc's map with reflections to depth 0 and 1 against Sionna's depth-2 map, showing how
    much the reflections matter there, the cells only one of them reaches, and the median
    |delta| over the cells TwinLoc finds in and out of line of sight.
    TwinLoc reads these files as Sionna does (every shape but the room's envelope a hollow
    shell of slabs; ``geometry.mitsuba.as_hollow_shells``). Where a scene still has solids,
    the comparison is repeated with them read as shells (``as_shells``).
(b) The uwb_hall at 0.25 m for 5 transmitters, depth 2: seconds (target: interactive).

Run: ``python benchmarks/run.py radiomap`` (writes benchmarks/results/radiomap.json).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import ObjectKind
from twinloc.radio.radiomap import NO_SIGNAL_DB, RadioSettings, compute_radio_map
from twinloc.radio.transmitters import Transmitter

HERE = Path(__file__).resolve().parent
SIONNA_SCENES = HERE.parent / "tests" / "data" / "sionna"
SIONNA_PYTHON = Path(os.environ.get("SIONNA_PYTHON", "/opt/sionna-venv/bin/python"))
SIONNA_LLVM = os.environ.get("DRJIT_LIBLLVM_PATH", "/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1")
FREQUENCY_HZ = 3.5e9  # Sionna RT's default frequency
SAMPLES_PER_TX = 10_000_000
DEPTH = 2
TARGET_DB = 2.0

#: name: (transmitter (x, y, z) m, map centre (x, y, z) m, map size (x, y) m, cell size m)
CASES = {
    "box": ((1.0, 2.0, 3.0), (0.0, 0.0, 1.5), (9.5, 9.5), 0.5),
    "box_one_screen": ((-2.5, 1.0, 3.0), (0.0, 0.0, 1.5), (9.5, 9.5), 0.5),
    "floor_wall": ((-1.5, 0.5, 2.0), (0.0, 0.0, 1.5), (4.0, 4.0), 0.25),
    "simple_reflector": ((-1.0, 0.2, 1.0), (0.0, 0.0, 0.5), (4.0, 4.0), 0.2),
    "simple_street_canyon": ((0.0, 0.0, 10.0), (0.0, 0.0, 1.5), (180.0, 120.0), 2.0),
}

HALL_TRANSMITTERS = ((2.0, 2.0, 2.5), (16.0, 2.0, 2.5), (9.0, 4.2, 3.0), (2.0, 7.0, 2.0), (16.0, 7.0, 2.0))


def run() -> dict:
    return {"sionna_comparison": _sionna_comparison(), "hall": _hall()}


def _sionna_comparison() -> dict:
    maps, note = _sionna_maps()
    results = {}
    for name, (tx, center, size, cell) in CASES.items():
        xml = SIONNA_SCENES / name / f"{name}.xml"
        scene = load_scene(xml)
        engine = RayEngine(scene)
        if maps is not None:
            path_gain, centers, sionna_seconds = maps[name]
        else:
            centers, path_gain, sionna_seconds = _grid(center, size, cell), None, None
        points = centers.reshape(-1, 3)
        transmitter = (Transmitter("tx", tx, FREQUENCY_HZ, 0.0),)
        started = time.perf_counter()
        twin = compute_radio_map(scene, transmitter, points, RadioSettings(max_depth=DEPTH), engine=engine)
        seconds = time.perf_counter() - started
        entry = {"cells": int(len(points)), "twinloc_seconds": round(seconds, 3)}
        if path_gain is not None:
            outside = ~engine.points_inside_solids(points)
            sionna_db = 10.0 * np.log10(np.maximum(path_gain.reshape(-1), 1e-30))
            sionna_reached = path_gain.reshape(-1) > 0.0
            entry.update(_agreement(twin, sionna_db, sionna_reached, outside))
            entry["sionna_seconds"] = round(float(sionna_seconds), 3)
            entry["time_ratio_twinloc_over_sionna"] = round(seconds / float(sionna_seconds), 3)
            for depth in range(DEPTH):
                shallow = compute_radio_map(scene, transmitter, points, RadioSettings(max_depth=depth), engine=engine)
                entry[f"median_abs_delta_db_twinloc_depth_{depth}"] = _agreement(
                    shallow, sionna_db, sionna_reached, outside)["median_abs_delta_db"]
            if any(obj.kind is ObjectKind.SOLID for obj in scene.objects):
                shells = dataclasses.replace(scene, objects=tuple(
                    dataclasses.replace(obj, kind=ObjectKind.SURFACE) for obj in scene.objects))
                as_shells = compute_radio_map(shells, transmitter, points, RadioSettings(max_depth=DEPTH))
                entry["as_shells"] = _agreement(as_shells, sionna_db, sionna_reached, outside)
        results[name] = entry
    return {"frequency_hz": FREQUENCY_HZ, "max_depth": DEPTH, "sionna_samples_per_tx": SAMPLES_PER_TX,
            "target_median_abs_delta_db": TARGET_DB, "sionna": note, "scenes": results}


def _agreement(twin, sionna_db, sionna_reached, outside) -> dict:
    twin_db = twin.path_gain_db[:, 0]
    twin_reached = twin_db > NO_SIGNAL_DB
    both = twin_reached & sionna_reached & outside
    delta = twin_db[both] - sionna_db[both]
    los = twin.los[both, 0]
    return {
        "cells_compared": int(both.sum()),
        "cells_only_sionna_reaches": int((sionna_reached & ~twin_reached & outside).sum()),
        "cells_only_twinloc_reaches": int((twin_reached & ~sionna_reached & outside).sum()),
        "median_abs_delta_db": round(float(np.median(np.abs(delta))), 3) if delta.size else None,
        "median_delta_db": round(float(np.median(delta)), 3) if delta.size else None,
        "p90_abs_delta_db": round(float(np.percentile(np.abs(delta), 90)), 3) if delta.size else None,
        "meets_target": bool(delta.size and np.median(np.abs(delta)) <= TARGET_DB),
        "cells_los": int(los.sum()),
        "median_abs_delta_db_los": round(float(np.median(np.abs(delta[los]))), 3) if los.any() else None,
        "median_abs_delta_db_nlos": round(float(np.median(np.abs(delta[~los]))), 3) if (~los).any() else None,
    }


def _sionna_maps():
    """{name: (path gain (ny, nx) linear, cell centres (ny, nx, 3), seconds)} and a note, or (None, why)."""
    if not SIONNA_PYTHON.exists():
        return None, f"Sionna RT not installed ({SIONNA_PYTHON} missing): TwinLoc alone"
    with tempfile.TemporaryDirectory() as folder:
        cases = [{"name": name, "xml": str(SIONNA_SCENES / name / f"{name}.xml"), "frequency_hz": FREQUENCY_HZ,
                  "tx": list(tx), "center": list(center), "size": list(size), "cell_size": [cell, cell],
                  "samples_per_tx": SAMPLES_PER_TX, "max_depth": DEPTH}
                 for name, (tx, center, size, cell) in CASES.items()]
        spec = Path(folder) / "cases.json"
        spec.write_text(json.dumps({"cases": cases}))
        done = subprocess.run([str(SIONNA_PYTHON), str(HERE / "sionna_radiomap_peer.py"), str(spec), folder],
                              env={**os.environ, "DRJIT_LIBLLVM_PATH": SIONNA_LLVM}, capture_output=True, text=True)
        if done.returncode != 0:
            return None, f"Sionna RT failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
        maps = {}
        for name in CASES:
            data = np.load(Path(folder) / f"{name}.npz")
            maps[name] = (data["path_gain"], data["cell_centers"], float(data["seconds"]))
    version = subprocess.run([str(SIONNA_PYTHON), "-c", "import sionna.rt; print(sionna.rt.__version__)"],
                             env={**os.environ, "DRJIT_LIBLLVM_PATH": SIONNA_LLVM}, capture_output=True, text=True)
    return maps, f"Sionna RT {version.stdout.strip() or '?'} on the CPU (LLVM)"


def _grid(center, size, cell) -> np.ndarray:
    """Cell centres (ny, nx, 3) of a map like Sionna's planar one."""
    nx, ny = int(np.ceil(size[0] / cell)), int(np.ceil(size[1] / cell))
    x = center[0] - nx * cell / 2 + cell * (np.arange(nx) + 0.5)
    y = center[1] - ny * cell / 2 + cell * (np.arange(ny) + 0.5)
    xx, yy = np.meshgrid(x, y)
    return np.stack([xx, yy, np.full_like(xx, center[2])], axis=-1)


def _hall() -> dict:
    scene = load_scene("uwb_hall")
    geometry = GeometryCache()
    engine = geometry.ray_engine(scene)
    grid = geometry.floor_grid(scene, 0.25, 1.0)
    transmitters = tuple(Transmitter(f"T{i + 1}", p, 2.4e9, 20.0) for i, p in enumerate(HALL_TRANSMITTERS))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        compute_radio_map(scene, transmitters, grid.points, RadioSettings(max_depth=2), engine=engine)
        timings.append(time.perf_counter() - started)
    return {"cells": int(grid.cell_count), "transmitters": len(transmitters), "max_depth": 2,
            "frequency_hz": 2.4e9, "seconds_median_of_3": round(float(np.median(timings)), 3)}
