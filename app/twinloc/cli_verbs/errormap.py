"""``twinloc errormap SCENE`` and ``twinloc survey-plan SCENE``: positioning error over the floor."""

from __future__ import annotations

import argparse
import dataclasses
import time

from twinloc.cli_verbs.common import (
    CliError,
    FloorLayout,
    add_layout_arguments,
    add_seed_argument,
    check_anchor_count,
    check_locatable,
    check_writable,
    count,
    length_text,
    noted,
    number_in,
    print_json,
    resolve_layout,
)

#: Most Monte Carlo draws per cell and Gauss-Newton iterations (ErrorMapSettings' limits).
MAX_DRAWS = 100_000
MAX_REFINE = 50


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("errormap", help="NLOS positioning error map of an anchor layout")
    add_layout_arguments(parser)
    _add_model_arguments(parser)
    parser.add_argument("--out", metavar="FILE.csv", help="write x_m,y_m,err_x_m,err_y_m,err_m,gdop,los_count per cell")
    parser.add_argument("--npz", metavar="FILE.npz", help="write every per-cell array (numpy .npz)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_errormap)

    parser = verbs.add_parser("survey-plan", help="adaptive measuring points for building the site's error map")
    add_layout_arguments(parser)
    _add_model_arguments(parser)
    parser.add_argument("--fine", type=number_in(0.005, 1.0), default=0.05, metavar="M", help="fine spacing (default 0.05 m)")
    parser.add_argument(
        "--error-threshold", type=number_in(0.0, 100.0), default=0.10, metavar="M",
        help="predicted error from which a cell is surveyed finely (default 0.10 m)",
    )
    parser.add_argument(
        "--change-threshold", type=number_in(0.0, 1000.0, "m/m"), default=0.5, metavar="M/M",
        help="error change per metre from which a cell is surveyed finely (default 0.5)",
    )
    parser.add_argument("--out", metavar="FILE.csv", help="write x_m,y_m,density for every measuring point")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_survey_plan)


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mc", type=count(0, MAX_DRAWS), default=None, metavar="N",
                        help=f"Monte Carlo draws per cell, 0 to {MAX_DRAWS} (default: the project's, 0)")
    add_seed_argument(parser, "seed of the Monte Carlo draws", default=None)
    parser.add_argument("--dimensions", type=int, choices=(2, 3), default=None, help="2D (known tag height) or 3D fixes")
    parser.add_argument("--refine", type=count(0, MAX_REFINE), default=None, metavar="N",
                        help=f"Gauss-Newton iterations after least squares, 0 to {MAX_REFINE}")
    parser.add_argument(
        "--physics-only", action="store_true", help="ranges carry only the obstacles' excess path (no statistical bias or noise)"
    )


def _compute(args: argparse.Namespace, layout: FloorLayout):
    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.compute.error_map_jobs import error_map_job

    settings = layout.workspace.project.error_map
    overrides = {
        "monte_carlo_draws": args.mc,
        "seed": args.seed,
        "dimensions": args.dimensions,
        "refine_iterations": args.refine,
    }
    try:
        settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
        if args.physics_only:
            settings = dataclasses.replace(settings, physics_only=True, monte_carlo_draws=0)
    except ValueError as error:
        raise CliError(str(error)) from None
    check_anchor_count(args.source, len(layout.anchors), settings.dimensions)
    started = time.perf_counter()
    try:
        job = error_map_job(layout.workspace.scene, layout.anchors, layout.resolution_m, layout.tag_height_m, settings)
        error_map = job.function(report_nothing, CancelToken())
    except ValueError as error:
        raise CliError(f"{args.source}: {error}") from None
    check_locatable(args.source, error_map)
    if error_map.magnitude.size == 0:
        raise CliError(f"{args.source}: {error_map.grid.empty_reason}")
    return error_map, time.perf_counter() - started


def run_errormap(args: argparse.Namespace) -> int:
    from twinloc.uwb.error_map import write_error_map_csv, write_error_map_npz

    check_writable(args.out)
    check_writable(args.npz)
    layout = resolve_layout(args)
    error_map, seconds = _compute(args, layout)
    for path, write in ((args.out, write_error_map_csv), (args.npz, write_error_map_npz)):
        if path:
            try:
                write(error_map, path)
            except OSError as error:
                raise CliError(f"{path}: cannot write: {error.strerror or error}") from None
    report = {**error_map.summary(), "seconds": round(seconds, 4), "scene": layout.workspace.scene.name,
              "anchor_positions": layout.anchors.tolist(), "resolution_note": layout.resolution_note, "out": args.out}
    if args.json:
        print_json(report)
        return 0
    print(
        f"{report['scene']}: {report['cells']} cells at {report['resolution_m']:g} m{noted(layout.resolution_note)}, "
        f"{report['anchors']} anchors\n"
        f"  mean / p50 / p90 / max error  {length_text(report['mean_error_m'])} / {length_text(report['p50_error_m'])} / "
        f"{length_text(report['p90_error_m'])} / {length_text(report['max_error_m'])}\n"
        f"  summed error                  {report['sum_error_m']:.1f} m\n"
        f"  cells with an NLOS anchor     {100 * report['nlos_fraction']:.1f} %\n"
        f"  degenerate cells              {report['degenerate_cells']}\n"
        f"  time                          {seconds:.3f} s" + (f"\n  written                       {args.out}" if args.out else "")
    )
    return 0


def run_survey_plan(args: argparse.Namespace) -> int:
    from twinloc.uwb.survey_plan import SurveyPlanSettings, plan_survey, write_survey_csv

    check_writable(args.out)
    layout = resolve_layout(args)
    coarse = layout.resolution_m
    try:
        plan_settings = SurveyPlanSettings(
            coarse_m=coarse, fine_m=args.fine, error_threshold_m=args.error_threshold, change_threshold=args.change_threshold
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    error_map, seconds = _compute(args, layout)
    plan = plan_survey(error_map, plan_settings)
    if args.out:
        try:
            write_survey_csv(plan, args.out)
        except OSError as error:
            raise CliError(f"{args.out}: cannot write: {error.strerror or error}") from None
    report = {**plan.summary(), "coarse_m": coarse, "fine_m": args.fine, "seconds": round(seconds, 4),
              "scene": layout.workspace.scene.name, "out": args.out}
    if args.json:
        print_json(report)
        return 0
    print(
        f"{report['scene']}: {report['points']} measuring points ({report['coarse_points']} coarse at {coarse:g} m, "
        f"{report['fine_points']} fine at {args.fine:g} m)\n"
        f"  uniform grid at {args.fine:g} m   {report['uniform_points']} points\n"
        f"  saving                 {100 * report['saving_fraction']:.1f} %"
        + (f"\n  written                {args.out}" if args.out else "")
    )
    return 0
