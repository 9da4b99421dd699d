"""``twinloc los SCENE``: line-of-sight statistics of an anchor layout over a scene's floor."""

from __future__ import annotations

import argparse
import time

from twinloc.cli_verbs.common import CliError, add_layout_arguments, check_writable, noted, print_json, resolve_layout


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("los", help="line-of-sight map of anchors over the floor")
    add_layout_arguments(parser)
    parser.add_argument("--out", metavar="FILE.csv", help="write x_m,y_m,los_count for every cell")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_los)


def run_los(args: argparse.Namespace) -> int:
    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.compute.los_jobs import los_map_job
    from twinloc.geometry.cache import GeometryCache
    from twinloc.uwb.visibility import los_map_to_csv

    check_writable(args.out)
    layout = resolve_layout(args)
    scene, anchors = layout.workspace.scene, layout.anchors
    resolution, tag_height = layout.resolution_m, layout.tag_height_m
    geometry = GeometryCache()

    started = time.perf_counter()
    try:
        los_map = los_map_job(scene, anchors, resolution, tag_height, geometry).function(report_nothing, CancelToken())
    except ValueError as error:  # inputs the grid refuses, e.g. more cells than it allows
        raise CliError(f"{args.source}: {error}") from None
    seconds = time.perf_counter() - started
    if los_map.los_count.size == 0:
        raise CliError(f"{args.source}: {los_map.grid.empty_reason}")
    if args.out:
        try:
            los_map_to_csv(los_map, args.out)
        except OSError as error:
            raise CliError(f"{args.out}: cannot write: {error.strerror or error}") from None

    report = {
        **los_map.summary(),
        "seconds": round(seconds, 4),
        "backend": geometry.ray_engine(scene).backend,
        "scene": scene.name,
        "anchor_positions": anchors.tolist(),
        "resolution_note": layout.resolution_note,
        "out": args.out,
    }
    if args.json:
        print_json(report)
    else:
        print(
            f"{report['scene']}: {report['cells']} cells at {resolution:g} m{noted(layout.resolution_note)}, "
            f"tag height {tag_height:g} m, "
            f"{report['anchors']} anchors\n"
            f"  cells seeing >= 3 anchors  {100 * report['fraction_los_ge_3']:.1f} %\n"
            f"  mean anchors in LOS        {report['mean_los_count']:.2f}\n"
            f"  time                       {seconds:.2f} s ({report['backend']})"
            + (f"\n  written                    {args.out}" if args.out else "")
        )
    return 0
