"""Material calibration on uwb_hall (issue 14): the twin learns the simulated site's permittivities.

The paper's three anchors; the "measured" data are the SIMULATED physical site of
:func:`twinloc.mitigation.site.measure_site` (permittivities x1.3, an unmodelled concrete
column, noise and NLOS bias x1.3; 50 points, half NLOS, 496 fixes each), the very site
``train-mitigation --simulate-site`` uses. Each link's range is averaged over the fixes and
:func:`twinloc.uwb.calibration.calibrate_from_measurements` fits concrete's permittivity (with
and without the NLOS mean bias, from ranges and from the mean fixes; Cauchy loss at 5 cm).

Reported: the fitted permittivity against the site's, its 95% interval, the residual rms
before and after; the same recovery over site seeds 1 to 10 (other points and noise) with
the Cauchy, Huber and soft-L1 losses; and
how well the twin's predicted error map (the deterministic map of the mean ranges, 10 cm
grid) agrees with the site's: the mean length per cell of the difference of the error
vectors, for the uncalibrated twin, the calibrated twin (fitted permittivity and NLOS bias),
and a twin given the site's exact permittivity and bias (the best a material calibration can
do: the site's unmodelled column is not a material), over all cells and over the cells none of
whose links crosses the column.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.loaders import load_scene
from twinloc.mitigation.site import SiteSimulation, measure_site, site_ranging, site_scene
from twinloc.model.analysis import ErrorMapSettings, RangingModel
from twinloc.uwb.calibration import calibrate_from_measurements, material_lengths
from twinloc.uwb.error_map import compute_error_map
from twinloc.uwb.measured import MeasuredPoint
from twinloc.uwb.multilateration import locate

PAPER_ANCHORS = np.array([[3.8, 0.0, 2.0], [9.4, 7.2, 2.0], [14.4, 0.1, 2.0]])
RESOLUTION_M = 0.1
SEEDS = tuple(range(1, 11))
LOSSES = ("cauchy", "huber", "soft_l1")
MATERIAL = "concrete"


def run() -> dict:
    scene = load_scene("uwb_hall")
    ranging, simulation, geometry = RangingModel(), SiteSimulation(), GeometryCache()
    site_eps = scene.materials[MATERIAL].relative_permittivity * simulation.permittivity_scale
    tag_height = scene.tag_height_m
    measurement = measure_site(scene, PAPER_ANCHORS, tag_height, RESOLUTION_M, ranging, simulation, geometry)
    ranges = measurement.measured_ranges()

    def fitted(measurements, nlos_bias: bool):
        return calibrate_from_measurements(scene, PAPER_ANCHORS, tag_height, measurements, nlos_bias=nlos_bias,
                                           ranging=ranging, geometry=geometry)

    fits = {"ranges": fitted(ranges, False), "ranges_nlos_bias": fitted(ranges, True),
            "positions_nlos_bias": fitted(_mean_fixes(measurement), True)}
    calibrated = fits["ranges_nlos_bias"]

    seeds = {loss: {} for loss in LOSSES}
    for seed in SEEDS:
        other = measure_site(scene, PAPER_ANCHORS, tag_height, RESOLUTION_M, ranging,
                             dataclasses.replace(simulation, seed=seed), geometry).measured_ranges()
        for loss in LOSSES:
            fit = calibrate_from_measurements(scene, PAPER_ANCHORS, tag_height, other, nlos_bias=True, ranging=ranging,
                                              loss=loss, geometry=geometry)
            seeds[loss][seed] = _relative_error(fit.materials[MATERIAL].fitted, site_eps)

    site = site_scene(scene, simulation)
    grid = geometry.floor_grid(scene, RESOLUTION_M, tag_height)

    def error_map(twin_scene, twin_ranging):
        return compute_error_map(geometry.ray_engine(twin_scene), twin_scene, grid, PAPER_ANCHORS,
                                 ErrorMapSettings(ranging=twin_ranging))

    exact = scene.with_materials({MATERIAL: dataclasses.replace(scene.materials[MATERIAL], relative_permittivity=site_eps)})
    maps = {"uncalibrated": error_map(scene, ranging),
            "calibrated": error_map(calibrated.calibrated_scene(scene), calibrated.calibrated_ranging(ranging)),
            "exact_materials": error_map(exact, site_ranging(ranging, simulation))}
    site_map = error_map(site, site_ranging(ranging, simulation))
    valid = ~site_map.degenerate
    for twin_map in maps.values():
        valid &= ~twin_map.degenerate
    column = material_lengths(geometry.ray_engine(site), site, PAPER_ANCHORS, grid.points, ["unmodelled obstacle"])
    clear = valid & (column[..., 0] == 0.0).all(axis=1)
    difference = {name: np.linalg.norm(twin_map.error - site_map.error, axis=1) for name, twin_map in maps.items()}
    agreement = {area: {name: round(100 * float(d[mask].mean()), 2) for name, d in difference.items()}
                 for area, mask in (("all_cells", valid), ("cells_clear_of_the_column", clear))}
    ratio = {area: round(row["uncalibrated"] / row["calibrated"], 2) for area, row in agreement.items()}
    recovery = _relative_error(calibrated.materials[MATERIAL].fitted, site_eps)
    return {
        "what": "uwb_hall, paper anchors; SIMULATED site (eps x1.3, unmodelled column, noise x1.3), 50 points x 496 fixes",
        "site_permittivity": round(site_eps, 4),
        "preset_permittivity": scene.materials[MATERIAL].relative_permittivity,
        "fits": {name: _fit_report(fit, site_eps) for name, fit in fits.items()},
        "relative_error_by_site_seed": seeds,
        "largest_relative_error_by_loss": {loss: max(abs(v) for v in row.values()) for loss, row in seeds.items()},
        "error_map_mean_difference_cm": agreement,
        "cells": {"all": int(valid.sum()), "clear_of_the_column": int(clear.sum())},
        "improvement_uncalibrated_over_calibrated": ratio,
        "best_possible_improvement_all_cells": round(agreement["all_cells"]["uncalibrated"]
                                                     / agreement["all_cells"]["exact_materials"], 2),
        "targets": {
            "relative_error": recovery,
            "permittivity_within_5_percent": abs(recovery) <= 0.05,
            "map_agreement_3x_better_all_cells": ratio["all_cells"] >= 3.0,
            "map_agreement_3x_better_cells_clear_of_the_column": ratio["cells_clear_of_the_column"] >= 3.0,
        },
    }


def _mean_fixes(measurement) -> list[MeasuredPoint]:
    """The site's measured positions: each fix solved from its ranges, as simulate_site does."""
    draws, points, anchors = measurement.ranges.shape
    fix = locate(PAPER_ANCHORS, np.nan_to_num(measurement.ranges.reshape(-1, anchors)),
                 np.tile(measurement.links.usable, (draws, 1)), tag_height_m=np.tile(measurement.points[:, 2], draws))
    position = np.where(fix.degenerate[:, None], np.nan, fix.position).reshape(draws, points, 2)
    return [MeasuredPoint(true=measurement.points[k, :2], measured=position[:, k][~np.isnan(position[:, k, 0])])
            for k in range(points)]


def _fit_report(fit, site_eps: float) -> dict:
    material = fit.materials[MATERIAL]
    return {"fitted": round(material.fitted, 4), "ci95": [round(v, 4) for v in material.ci95],
            "relative_error": _relative_error(material.fitted, site_eps),
            "site_value_within_ci95": bool(material.ci95[0] <= site_eps <= material.ci95[1]),
            "nlos_bias_m": round(fit.nlos_bias_m, 4),
            "residual_rms_before_m": round(fit.residual_rms_before_m, 4),
            "residual_rms_after_m": round(fit.residual_rms_after_m, 4)}


def _relative_error(value: float, reference: float) -> float:
    return round(value / reference - 1.0, 4)
