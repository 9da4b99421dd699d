"""Fingerprinting verbs.

``twinloc rp-plan SCENE``: reference points for a survey walk (seed 002, Fig. 7).
``twinloc fingerprint SCENE``: train a fingerprint positioning model on a survey and evaluate it on another.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from twinloc.cli_verbs.common import (
    CliError,
    add_seed_argument,
    add_tag_height_argument,
    check_positions,
    check_writable,
    count,
    floor_positions,
    length_text,
    number_in,
    open_workspace,
    print_json,
    save_model,
    tag_height_of,
)
from twinloc.fingerprint.limits import MAX_BETWEEN, MAX_LOOPS, MAX_MARKERS, MAX_SPACING_M, MIN_SPACING_M

#: Largest clearance to walls an RP plan may ask for, metres.
MAX_CLEARANCE_M = 10.0


#: Model kinds and feature kinds (twinloc.fingerprint.models.MODEL_KINDS, features.FEATURE_KINDS;
#: repeated so that building the parser loads neither).
MODELS = ("knn", "mlp", "lstm1", "lstm2")
FEATURES = ("rss", "range", "rss+range")
TWIN_MODES = ("none", "only", "prior")


def register(verbs: argparse._SubParsersAction) -> None:
    _register_rp_plan(verbs)
    _register_fingerprint(verbs)


def _register_rp_plan(verbs: argparse._SubParsersAction) -> None:
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


def _register_fingerprint(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "fingerprint", help="train a fingerprint positioning model (kNN, MLP, LSTM) on a survey, evaluate it on another"
    )
    parser.add_argument("source", metavar="SCENE", help="scene file, project file, or shipped scene name")
    parser.add_argument("--train", required=True, metavar="SURVEY.csv", help="the training survey (docs/survey-format.md)")
    parser.add_argument("--test", required=True, metavar="SURVEY.csv", help="the test survey")
    parser.add_argument("--model", choices=MODELS, default="knn",
                        help="weighted kNN (default), MLP, LSTM Model 1 (lagged RSS) or LSTM Model 2 (plus the "
                             "previous position); the LSTMs read the samples in time order")
    parser.add_argument("--features", choices=FEATURES, default="rss", help="what a fingerprint holds (default rss)")
    parser.add_argument("--twin", choices=TWIN_MODES, default="none",
                        help="none: train on the survey (default); only: on the twin's virtual survey; prior: "
                             "pre-train on the twin, fine-tune on the survey")
    parser.add_argument("--labelled-fraction", type=_fraction, default=1.0, metavar="F",
                        help="keep this fraction of the training reference points, whole points chosen by --seed "
                             "(0 < F <= 1, default 1)")
    parser.add_argument("--calibrate", action="store_true",
                        help="with --twin: calibrate the twin's radio map on the labelled points first")
    add_seed_argument(parser, "seed of the labelled points, the weights and the batch order")
    parser.add_argument("--out", metavar="predictions.csv",
                        help="write point,x_m,y_m,predicted_x_m,predicted_y_m,error_m per test sample")
    parser.add_argument("--save-model", metavar="FILE",
                        help="write the trained model, with the digest of the scene's twin (for twinloc model-update)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_fingerprint_verb)


def run_fingerprint_verb(args: argparse.Namespace) -> int:
    from twinloc.fingerprint.experiment import labelled_subset, run_fingerprint
    from twinloc.fingerprint.features import FeatureSpec
    from twinloc.fingerprint.files import write_predictions_csv
    from twinloc.fingerprint.models import default_settings
    from twinloc.fingerprint.twin import twin_training

    check_writable(args.out)
    check_writable(args.save_model)
    if args.calibrate and args.twin == "none":
        raise CliError("--calibrate: calibrates the twin, so it needs --twin only or --twin prior")
    scene = open_workspace(args.source).scene
    train = _read_survey(args.train, scene, min_points=2)
    test = _read_survey(args.test, scene, min_points=1)
    spec = FeatureSpec(args.features, train.transmitters)
    for option, path, survey in (("--train", args.train, train), ("--test", args.test, test)):
        try:
            spec.features(survey)
        except ValueError as error:
            raise CliError(f"{option} {path}: {error}") from None
    labelled = labelled_subset(train, args.labelled_fraction, args.seed)
    settings = default_settings(args.model, args.features, args.seed)
    twin = None
    if args.twin != "none":
        try:
            training = twin_training(scene, labelled, args.model, args.twin, settings, calibrated=args.calibrate,
                                     seed=args.seed)
        except ValueError as error:
            raise CliError(f"--twin {args.twin}: {error}") from None
        twin, settings = training.twin, training.settings
    try:
        run = run_fingerprint(args.model, train, test, settings, labelled_fraction=args.labelled_fraction,
                              seed=args.seed, twin_survey=None if twin is None else twin.survey, twin=args.twin)
    except ValueError as error:
        raise CliError(f"{args.train}: {error}") from None
    if args.out:
        try:
            write_predictions_csv(args.out, test, run.predicted)
        except OSError as error:
            raise CliError(f"{args.out}: cannot write: {error.strerror or error}") from None
    if args.save_model:
        save_model(replace(run.model, scene_digest=scene.content_hash()), args.save_model)
    report = {
        **{key: round(value, 4) for key, value in run.metrics.as_dict().items()},
        "train_seconds": round(run.train_seconds, 3),
        "train_points": run.train_points,
        "labelled_points": run.labelled_points,
        "twin_points": run.twin_points,
        "test_samples": run.test_samples,
        "model": args.model,
        "features": args.features,
        "twin": args.twin,
        "calibration": None if twin is None else twin.calibration_report(),
        "neighbours": settings.neighbours if args.model == "knn" else None,
        "seed": args.seed,
        "scene": scene.name,
        "out": args.out,
        "saved_model": args.save_model,
    }
    if args.json:
        print_json(report)
        return 0
    metrics = run.metrics
    print(f"{scene.name}: {args.model} on {run.labelled_points} of {run.train_points} reference points "
          f"(twin: {args.twin}), {run.test_samples} test samples")
    print(f"  mean {length_text(metrics.mean_m)}  RMSE {length_text(metrics.rmse_m)}  p50 {length_text(metrics.p50_m)}  "
          f"p67 {length_text(metrics.p67_m)}  p80 {length_text(metrics.p80_m)}  p90 {length_text(metrics.p90_m)}  "
          f"within 2 m {100 * metrics.within_2m:.1f} %")
    return 0


def _read_survey(path: str, scene, min_points: int):
    from twinloc.fingerprint.survey import SurveyError, read_survey_csv

    try:
        return read_survey_csv(path, scene, min_points=min_points)
    except SurveyError as error:
        raise CliError(str(error)) from None


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is outside (0, 1]: give the fraction of reference points to keep")
    return value
