"""``twinloc calibrate SCENE``: fit the twin's material permittivities to measured UWB data."""

from __future__ import annotations

import argparse
import math

#: Robust losses of scipy.optimize.least_squares offered by --loss.
LOSSES = ("cauchy", "soft_l1", "huber", "linear")

from twinloc.cli_verbs.common import (CliError, add_layout_arguments, add_seed_argument, check_anchor_count,
                                      check_positions, length_text, print_json, resolve_layout)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "calibrate", help="fit the materials' permittivities (and range biases) to measured ranges or positions")
    add_layout_arguments(parser)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--measured", metavar="FILE.csv",
                        help="measured ranges per anchor (true_x,true_y,range_1,...) or positions (see docs/user-guide.md)")
    source.add_argument("--simulate-site", action="store_true",
                        help="measure the simulated physical site that train-mitigation --simulate-site uses")
    parser.add_argument("--materials", type=_names, metavar="NAME,NAME",
                        help="materials to fit (default: every non-opaque material the scene's objects use)")
    parser.add_argument("--anchor-bias", action="store_true", help="also fit one range bias per anchor")
    parser.add_argument("--nlos-bias", action="store_true", help="also fit the ranging model's NLOS mean bias")
    parser.add_argument("--loss", choices=LOSSES, default="cauchy",
                        help="robust loss of the fit (default cauchy: a link far off the model stops pulling)")
    add_seed_argument(parser, "seed of the fit's extra starting points")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    import numpy as np

    from twinloc.geometry.cache import GeometryCache
    from twinloc.mitigation.site import measure_site
    from twinloc.uwb.calibration import calibrate_from_measurements
    from twinloc.uwb.measured import MeasuredDataError, MeasuredRanges, load_measurements

    layout = resolve_layout(args)
    scene = layout.workspace.scene
    ranging = layout.workspace.project.error_map.ranging
    geometry = GeometryCache()
    if args.measured:
        try:
            measurements = load_measurements(args.measured)
        except MeasuredDataError as error:
            raise CliError(f"--measured {error}") from None
        true = measurements.true if isinstance(measurements, MeasuredRanges) else np.array([p.true for p in measurements])
        check_positions(f"{args.measured}: measuring point",
                        np.column_stack([true, np.full(len(true), layout.tag_height_m)]), scene)
    else:
        measurements = measure_site(scene, layout.anchors, layout.tag_height_m, layout.resolution_m, ranging,
                                    geometry=geometry).measured_ranges()
    if not isinstance(measurements, MeasuredRanges):
        check_anchor_count(args.source, len(layout.anchors), 2)  # positions are solved in 2D
    try:
        result = calibrate_from_measurements(scene, layout.anchors, layout.tag_height_m, measurements,
                                             materials=args.materials, anchor_bias=args.anchor_bias,
                                             nlos_bias=args.nlos_bias, ranging=ranging, seed=args.seed, loss=args.loss,
                                             geometry=geometry)
    except ValueError as error:
        where = f"--measured {args.measured}" if args.measured else args.source
        raise CliError(f"{where}: {error}") from None
    report = calibration_report(result)
    report.update({"measured_source": "file" if args.measured else "simulated site", "measured_file": args.measured,
                   "measuring_points": len(measurements.true) if isinstance(measurements, MeasuredRanges)
                   else len(measurements), "scene": scene.name})
    if args.json:
        print_json(report)
        return 0
    label = "" if args.measured else " (SIMULATED site)"
    measured = (f"{report['links']} measured ranges" if result.measured == "ranges"
                else f"measured positions at {report['measuring_points']} points")
    print(f"{scene.name}: materials calibrated from {measured}{label}")
    for name, material in result.materials.items():
        if material.identifiable:
            low, high = material.ci95
            print(f"  {name:16s} {material.preset:7.3f} -> {material.fitted:7.3f}  (95% {low:.3f} to {high:.3f})")
        else:
            print(f"  {name:16s} {material.preset:7.3f} kept: {material.reason}")
    print(f"  residual rms {length_text(result.residual_rms_before_m)} -> {length_text(result.residual_rms_after_m)}")
    return 0


def calibration_report(result) -> dict:
    """The JSON form of a MaterialCalibration (intervals that do not exist are null)."""
    return {
        "materials": {
            name: {"preset": material.preset, "fitted": material.fitted, "ci95": _interval(material.ci95),
                   "identifiable": material.identifiable, "links": material.links, "reason": material.reason}
            for name, material in result.materials.items()
        },
        "anchor_bias_m": [float(value) for value in result.anchor_bias_m],
        "anchor_bias_ci95_m": [_interval(interval) for interval in result.anchor_bias_ci95_m],
        "nlos_bias_m": result.nlos_bias_m,
        "nlos_bias_ci95_m": _interval(result.nlos_bias_ci95_m),
        "measured": result.measured,
        "links": result.links,
        "residual_rms_before_m": result.residual_rms_before_m,
        "residual_rms_after_m": result.residual_rms_after_m,
        "loss": result.loss,
    }


def _interval(interval) -> list[float] | None:
    low, high = (float(value) for value in interval)
    return [low, high] if math.isfinite(low) and math.isfinite(high) else None


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of material names")
    return names
