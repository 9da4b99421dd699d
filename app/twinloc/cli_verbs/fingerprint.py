"""Fingerprinting verbs: ``twinloc rp-plan SCENE``, reference points for a survey walk (seed 002, Fig. 7)."""

from __future__ import annotations

import argparse

from twinloc.cli_verbs.common import (
    CliError,
    add_tag_height_argument,
    check_positions,
    check_writable,
    count,
    floor_positions,
    number_in,
    open_workspace,
    print_json,
    tag_height_of,
)
from twinloc.fingerprint.limits import MAX_BETWEEN, MAX_LOOPS, MAX_MARKERS, MAX_SPACING_M, MIN_SPACING_M

#: Largest clearance to walls an RP plan may ask for, metres.
MAX_CLEARANCE_M = 10.0


def register(verbs: argparse._SubParsersAction) -> None:
    plan = verbs.add_parser("rp-plan", help="reference points of a fingerprint survey on a boundary and inset loops")
    plan.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    plan.add_argument("--markers", type=floor_positions, required=True, metavar="X,Y;...",
                      help=f"the outer boundary's corners in walking order, metres (3 to {MAX_MARKERS})")
    plan.add_argument("--loops", type=count(0, MAX_LOOPS), required=True, metavar="N",
                      help=f"inner loops inside the boundary (0 to {MAX_LOOPS})")
    spacing = plan.add_mutually_exclusive_group(required=True)
    spacing.add_argument("--spacing", type=number_in(MIN_SPACING_M, MAX_SPACING_M), metavar="M",
                         help=f"largest gap between neighbouring RPs of a loop, metres ({MIN_SPACING_M:g} to {MAX_SPACING_M:g})")
    spacing.add_argument("--between", type=count(1, MAX_BETWEEN), metavar="K",
                         help=f"RPs between two vertices of each loop (1 to {MAX_BETWEEN})")
    plan.add_argument("--clearance", type=number_in(0.0, MAX_CLEARANCE_M), default=0.3, metavar="C",
                      help=f"drop RPs closer than this to a wall or object, metres (0 to {MAX_CLEARANCE_M:g}; default 0.3)")
    add_tag_height_argument(plan)
    plan.add_argument("--out", metavar="FILE.csv", help="write point,x_m,y_m,z_m,loop in route order")
    plan.add_argument("--waypoints", metavar="FILE.json", help="write the route as a waypoint list")
    plan.add_argument("--json", action="store_true", help="print JSON instead of text")
    plan.set_defaults(run=run_rp_plan)


def run_rp_plan(args: argparse.Namespace) -> int:
    from twinloc.fingerprint.rp_plan import plan_reference_points, write_plan_csv, write_waypoints_json

    check_writable(args.out)
    check_writable(args.waypoints)
    workspace = open_workspace(args.source)
    scene = workspace.scene
    height_m = tag_height_of(args, workspace)
    check_positions("--markers", [(x, y, height_m) for x, y in args.markers], scene)
    try:
        plan = plan_reference_points(
            args.markers, args.loops, spacing_m=args.spacing, between=args.between,
            clearance_m=args.clearance, scene=scene, height_m=height_m,
        )
    except ValueError as error:
        raise CliError(f"{args.source}: {error}") from None
    if len(plan.points) == 0:
        raise CliError(f"{args.source}: every RP of the plan lies inside a solid or within {args.clearance:g} m "
                       "of a wall; move the markers or lower --clearance")
    for path, write in ((args.out, write_plan_csv), (args.waypoints, write_waypoints_json)):
        if path:
            try:
                write(plan, path)
            except OSError as error:
                raise CliError(f"{path}: cannot write: {error.strerror or error}") from None

    report = {
        **plan.summary(),
        "scene": scene.name,
        "spacing_m": args.spacing,
        "between": args.between,
        "clearance_m": args.clearance,
        "height_m": height_m,
        "out": args.out,
        "waypoints": args.waypoints,
    }
    if args.json:
        print_json(report)
    else:
        dropped = ", ".join(f"{number} {reason}" for reason, number in report["dropped"].items() if number) or "none"
        print(
            f"{report['scene']}: {report['points']} reference points on {report['loops']} loops "
            f"at {height_m:g} m\n"
            f"  route length  {report['route_length_m']:.1f} m\n"
            f"  dropped       {dropped}"
            + (f"\n  written       {args.out}" if args.out else "")
            + (f"\n  waypoints     {args.waypoints}" if args.waypoints else "")
        )
    return 0

