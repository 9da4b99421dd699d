"""``twinloc los SCENE``: line-of-sight statistics of an anchor layout over a scene's floor."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from twinloc.cli_verbs.common import CliError, number_in, open_workspace, positions, print_json


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("los", help="line-of-sight map of anchors over the floor")
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    parser.add_argument(
        "--anchors",
        type=positions,
        metavar="X,Y,Z;...",
        help="anchor positions in metres (default: the project's enabled anchors, or the scene's)",
    )
    parser.add_argument(
        "--resolution", type=number_in(0.01, 5.0), metavar="M", help="grid cell size in metres (default: the project's, 0.1)"
    )
    parser.add_argument(
        "--tag-height", type=number_in(0.0, 100.0), metavar="M", help="tag height in metres (default: the project's or scene's)"
    )
    parser.add_argument("--out", metavar="FILE.csv", help="write x_m,y_m,los_count for every cell")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_los)


def run_los(args: argparse.Namespace) -> int:
    import numpy as np

    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.compute.engines import ray_engine_for
    from twinloc.compute.los_job import los_map_job
    from twinloc.uwb.visibility import los_map_to_csv

    if args.out and not Path(args.out).absolute().parent.is_dir():
        # Checked before the computation, which may take a while.
        raise CliError(f"{args.out}: cannot write: no such folder")
    workspace = open_workspace(args.source)
    project, scene = workspace.project, workspace.scene
    if args.anchors is not None:
        anchors = np.array(args.anchors, dtype=np.float64)
    else:
        anchors = np.array([a.position for a in project.anchors if a.enabled], dtype=np.float64).reshape(-1, 3)
    if len(anchors) == 0:
        raise CliError(f"{args.source}: no enabled anchors; give some with --anchors \"x,y,z;x,y,z\"")
    resolution = args.resolution if args.resolution is not None else project.settings.grid_resolution_m
    tag_height = args.tag_height
    if tag_height is None:
        tag_height = project.settings.tag_height_m if project.settings.tag_height_m is not None else scene.tag_height_m

    started = time.perf_counter()
    try:
        los_map = los_map_job(scene, anchors, resolution, tag_height).function(report_nothing, CancelToken())
    except ValueError as error:  # inputs the grid refuses, e.g. more cells than it allows
        raise CliError(f"{args.source}: {error}") from None
    seconds = time.perf_counter() - started
    if los_map.los_count.size == 0:
        raise CliError(f"{args.source}: the scene has no floor cells to evaluate (no evaluation region?)")
    if args.out:
        try:
            los_map_to_csv(los_map, args.out)
        except OSError as error:
            raise CliError(f"{args.out}: cannot write: {error.strerror or error}") from None

    report = {
        **los_map.summary(),
        "seconds": round(seconds, 4),
        "backend": ray_engine_for(scene).backend,
        "scene": scene.name,
        "anchor_positions": anchors.tolist(),
        "out": args.out,
    }
    if args.json:
        print_json(report)
    else:
        print(
            f"{report['scene']}: {report['cells']} cells at {resolution:g} m, tag height {tag_height:g} m, "
            f"{report['anchors']} anchors\n"
            f"  cells seeing >= 3 anchors  {100 * report['fraction_los_ge_3']:.1f} %\n"
            f"  mean anchors in LOS        {report['mean_los_count']:.2f}\n"
            f"  time                       {seconds:.2f} s ({report['backend']})"
            + (f"\n  written                    {args.out}" if args.out else "")
        )
    return 0
