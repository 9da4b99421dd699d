"""Model update after a site change (seed 000; issue 13's target).

On the shipped Wi-Fi hall (18 access points, reflections to depth 2, the twin's 0.9 m floor grid
at tag height, 10 samples per cell), a fingerprint model is trained on the twin's floor survey
(``model_update.floor_data``). Then Area 1's tank (metal, 1.2 x 1.2 x 2.5 m, inside the
evaluated Area 1) moves 3 m east, and
``model_update.update_model`` traces the change map, regenerates the changed cells, updates the
model (kNN: new reference fingerprints; MLP: fine-tuned for a sixth of its 30 epochs), and
trains one from scratch on the changed twin. Accuracy is measured on the twin's test samples
(another seed, 2 per cell): before the change, stale after it, updated, from scratch; over
the whole floor and over the changed cells' samples alone (``*_changed``).

The floor's trace is kept with its radio map, so the update traces again only the paths the
move can reach. Each model is updated twice and the shorter update and retraining times are
reported (the machine is shared: the minimum is the least disturbed run); the change map and a
whole radio map of the changed twin are also timed in CPU seconds of this process, which other
programs on the machine do not inflate.

Target: updated mean <= 1.1 x before, stale measurably worse, update < 1/3 of from scratch.
"""

from __future__ import annotations

import time
from pathlib import Path

from twinloc.fingerprint.model_update import floor_data, update_model
from twinloc.fingerprint.models import default_settings, fit_fingerprint_model
from twinloc.fingerprint.site_change import SceneEdit, apply_edits, change_map
from twinloc.geometry.loaders import load_scene
from twinloc.radio.radiomap import compute_radio_map

SCENE = Path(__file__).resolve().parents[1] / "scenes" / "wifi_hall.json"
MOVE = SceneEdit("move", "area 1 tank", vector_m=(3.0, 0.0, 0.0))
MODELS = ("knn", "mlp")
REPEATS = 2


def run() -> dict:
    scene = load_scene(SCENE)
    names = [ap.name for ap in scene.access_points]
    started = time.perf_counter()
    floor = floor_data(scene, names)
    floor_seconds = time.perf_counter() - started
    results = {"scene": scene.name, "edit": "move 'area 1 tank' by (3, 0, 0) m", "cells": len(floor.points),
               "transmitters": len(names), "floor_radio_map_seconds": round(floor_seconds, 2), "models": {}}
    for kind in MODELS:
        fitted = fit_fingerprint_model(kind, floor.survey(0), default_settings(kind))
        runs = [update_model(fitted, scene, (MOVE,), floor=floor) for _ in range(REPEATS)]
        update = runs[0]
        update_seconds = min(run.update_seconds for run in runs)
        retrain_seconds = min(run.retrain_seconds for run in runs)
        results["changed_cells"] = int(update.changes.changed_cells.sum())
        results["changed_links"] = int(update.changes.changed.sum())
        results["models"][kind] = {
            **{f"{stage}_{key}": round(getattr(getattr(update, stage), key), 3)
               for stage in ("before", "stale", "updated", "retrained") for key in ("mean_m", "p90_m")},
            **{f"{stage}_changed_{key}": round(getattr(getattr(update, f"{stage}_changed"), key), 3)
               for stage in ("before", "stale", "updated") for key in ("mean_m", "p90_m")},
            "update_seconds": round(update_seconds, 2),
            "retrain_seconds": round(retrain_seconds, 2),
            "update_over_retrain": round(update_seconds / retrain_seconds, 3),
            "updated_over_before": round(update.updated.mean_m / update.before.mean_m, 3),
            "stale_over_before": round(update.stale.mean_m / update.before.mean_m, 3),
        }
    moved = apply_edits(scene, (MOVE,))
    started = time.process_time()
    change_map(scene, moved, floor.transmitters, floor.points, floor.settings, traced=floor.traced)
    results["change_map_cpu_seconds"] = round(time.process_time() - started, 3)
    started = time.process_time()
    compute_radio_map(moved, floor.transmitters, floor.points, floor.settings)
    results["whole_radio_map_cpu_seconds"] = round(time.process_time() - started, 3)
    results["change_map_over_whole"] = round(results["change_map_cpu_seconds"] / results["whole_radio_map_cpu_seconds"], 3)
    return results
