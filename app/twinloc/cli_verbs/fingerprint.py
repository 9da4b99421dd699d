"""Fingerprinting verbs: ``twinloc rp-plan SCENE``, reference points for a survey walk (seed 002, Fig. 7)."""

from __future__ import annotations

import argparse
import math

from twinloc.cli_verbs.common import (
    CliError,
    check_positions,
    check_tag_height,
    check_writable,
    count,
    height,
    number_in,
    open_workspace,
    print_json,
)

#: Largest clearance to walls an RP plan may ask for, metres.
MAX_CLEARANCE_M = 10.0
#: Whole numbers the options take; the planner holds the real limits (twinloc.fingerprint.rp_plan),
#: imported only when a plan is made so that ``twinloc`` alone does not load numpy.
_ANY_COUNT = 2**31


def register(verbs: argparse._SubParsersAction) -> None:
    plan = verbs.add_parser("rp-plan", help="reference points of a fingerprint survey on a boundary and inset loops")
    plan.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    plan.add_argument("--markers", type=floor_points, required=True, metavar="X,Y;...",
                      help="the outer boundary's corners in walking order, metres (3 or more)")
    plan.add_argument("--loops", type=count(0, _ANY_COUNT), required=True, metavar="N",
                      help="inner loops inside the boundary (0 or more)")
    spacing = plan.add_mutually_exclusive_group(required=True)
    spacing.add_argument("--spacing", type=height, metavar="M", help="largest gap between neighbouring RPs of a loop, metres")
    spacing.add_argument("--between", type=count(0, _ANY_COUNT), metavar="K",
                         help="RPs between two vertices of each loop (1 or more)")
    plan.add_argument("--clearance", type=number_in(0.0, MAX_CLEARANCE_M), default=0.3, metavar="C",
                      help=f"drop RPs closer than this to a wall or object, metres (0 to {MAX_CLEARANCE_M:g}; default 0.3)")
    plan.add_argument("--height", type=height, metavar="M",
                      help="height of the RPs, metres (default: the project's or scene's tag height)")
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
    if args.height is None:
        height_m = workspace.project.settings.tag_height_or(scene.tag_height_m)
    else:
        check_tag_height("--height", args.height, scene)
        height_m = args.height
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


def floor_points(text: str) -> list[tuple[float, float]]:
    """Argument type of ``"x,y;x,y;..."`` (metres): finite floor positions (the planner limits their number)."""
    points = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        try:
            point = tuple(float(c) for c in item.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r} is not x,y (two numbers in metres)") from None
        if len(point) != 2:
            raise argparse.ArgumentTypeError(f"{item!r} is not x,y (two numbers in metres)")
        if not all(math.isfinite(c) for c in point):
            raise argparse.ArgumentTypeError(f"{item!r} has a coordinate that is not a finite number")
        points.append(point)
    if not points:
        raise argparse.ArgumentTypeError("no markers given; expected \"x,y;x,y;x,y;...\"")
    return points
