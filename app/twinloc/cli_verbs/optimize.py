"""``twinloc optimize SCENE``, ``twinloc plan-count SCENE`` and ``twinloc as-built SCENE``: propose anchor
layouts, find how many anchors a floor needs, check the installation.

A project's drawn mounting regions join its scene's (:func:`twinloc.workspace.scene_with_mounting_regions`,
what the GUI's Optimize section searches too).
"""

from __future__ import annotations

import argparse
import math

from twinloc.cli_verbs.common import (
    CliError,
    add_scheduler_argument,
    add_seed_argument,
    add_tag_height_argument,
    check_anchor_count,
    check_distinct,
    check_locatable,
    check_map_size,
    check_positions,
    check_writable,
    count,
    length_text,
    number_in,
    open_workspace,
    positions,
    print_json,
    study,
    tag_height_of,
)

#: Limits of the search: the run time grows with population x iterations, the memory of the
#: spacing repair with population x (placed + fixed anchors) squared (the layouts are scored in
#: batches of bounded size). At the limits a run stays near 300 MB. --fixed takes at most
#: MAX_ANCHORS positions too.
MAX_ANCHORS = 32
MAX_POPULATION = 1000
MAX_ITERATIONS = 10_000
MAX_TOP = 100


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("optimize", help="propose anchor positions on the mounting regions (slime mould algorithm)")
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene file or a .twinloc project")
    parser.add_argument("--anchors", type=count(1, MAX_ANCHORS), required=True, metavar="N",
                        help=f"anchors to place, 1 to {MAX_ANCHORS}")
    _add_search_arguments(parser, "", "seed; the same seed gives the same result")
    parser.add_argument("--main-threshold", type=number_in(0.0, 1000.0), metavar="M", help="error allowed in main-area cells (default: no constraint)")
    parser.add_argument("--fixed", type=positions, metavar="X,Y,Z;...",
                        help=f"installed anchors kept where they are (metres), at most {MAX_ANCHORS}")
    parser.add_argument("--top", type=count(1, MAX_TOP), default=5, metavar="K",
                        help=f"distinct layouts to report, 1 to {MAX_TOP} (default 5)")
    parser.add_argument("--resolution", type=number_in(0.01, 5.0), metavar="M", help="cell size of the reported maps (default: the project's, else adapted to the floor area)")
    add_tag_height_argument(parser)
    parser.add_argument("--sheet-csv", metavar="FILE.csv", help="write the best layout's installation sheet (name,x_m,y_m,z_m,surface)")
    parser.add_argument("--sheet-html", metavar="FILE.html", help="write a printable installation sheet with a top view")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_optimize)

    parser = verbs.add_parser("plan-count", help="how many anchors the floor needs: the best layout of each count "
                                                 "and the least count meeting a p90 error target")
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene file or a .twinloc project")
    parser.add_argument("--target-p90", type=number_in(0.001, 1000.0), required=True, metavar="M",
                        help="p90 error to reach, metres; floor cells without a fix count as failing")
    parser.add_argument("--min-anchors", type=count(1, MAX_ANCHORS), default=3, metavar="N",
                        help=f"fewest anchors to try (default 3), 1 to {MAX_ANCHORS}")
    parser.add_argument("--max-anchors", type=count(1, MAX_ANCHORS), default=12, metavar="N",
                        help=f"most anchors to try (default 12), 1 to {MAX_ANCHORS}")
    _add_search_arguments(parser, " per count", "study seed; each count's search seed derives from it")
    parser.add_argument("--resolution", type=number_in(0.01, 5.0), metavar="M", help="cell size of the reported maps (default: the project's, else adapted to the floor area)")
    add_tag_height_argument(parser)
    add_scheduler_argument(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_plan_count)

    parser = verbs.add_parser("as-built", help="compare installed anchor positions with the plan and recompute the map")
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene file or a .twinloc project")
    parser.add_argument("--plan", required=True, metavar="FILE.csv", help="installation sheet (name,x_m,y_m,z_m[,surface])")
    parser.add_argument("--as-built", dest="as_built", required=True, metavar="FILE.csv", help="measured positions (name,x_m,y_m,z_m)")
    parser.add_argument("--resolution", type=number_in(0.01, 5.0), metavar="M", help="cell size of the maps (default: the project's, else adapted to the floor area)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_as_built)


def _add_search_arguments(parser: argparse.ArgumentParser, each: str, seed_help: str) -> None:
    """--population, --iterations (``each``: what they are counted per), --seed, --min-distance and --regions."""
    parser.add_argument("--population", type=count(4, MAX_POPULATION), default=50, metavar="P",
                        help=f"slime mould agents{each}, 4 to {MAX_POPULATION} (default 50)")
    parser.add_argument("--iterations", type=count(1, MAX_ITERATIONS), default=80, metavar="T",
                        help=f"iterations{each}, 1 to {MAX_ITERATIONS} (default 80)")
    add_seed_argument(parser, seed_help)
    parser.add_argument("--min-distance", type=number_in(0.0, 1000.0), default=1.0, metavar="M", help="least distance between anchors (default 1 m)")
    parser.add_argument("--regions", metavar="NAME,...",
                        help="mounting regions to use (default: all of the scene's and, for a project, the drawn ones)")


def run_optimize(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.geometry.cache import GeometryCache
    from twinloc.layout.problem import LayoutRequest, prepare_problem
    from twinloc.layout.search import optimize_layout
    from twinloc.geometry.grid import grid_resolution
    from twinloc.optim.baselines import differential_evolution_search, empirical_layouts, random_search
    from twinloc.optim.installation import planned_anchors, write_sheet_csv, write_sheet_html
    from twinloc.workspace import scene_with_mounting_regions

    check_writable(args.sheet_csv)
    check_writable(args.sheet_html)
    workspace = open_workspace(args.source)
    project = workspace.project
    try:
        scene = scene_with_mounting_regions(workspace.scene, project.mounting_regions)
    except ValueError as error:
        raise CliError(f"{args.source}: {error}") from None
    tag_height = tag_height_of(args, workspace)
    if args.fixed:
        if len(args.fixed) > MAX_ANCHORS:
            raise CliError(f"--fixed: {len(args.fixed)} anchors, more than the {MAX_ANCHORS} a search may keep")
        check_positions("--fixed", args.fixed, scene)
        check_distinct("--fixed", args.fixed)
    resolution = grid_resolution(scene, args.resolution if args.resolution is not None else project.settings.grid_resolution_m)
    check_map_size(args.source, scene, resolution, args.anchors + len(args.fixed or ()))
    request = LayoutRequest(
        anchor_count=args.anchors,
        min_distance_m=args.min_distance,
        fixed_anchors=tuple(tuple(p) for p in (args.fixed or ())),
        region_names=_region_names(args.regions),
        main_threshold_m=args.main_threshold,
        resolution_m=resolution,
        tag_height_m=tag_height,
        population=args.population,
        iterations=args.iterations,
        seed=args.seed,
        top_k=args.top,
        settings=project.error_map,
    )
    started = time.perf_counter()
    try:
        problem = prepare_problem(scene, request, geometry=GeometryCache())
    except ValueError as error:
        raise CliError(f"{args.source}: {error}") from None
    result = optimize_layout(problem, report_nothing, CancelToken())
    seconds = time.perf_counter() - started
    best = result.best
    space = problem.space

    budget = result.evaluations
    baselines: dict[str, float] = {}
    current = np.array([a.position for a in project.anchors if a.enabled], dtype=np.float64).reshape(-1, 3)
    if len(current) >= (3 if problem.settings.dimensions == 2 else 4):
        baselines["current_layout"] = problem.stats(current)[0]["sum_error_m"]
    searches = {
        "random_search": random_search(problem.fitness, space, budget, seed=args.seed),
        "differential_evolution": differential_evolution_search(problem.fitness, space, budget, seed=args.seed, population=args.population),
    }
    floor = _floor_polygon(problem)
    empirical = {f"empirical_{name}": x for name, x in empirical_layouts(space, floor).items()}
    for name, x in {**{k: v.best_x for k, v in searches.items()}, **empirical}.items():
        baselines[name] = problem.stats(space.positions(x[None])[0])[0]["sum_error_m"]
    best_sum = best.stats["sum_error_m"]
    best_empirical = min(baselines[name] for name in empirical)
    positions_best = np.vstack([space.fixed_anchors, best.positions])
    pair = np.linalg.norm(positions_best[:, None] - positions_best[None], axis=2)[np.triu_indices(len(positions_best), 1)]
    report = {
        "scene": scene.name,
        "best_layout": best.positions.tolist(),
        "best_surfaces": list(best.surfaces),
        "best_sum_error_m": best_sum,
        "best_stats": best.stats,
        "evaluations": result.evaluations,
        "seconds": round(seconds, 3),
        "baselines": baselines,
        "improvement_vs_paper_layout": _improvement(baselines.get("current_layout"), best_sum),
        "improvement_vs_best_empirical": _improvement(best_empirical, best_sum),
        "constraint_violations": {
            "min_distance_pairs": int((pair < args.min_distance - 1e-9).sum()),
            "main_area_cells": best.stats["main_area_violations"],
        },
        "top_layouts": [
            {"layout": layout.positions.tolist(), "surfaces": list(layout.surfaces), **layout.stats} for layout in result.layouts
        ],
        "convergence": result.convergence.tolist(),
        "fixed_anchors": space.fixed_anchors.tolist(),
        "mounting_regions": [surface.name for surface in space.surfaces],
    }
    sheet = planned_anchors(best.positions, best.surfaces)
    try:
        if args.sheet_csv:
            write_sheet_csv(sheet, args.sheet_csv)
        if args.sheet_html:
            write_sheet_html(sheet, scene, args.sheet_html)
    except OSError as error:
        raise CliError(f"cannot write the installation sheet: {error.strerror or error}") from None
    if args.json:
        print_json(report)
        return 0
    lines = [f"{scene.name}: {args.anchors} anchors, {result.evaluations} evaluations in {seconds:.1f} s",
             f"  on {', '.join(report['mounting_regions'])}"]
    for anchor in sheet:
        x, y, z = anchor.position
        lines.append(f"  {anchor.name}  ({x:.2f}, {y:.2f}, {z:.2f}) m  on {anchor.surface}")
    lines.append(f"  summed error {best_sum:.1f} m, mean {length_text(best.stats['mean_error_m'])}, "
                 f"p90 {length_text(best.stats['p90_error_m'])}")
    for name, value in baselines.items():
        lines.append(f"  {name:<28} {value:.1f} m")
    print("\n".join(lines))
    return 0


def run_plan_count(args: argparse.Namespace) -> int:
    from twinloc.geometry.grid import grid_resolution
    from twinloc.layout.plan_count import plan_count
    from twinloc.layout.problem import LayoutRequest
    from twinloc.workspace import scene_with_mounting_regions

    if args.min_anchors > args.max_anchors:
        raise CliError(f"--min-anchors {args.min_anchors} is more than --max-anchors {args.max_anchors}")
    workspace = open_workspace(args.source)
    project = workspace.project
    check_anchor_count("--min-anchors", args.min_anchors, project.error_map.dimensions)
    try:
        scene = scene_with_mounting_regions(workspace.scene, project.mounting_regions)
    except ValueError as error:
        raise CliError(f"{args.source}: {error}") from None
    tag_height = tag_height_of(args, workspace)
    resolution = grid_resolution(scene, args.resolution if args.resolution is not None else project.settings.grid_resolution_m)
    check_map_size(args.source, scene, resolution, args.max_anchors)
    request = LayoutRequest(
        anchor_count=args.min_anchors,
        min_distance_m=args.min_distance,
        region_names=_region_names(args.regions),
        resolution_m=resolution,
        tag_height_m=tag_height,
        population=args.population,
        iterations=args.iterations,
        seed=args.seed,
        settings=project.error_map,
    )
    counts = range(args.min_anchors, args.max_anchors + 1)
    with study(args, "plan-count") as (runner, progress):
        try:
            result = plan_count(scene, counts, args.target_p90, request, runner, progress=progress)
        except ValueError as error:
            raise CliError(f"{args.source}: {error}") from None
    report = {"scene": scene.name, "scheduler": args.scheduler, "population": args.population,
              "iterations": args.iterations, **result.to_json()}
    if args.json:
        print_json(report)
        return 0
    lines = [f"{scene.name}: {counts.start} to {counts.stop - 1} anchors, target p90 {length_text(args.target_p90)}, "
             f"{result.seconds:.1f} s"]
    for plan in result.plans:
        p90 = "no fix on over a tenth of the floor" if plan.p90_error_m is None else length_text(plan.p90_error_m)
        lines.append(f"  {plan.anchor_count:>2} anchors: p90 {p90}, mean {length_text(plan.mean_error_m)}, "
                     f"max {length_text(plan.max_error_m)}{'  meets the target' if plan.meets(args.target_p90) else ''}")
    lines.append(f"  fewest anchors meeting the target: {result.smallest_count}" if result.smallest_count is not None
                 else f"  no count from {counts.start} to {counts.stop - 1} meets the target")
    print("\n".join(lines))
    return 0


def _region_names(text: str | None) -> tuple[str, ...] | None:
    """The names of ``--regions NAME,...`` (None: the option was not given)."""
    return tuple(n.strip() for n in text.split(",") if n.strip()) if text else None


def run_as_built(args: argparse.Namespace) -> int:
    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.compute.error_map_jobs import error_map_job
    from twinloc.geometry.cache import GeometryCache
    from twinloc.geometry.grid import grid_resolution
    from twinloc.optim.installation import PlannedAnchor, deviations, read_as_built_csv
    from twinloc.uwb.layout_objective import weighted_sum_error

    workspace = open_workspace(args.source)
    scene, settings = workspace.scene, workspace.project.error_map
    try:
        plan_rows = read_as_built_csv(args.plan)
        built = read_as_built_csv(args.as_built)
    except ValueError as error:
        raise CliError(str(error)) from None
    for path, rows in ((args.plan, plan_rows), (args.as_built, built)):
        if not rows:
            raise CliError(f"{path}: no anchors (a header line and at least one anchor line are needed)")
        check_positions(path, list(rows.values()), scene, names=list(rows))
        check_distinct(path, list(rows.values()), names=list(rows))
    unknown = sorted(set(built) - set(plan_rows))
    if unknown:
        raise CliError(f"{args.as_built}: anchor(s) not in the plan: {', '.join(unknown)}")
    check_anchor_count(args.plan, len(plan_rows), settings.dimensions)
    resolution = grid_resolution(scene, args.resolution if args.resolution is not None else workspace.project.settings.grid_resolution_m)
    check_map_size(args.source, scene, resolution, len(plan_rows))
    planned = [PlannedAnchor(name, position) for name, position in plan_rows.items()]
    installed = [built.get(a.name, a.position) for a in planned]
    tag_height = workspace.project.settings.tag_height_or(scene.tag_height_m)
    geometry = GeometryCache()
    maps = {}
    for label, path, anchors in (("plan", args.plan, [a.position for a in planned]), ("as_built", args.as_built, installed)):
        job = error_map_job(scene, anchors, resolution, tag_height, settings, geometry)
        try:
            error_map = job.function(report_nothing, CancelToken())
        except ValueError as error:
            raise CliError(f"{args.source}: {error}") from None
        check_locatable(path, error_map)
        maps[label] = {**error_map.summary(), "weighted_sum_error_m": weighted_sum_error(error_map, scene)}
    report = {"scene": scene.name, "anchors": deviations(planned, built), "plan": maps["plan"], "as_built": maps["as_built"]}
    if args.json:
        print_json(report)
        return 0
    for row in report["anchors"]:
        text = "not reported" if row["distance_m"] is None else f"{length_text(row['distance_m'])} off plan"
        print(f"  {row['name']}: {text}")
    print(f"  summed error: plan {maps['plan']['weighted_sum_error_m']:.1f} m, as built {maps['as_built']['weighted_sum_error_m']:.1f} m")
    return 0


def _floor_polygon(problem):
    """(K, 2) metres: the outline of the objective cells (their bounding box)."""
    import numpy as np

    points = problem.report_grid.points[:, :2]
    half = 0.5 * problem.report_grid.resolution_m
    low, high = points.min(axis=0) - half, points.max(axis=0) + half
    return np.array([low, (high[0], low[1]), high, (low[0], high[1])])


def _improvement(reference: float | None, value: float) -> float | None:
    """Fraction by which ``value`` is below ``reference`` (None without a reference)."""
    if reference is None or not math.isfinite(reference) or reference <= 0:
        return None
    return (reference - value) / reference
