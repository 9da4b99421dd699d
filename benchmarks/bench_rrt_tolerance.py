"""The EM stopping rule of the mixture fits against accuracy: 500 drops, two tolerances.

The ``rrt`` benchmark's industrial hall, drops and seeds; AoA 1 deg + PT 50 cm and AoA 1 deg
alone (each evaluated on its own, so both are seeded as setting 0), with ``fit_mixture``'s
tolerance at 1e-2 (what estimates use) and at 5e-2 (1.38x faster fits). Takes some ten
minutes on an idle machine.

Run: ``python benchmarks/run.py rrt_tolerance`` (writes benchmarks/results/rrt_tolerance.json).
"""

from __future__ import annotations

import functools
import time
from unittest import mock

from bench_rrt import SEED, _hall

from twinloc.rrt import locate as locate_module
from twinloc.rrt.evaluation import EvaluationSetting, evaluate
from twinloc.rrt.measurement import NoiseModel
from twinloc.rrt.mixture import fit_mixture

TOLERANCES = (1e-2, 5e-2)
SETTINGS = {"aoa_1deg_pt_50cm": NoiseModel(1.0, pt_sigma_m=0.5), "aoa_1deg_only": NoiseModel(1.0)}


def run() -> dict:
    _, finder, stations, ues = _hall()
    result = {}
    for tolerance in TOLERANCES:
        rows = {}
        with mock.patch.object(locate_module, "fit_mixture", functools.partial(fit_mixture, tol=tolerance)):
            for label, noise in SETTINGS.items():
                started = time.perf_counter()
                evaluation = evaluate(finder, stations, ues, [EvaluationSetting(noise)], seed=SEED)
                rows[label] = {**evaluation.summaries()[0], "seconds": round(time.perf_counter() - started, 1)}
        result[f"tol_{tolerance:g}"] = rows
    return result
