"""``twinloc paths``, ``twinloc locate`` and ``twinloc evaluate-rrt``: reverse ray tracing from the shell."""

from __future__ import annotations

import argparse
import math
import time

from twinloc.cli_verbs.common import (
    CliError,
    add_scheduler_argument,
    add_seed_argument,
    check_distinct,
    check_positions,
    count,
    length_text,
    number_in,
    one_position,
    open_workspace,
    positions,
    print_json,
    study,
)

#: Most reflections of a path and of a launched ray (the image tree grows as planes^depth and is
#: bounded again by twinloc.rrt.paths.MAX_CANDIDATES), rays per station (bounded again, with the
#: stations and bounces, by twinloc.rrt.locate.MAX_RAY_SEGMENTS) and UE drops.
MAX_DEPTH = 6
MAX_RAYS = 100_000
MAX_DROPS = 100_000

#: Most values of an --aoa-sigma, --pt-sigma or --rpt-sigma list: every combination is a
#: setting, and each setting keeps two errors per drop.
MAX_LIST_VALUES = 10


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("paths", help="specular propagation paths between two points")
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    parser.add_argument("--tx", type=one_position, required=True, metavar="X,Y,Z", help="transmitter, metres")
    parser.add_argument("--rx", type=one_position, required=True, metavar="X,Y,Z", help="receiver, metres")
    parser.add_argument("--max-depth", type=count(0, MAX_DEPTH), default=3, metavar="K",
                        help=f"most reflections per path, 0 to {MAX_DEPTH} (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_paths)

    parser = verbs.add_parser("locate", help="simulate a UE's AoA (and time) measurements and locate it by reverse ray tracing")
    _add_common_arguments(parser)
    parser.add_argument("--ue", type=one_position, required=True, metavar="X,Y,Z", help="true UE position, metres")
    parser.add_argument("--aoa-sigma", type=number_in(0.0, 90.0, "deg"), default=1.0, metavar="DEG",
                        help="AoA noise on azimuth and elevation (default 1 degree)")
    time_group = parser.add_mutually_exclusive_group()
    time_group.add_argument("--pt-sigma", type=number_in(0.0, 100.0), metavar="M", help="fuse a propagation time with this noise")
    time_group.add_argument("--rpt-sigma", type=number_in(0.0, 100.0), metavar="M",
                            help="fuse relative propagation times (TDoA) with this noise")
    parser.set_defaults(run=run_locate)

    parser = verbs.add_parser("evaluate-rrt", help="accuracy of reverse ray tracing over random UE drops")
    _add_common_arguments(parser)
    parser.add_argument("--drops", type=count(1, MAX_DROPS), default=500, metavar="N",
                        help=f"UEs dropped, 1 to {MAX_DROPS} (default 500)")
    parser.add_argument("--aoa-sigma", type=_number_list(allow_none=False), default=[0.25, 0.5, 0.75, 1.0], metavar="DEG,...",
                        help=f"AoA noise values, degrees, at most {MAX_LIST_VALUES} (default 0.25,0.5,0.75,1)")
    time_group = parser.add_mutually_exclusive_group()
    time_group.add_argument("--pt-sigma", type=_number_list(allow_none=True), metavar="M,...",
                            help="propagation-time noise values, metres; 'none' adds a setting without")
    time_group.add_argument("--rpt-sigma", type=_number_list(allow_none=True), metavar="M,...",
                            help="relative-propagation-time noise values, metres; 'none' adds a setting without")
    add_scheduler_argument(parser)
    parser.set_defaults(run=run_evaluate)


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    parser.add_argument("--bs", type=positions, metavar="X,Y,Z;...",
                        help="base station positions, metres (default: the project's enabled ones, or the scene's)")
    parser.add_argument("--rays", type=count(10, MAX_RAYS), default=2000, metavar="N",
                        help=f"rays per base station, 10 to {MAX_RAYS} (default 2000)")
    parser.add_argument("--bounces", type=count(0, MAX_DEPTH), default=3, metavar="K",
                        help=f"reflections per ray, 0 to {MAX_DEPTH} (default 3)")
    parser.add_argument("--mode", choices=("2d", "3d"), default="3d", help="3D, or 2D at the UE's known height (default 3d)")
    add_seed_argument(parser, "seed of noise, drops and launching (default 0)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run_paths(args: argparse.Namespace) -> int:
    from twinloc.compute.rrt_jobs import path_finder_for

    scene = open_workspace(args.source).scene
    check_positions("--tx", args.tx, scene)
    check_positions("--rx", args.rx, scene)
    check_distinct(args.source, [args.tx, args.rx], names=("--tx", "--rx"))
    started = time.perf_counter()
    try:
        found = path_finder_for(scene).paths(args.tx, args.rx, args.max_depth)
    except ValueError as error:  # an image tree too large for the depth
        raise CliError(f"--max-depth {args.max_depth}: {error}") from None
    seconds = time.perf_counter() - started
    report = {"paths": [_path_record(path) for path in found], "seconds": round(seconds, 4)}
    if args.json:
        print_json(report)
    else:
        print(f"{len(found)} paths from {_text(args.tx)} to {_text(args.rx)} ({seconds:.2f} s)")
        for record in report["paths"]:
            via = ", ".join(i["object"] for i in record["interactions"]) or "line of sight"
            print(f"  {record['length_m']:8.3f} m  AoA {record['aoa_az_deg']:7.2f}/{record['aoa_el_deg']:6.2f} deg  via {via}")
    return 0


def run_locate(args: argparse.Namespace) -> int:
    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.compute.rrt_jobs import locate_job
    from twinloc.rrt.measurement import NoiseModel

    scene, stations = _scene_and_stations(args)
    check_positions("--ue", args.ue, scene)
    for number, station in enumerate(stations, start=1):
        check_distinct(args.source, [args.ue, station], names=("--ue", f"base station {number}"))
    noise = NoiseModel(args.aoa_sigma, args.pt_sigma, args.rpt_sigma)
    try:
        result = locate_job(scene, args.ue, stations, noise, _locate_settings(args), args.seed).function(
            report_nothing, CancelToken()
        )
    except ValueError as error:
        raise CliError(f"{args.source}: {error}") from None
    estimate = result.estimate
    report = {
        "estimate": [round(float(c), 6) for c in estimate.position],
        "truth": [float(c) for c in result.truth],
        "error_m": round(result.error_m, 6),
        "uncertainty_m": round(estimate.uncertainty_m, 6),
        "stations_used": list(estimate.stations_used),
        "strongest_paths": [None if p is None else {"depth": p.depth, "length_m": round(p.length_m, 6)} for p in result.paths],
        "seconds": round(result.seconds, 4),
    }
    if args.json:
        print_json(report)
    else:
        print(f"estimate {_text(report['estimate'])}  truth {_text(report['truth'])}\n"
              f"  error {length_text(report['error_m'])}, uncertainty {length_text(report['uncertainty_m'])}, "
              f"{result.seconds:.2f} s")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from twinloc.cancellation import CancelToken
    from twinloc.compute.rrt_jobs import evaluation_job
    from twinloc.rrt.evaluation import EvaluationSetting
    from twinloc.rrt.measurement import NoiseModel

    scene, stations = _scene_and_stations(args)
    settings = []
    for aoa in args.aoa_sigma:
        if args.rpt_sigma is not None:
            settings += [EvaluationSetting(NoiseModel(aoa, rpt_sigma_m=rpt), args.mode) for rpt in args.rpt_sigma]
        else:
            settings += [EvaluationSetting(NoiseModel(aoa, pt_sigma_m=pt), args.mode) for pt in args.pt_sigma or [None]]
    started = time.perf_counter()
    with study(args, "Evaluating") as (runner, progress):
        job = evaluation_job(scene, stations, settings, args.drops, _locate_settings(args), args.seed, runner=runner)
        try:
            evaluation = job.function(progress, CancelToken())
        except ValueError as error:
            raise CliError(f"{args.source}: {error}") from None
    report = {"settings": evaluation.summaries(), "seconds": round(time.perf_counter() - started, 2)}
    if args.json:
        print_json(report)
    else:
        print(f"{args.drops} drops, {report['seconds']:.1f} s; errors in metres (p50 p67 p80 p90), triangulation after '|'")
        for row in report["settings"]:
            label = ", ".join([f"AoA {row['aoa_sigma_deg']:g} deg", *_time_labels(row), row["mode"]])
            base = row["baseline"]
            print(f"  {label:40s} {_row(row)} | {_row(base)}")
    return 0


def _scene_and_stations(args: argparse.Namespace):
    """The scene and the base stations (B, 3) metres; --bs checked against the scene, and the
    rays all stations would launch against the ray budget."""
    import numpy as np

    workspace = open_workspace(args.source)
    if args.bs is not None:
        stations = np.array(args.bs, dtype=np.float64)
        check_positions("--bs", stations, workspace.scene)
        check_distinct("--bs", stations)
    else:
        stations = np.array([b.position for b in workspace.project.base_stations if b.enabled], dtype=np.float64)
    if len(stations) == 0:
        raise CliError(f"{args.source}: no enabled base stations; give some with --bs \"x,y,z;x,y,z\"")
    try:
        _locate_settings(args).check_ray_budget(len(stations))
    except ValueError as error:
        raise CliError(f"--rays {args.rays} --bounces {args.bounces}: {error}") from None
    return workspace.scene, stations.reshape(-1, 3)


def _locate_settings(args: argparse.Namespace):
    from twinloc.rrt.locate import LocateSettings

    return LocateSettings(rays=args.rays, bounces=args.bounces, mode=args.mode)


def _time_labels(row: dict) -> list[str]:
    """The time measurement of an evaluation setting, as a label part (none without one)."""
    if row["rpt_sigma_m"] is not None:
        return [f"RPT {length_text(row['rpt_sigma_m'])}"]
    if row["pt_sigma_m"] is not None:
        return [f"PT {length_text(row['pt_sigma_m'])}"]
    return ["no time"]


def _path_record(path) -> dict:
    aoa_az, aoa_el = path.aoa_deg
    aod_az, aod_el = path.aod_deg
    return {
        "length_m": round(path.length_m, 9),
        "delay_s": path.delay_s,
        "aoa_az_deg": round(aoa_az, 9),
        "aoa_el_deg": round(aoa_el, 9),
        "aod_az_deg": round(aod_az, 9),
        "aod_el_deg": round(aod_el, 9),
        "interactions": [
            {"point": [round(float(c), 9) for c in point], "object": name}
            for point, name in zip(path.points[1:-1], path.objects)
        ],
    }


def _number_list(allow_none: bool):
    def parse(text: str) -> list[float | None]:
        values: list[float | None] = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            if allow_none and item.lower() == "none":
                values.append(None)
                continue
            try:
                value = float(item)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{item!r} is not a number") from None
            if not (math.isfinite(value) and value >= 0.0):
                raise argparse.ArgumentTypeError(f"{item} is not a finite number >= 0")
            values.append(value)
        if not values:
            raise argparse.ArgumentTypeError("no values given")
        if len(values) > MAX_LIST_VALUES:
            raise argparse.ArgumentTypeError(f"more than {MAX_LIST_VALUES} values")
        return values

    parse.__name__ = "list"
    return parse


def _text(point) -> str:
    return "(" + ", ".join(f"{float(c):.3f}" for c in point) + ")"


def _row(summary: dict) -> str:
    return " ".join("  fail" if summary[f"p{q}_m"] is None else f"{summary[f'p{q}_m']:6.3f}" for q in (50, 67, 80, 90))
