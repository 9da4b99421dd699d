"""Sionna RT's RadioMapSolver on the cases bench_radiomap.py hands it (runs in Sionna's own venv).

    python sionna_radiomap_peer.py CASES.json OUT_FOLDER

CASES.json: {"cases": [{"name", "xml", "frequency_hz", "tx": [x, y, z], "center": [x, y, z],
"size": [sx, sy], "cell_size": [cx, cy], "samples_per_tx", "max_depth"}]}. For each case it
writes OUT_FOLDER/<name>.npz with ``path_gain`` (ny, nx) linear, ``cell_centers`` (ny, nx, 3)
metres and ``seconds``: the second of two identical solver calls (the first compiles Dr.Jit's
kernels), reading the map back included. Transmitter and receiver are isotropic antennas with
vertical polarisation; specular reflection and refraction only (no diffuse reflection, no
diffraction), as TwinLoc models.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from sionna.rt import PlanarArray, RadioMapSolver, Transmitter, load_scene


def main(cases_path: str, out_folder: str) -> int:
    cases = json.loads(Path(cases_path).read_text())["cases"]
    out = Path(out_folder)
    for case in cases:
        scene = load_scene(case["xml"])
        scene.frequency = case["frequency_hz"]
        scene.tx_array = PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
        scene.rx_array = PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
        scene.add(Transmitter(name="tx", position=case["tx"]))
        solver = RadioMapSolver()
        options = dict(
            center=case["center"], orientation=[0.0, 0.0, 0.0], size=case["size"], cell_size=case["cell_size"],
            samples_per_tx=int(case["samples_per_tx"]), max_depth=int(case["max_depth"]), los=True,
            specular_reflection=True, diffuse_reflection=False, refraction=True, diffraction=False, seed=1,
        )
        solver(scene, **options).path_gain.numpy()
        started = time.perf_counter()
        radio_map = solver(scene, **options)
        path_gain = radio_map.path_gain.numpy()[0]
        seconds = time.perf_counter() - started
        np.savez(out / f"{case['name']}.npz", path_gain=path_gain, cell_centers=radio_map.cell_centers.numpy(),
                 seconds=seconds)
        print(f"{case['name']}: {path_gain.shape} cells in {seconds:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
