"""Error mitigation on uwb_hall (seed 004, §3.4 and §4.3): accuracy, training time, inference cost.

The paper's three anchors; virtual data from the twin's error model on the 10 cm grid, 20 groups
of eight fixes per cell; the "measured" data come from the SIMULATED physical site of
:func:`twinloc.mitigation.site.simulate_site` (a deliberately different twin: permittivities
x1.3, an unmodelled concrete column, noise x1.3; 50 points, half NLOS, 496 fixes each), split
80/20 at random per sample as in the paper. Reported: the mean positioning error of the held-out
samples in LOS and NLOS points for the raw fixes (mean of the eight), the network before and
after fine-tuning, and the cubic polynomial surface fit; the pre-training time on the full
virtual set (time-boxed to ``PRETRAIN_BUDGET_S``: the epochs that fit are run, the best
validation weights kept); and the batched inference cost per sample.

Beyond the paper's protocol, two checks of generalisation: the same fine-tuning with 20% of the
measuring points held out whole (``mean_error_cm_held_out_points``: no sample of a test point
was seen in training), and the mean error per floor cell of the mitigated map
(``floor_mean_error_cm``) on the twin's virtual data and on the simulated site's whole floor.

The per-link model (:mod:`twinloc.mitigation.per_link`, the default of ``train-mitigation``)
is measured the same three ways (``per_link``): its model fine-tuned with held-out points,
applied over both floors, and a second fine-tuning on the paper's per-sample split, each from
the same pre-training on the same virtual data; ``per_link.targets`` are the issue's (NLOS cut
by >= 60% and LOS not worse than raw + 2 cm on held-out points and both floors; >= 80% and
LOS not worse on the per-sample split).

The third row (``calibrated_per_link``): the twin calibrated first
(:func:`twinloc.uwb.calibration.calibrate_from_measurements` on the same site's mean ranges,
permittivities and the NLOS bias fitted), then the per-link model trained on the calibrated
twin's virtual data and link table, fine-tuned on the same measured data and applied over the
same simulated site's floor.

The paper's network is ``mitigation_net`` (absolute coordinates out). A residual variant
(predicting true - mean of the fixes, last layer zero-initialised) was tried with 60 s of
pre-training and 20 s of fine-tuning: LOS 9.0 cm / NLOS 14.1 cm against 8.1 / 14.8 cm for the
absolute network, a difference within noise, so it was not adopted. The budgets can be changed
with ``TWINLOC_BENCH_PRETRAIN_S`` and ``TWINLOC_BENCH_FINE_TUNE_S``.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np
import torch

from twinloc.geometry.loaders import load_scene
from twinloc.learn.models import create_model
from twinloc.learn.polynomial import CubicSurfaceFit
from twinloc.learn.trainer import predict, train
from twinloc.mitigation.datasets import measured_dataset, split_measured, virtual_dataset
from twinloc.mitigation.maps import mitigated_map, site_mitigated_map
from twinloc.mitigation.per_link import floor_link_table
from twinloc.mitigation.site import (
    SiteSimulation,
    measure_site,
    simulate_site,
    simulated_site_dataset,
    site_ranging,
    site_scene,
)
from twinloc.mitigation.training import DEFAULT_FINE_TUNE, DEFAULT_PRETRAIN, train_mitigation
from twinloc.model.analysis import RangingModel
from twinloc.uwb.calibration import calibrate_from_measurements

PAPER_ANCHORS = np.array([[3.8, 0.0, 2.0], [9.4, 7.2, 2.0], [14.4, 0.1, 2.0]])
RESOLUTION_M = 0.1
GROUPS = 20
PRETRAIN_BUDGET_S = float(os.environ.get("TWINLOC_BENCH_PRETRAIN_S", 150.0))
FINE_TUNE_BUDGET_S = float(os.environ.get("TWINLOC_BENCH_FINE_TUNE_S", 30.0))
PRETRAIN = replace(DEFAULT_PRETRAIN, epochs=200, time_limit_s=PRETRAIN_BUDGET_S)
FINE_TUNE = replace(DEFAULT_FINE_TUNE, time_limit_s=FINE_TUNE_BUDGET_S)
SEED = 0


def _errors(corrected: dict, true: np.ndarray, nlos: np.ndarray) -> dict:
    distance = {name: np.linalg.norm(xy - true, axis=1) for name, xy in corrected.items()}
    return {area: {name: round(100 * float(d[mask].mean()), 2) for name, d in distance.items()}
            for area, mask in (("los", ~nlos), ("nlos", nlos))}


def run() -> dict:
    scene = load_scene("uwb_hall")
    ranging = RangingModel()
    started = time.perf_counter()
    virtual = virtual_dataset(scene, PAPER_ANCHORS, scene.tag_height_m, RESOLUTION_M, GROUPS, ranging, seed=SEED)
    virtual_s = time.perf_counter() - started
    points, nlos = simulate_site(scene, PAPER_ANCHORS, scene.tag_height_m, RESOLUTION_M, ranging, SiteSimulation())
    measured = measured_dataset(points, nlos, {"kind": "simulated site"})

    model = create_model("mitigation_net", seed=SEED)
    model.normalisation.fit(torch.as_tensor(virtual.inputs, dtype=torch.float32),
                            torch.as_tensor(virtual.true, dtype=torch.float32))
    pretrain = train(model, virtual.inputs, virtual.true, PRETRAIN)

    pretrained_state = {name: value.clone() for name, value in model.state_dict().items()}
    twin_floor_pretrained = mitigated_map(scene, model, virtual).area_means()

    test, training = split_measured(measured, 0.2, "samples", np.random.default_rng(SEED))
    pretrained = predict(model, test.inputs)
    fine = train(model, training.inputs, training.true, FINE_TUNE)
    polynomial = CubicSurfaceFit.fit(training.raw, training.true)
    errors = _errors({"raw": test.raw, "nn_pretrained": pretrained, "nn": predict(model, test.inputs),
                      "poly": polynomial.predict(test.raw)}, test.true, test.nlos)
    floor = {
        "twin_pretrained": twin_floor_pretrained,
        "twin_fine_tuned": mitigated_map(scene, model, virtual).area_means(),
        "simulated_site_fine_tuned": site_mitigated_map(scene, model, virtual, SiteSimulation()).area_means(),
    }

    # The same fine-tuning with whole measuring points held out: the correction where nothing was measured.
    fine_tuned_state = {name: value.clone() for name, value in model.state_dict().items()}
    model.load_state_dict(pretrained_state)
    point_test, point_training = split_measured(measured, 0.2, "points", np.random.default_rng(SEED))
    train(model, point_training.inputs, point_training.true, FINE_TUNE)
    point_polynomial = CubicSurfaceFit.fit(point_training.raw, point_training.true)
    point_errors = _errors({"raw": point_test.raw, "nn": predict(model, point_test.inputs),
                            "poly": point_polynomial.predict(point_test.raw)}, point_test.true, point_test.nlos)
    model.load_state_dict(fine_tuned_state)  # the per-sample model again, for the inference timings

    # Inference: the whole virtual set in the default 8192-sample batches, and one sample alone.
    batch = virtual.inputs[:100_000]
    predict(model, batch[:8192])
    t0 = time.perf_counter()
    predict(model, batch)
    batched_us = 1e6 * (time.perf_counter() - t0) / len(batch)
    single = []
    for row in range(200):
        t0 = time.perf_counter()
        predict(model, batch[row:row + 1])
        single.append(time.perf_counter() - t0)

    nlos_reduction = 1 - errors["nlos"]["nn"] / errors["nlos"]["raw"]
    return {
        **per_link_rows(scene, virtual, ranging),
        "what": "uwb_hall, paper anchors, virtual 10 cm grid x 20 groups of 8 fixes; SIMULATED site, 50 points x 496 fixes, 80/20 per sample",
        "network": "mitigation_net, absolute coordinates",
        "samples": {"virtual": len(virtual), "measured_train": len(training), "measured_test": len(test),
                    "test_los": int((~test.nlos).sum()), "test_nlos": int(test.nlos.sum())},
        "mean_error_cm": errors,
        "mean_error_cm_held_out_points": point_errors,
        "test_points_held_out": int(len(np.unique(point_test.point))),
        "floor_mean_error_cm": {name: {area: {key: None if v is None else round(100 * v, 2) for key, v in row.items()}
                                       for area, row in means.items()} for name, means in floor.items()},
        "virtual_data_s": round(virtual_s, 1),
        "pretrain_s": round(pretrain.seconds, 1),
        "pretrain_budget_s": PRETRAIN_BUDGET_S,
        "pretrain_epochs": len(pretrain.history.train_loss),
        "pretrain_stopped": pretrain.stopped,
        "pretrain_best_epoch": pretrain.best_epoch,
        "fine_tune_s": round(fine.seconds, 1),
        "fine_tune_epochs": len(fine.history.train_loss),
        "fine_tune_stopped": fine.stopped,
        "inference_batched_us_per_sample": round(batched_us, 2),
        "inference_single_sample_ms": round(1e3 * float(np.median(single)), 3),
        "targets": {
            "pretrain_s_max": 180.0,
            "pretrain_within_target": pretrain.seconds <= 180.0,
            "nlos_reduction_vs_raw": round(nlos_reduction, 3),
            "nlos_reduced_by_80_percent": nlos_reduction >= 0.8,
            "los_not_worse_than_raw": errors["los"]["nn"] <= errors["los"]["raw"],
        },
    }


def per_link_rows(scene, virtual, ranging: RangingModel) -> dict:
    """The per-link model on the twin and on the calibrated twin, against the same site data."""
    site = SiteSimulation()
    measured = simulated_site_dataset(scene, PAPER_ANCHORS, scene.tag_height_m, RESOLUTION_M, ranging, site)
    floor_scene = site_scene(scene, site)
    site_floor = virtual_dataset(floor_scene, PAPER_ANCHORS, scene.tag_height_m, RESOLUTION_M, GROUPS,
                                 site_ranging(ranging, site), site.seed)
    measurement = measure_site(scene, PAPER_ANCHORS, scene.tag_height_m, RESOLUTION_M, ranging, site)
    calibration = calibrate_from_measurements(scene, PAPER_ANCHORS, scene.tag_height_m, measurement.measured_ranges(),
                                              nlos_bias=True, ranging=ranging)
    calibrated_scene, calibrated_ranging = calibration.calibrated_scene(scene), calibration.calibrated_ranging(ranging)
    calibrated_virtual = virtual_dataset(calibrated_scene, PAPER_ANCHORS, scene.tag_height_m, RESOLUTION_M, GROUPS,
                                         calibrated_ranging, seed=SEED)
    calibrated = per_link(calibrated_scene, calibrated_virtual, calibrated_ranging, measured, floor_scene, site_floor)
    calibrated["calibration"] = {name: {"preset": m.preset, "fitted": round(m.fitted, 3)}
                                 for name, m in calibration.materials.items()} | {
        "nlos_bias_m": round(calibration.nlos_bias_m, 3)}
    return {"per_link": per_link(scene, virtual, ranging, measured, floor_scene, site_floor),
            "calibrated_per_link": calibrated}


def per_link(scene, virtual, ranging: RangingModel, measured, floor_scene, site_floor) -> dict:
    """The per-link model trained on ``virtual`` (the twin ``scene``'s) and ``measured``: every
    protocol, in cm; the site's floor is ``site_floor``, generated in ``floor_scene``."""
    table = floor_link_table(scene, PAPER_ANCHORS, scene.tag_height_m, RESOLUTION_M, ranging)
    started = time.perf_counter()
    result = train_mitigation(virtual, measured, PRETRAIN, FINE_TUNE, link_table=table, split="points", seed=SEED)
    seconds = time.perf_counter() - started
    rows = dict(result.protocols)
    rows["floor_twin"] = mitigated_map(scene, result.model, virtual).area_means()
    rows["floor_site"] = mitigated_map(floor_scene, result.model, site_floor, source="simulated site").area_means()
    cm = {key: {area: {name: None if value is None else round(100 * value, 2) for name, value in row.items()}
                for area, row in areas.items()} for key, areas in rows.items()}

    def cut(key: str) -> float:
        return round(1 - rows[key]["nlos"]["nn"] / rows[key]["nlos"]["raw"], 3)

    def los_excess_cm(key: str) -> float | None:
        los = rows[key]["los"]
        return None if los["raw"] is None else round(100 * (los["nn"] - los["raw"]), 2)

    generalising = ("held_out_points", "floor_twin", "floor_site")
    return {
        "mean_error_cm": cm,
        "nlos_reduction": {key: cut(key) for key in rows},
        "los_worse_than_raw_cm": {key: los_excess_cm(key) for key in rows},
        "train_s": round(seconds, 1),
        "epochs": {stage: len(t.history.train_loss) for stage, t in result.training.items()},
        "stopped": {stage: t.stopped for stage, t in result.training.items()},
        "targets": {
            "held_out_and_floors_nlos_cut_60_percent": all(cut(key) >= 0.6 for key in generalising),
            "held_out_and_floors_los_within_2_cm": all((los_excess_cm(key) or 0.0) <= 2.0 for key in generalising),
            "per_sample_nlos_cut_80_percent": cut("per_sample") >= 0.8,
            "per_sample_los_not_worse": (los_excess_cm("per_sample") or 0.0) <= 0.0,
        },
    }
