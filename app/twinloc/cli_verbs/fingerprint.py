"""``twinloc fingerprint SCENE``: train a fingerprint positioning model on a survey and evaluate it on another."""

from __future__ import annotations

import argparse

from twinloc.cli_verbs.common import CliError, add_seed_argument, check_writable, length_text, open_workspace, print_json

#: Model kinds and feature kinds (twinloc.fingerprint.models.MODEL_KINDS, features.FEATURE_KINDS;
#: repeated so that building the parser loads neither).
MODELS = ("knn", "mlp", "lstm1", "lstm2")
FEATURES = ("rss", "range", "rss+range")
TWIN_MODES = ("none", "only", "prior")


def register(verbs: argparse._SubParsersAction) -> None:
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
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_fingerprint_verb)


def run_fingerprint_verb(args: argparse.Namespace) -> int:
    from twinloc.fingerprint.experiment import labelled_subset, run_fingerprint
    from twinloc.fingerprint.features import FeatureSpec
    from twinloc.fingerprint.files import write_predictions_csv
    from twinloc.fingerprint.models import default_settings

    check_writable(args.out)
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
    twin = _twin_survey(args, scene, labelled) if args.twin != "none" else None
    settings = default_settings(args.model, args.features, args.seed)
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
        "calibration": None if twin is None or twin.calibration is None else {
            "rms_before_db": round(twin.calibration.rms_before_db, 3),
            "rms_after_db": round(twin.calibration.rms_after_db, 3),
            "links": twin.calibration.links,
        },
        "seed": args.seed,
        "scene": scene.name,
        "out": args.out,
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


def _twin_survey(args: argparse.Namespace, scene, labelled):
    """The twin's virtual survey of the floor, calibrated on ``labelled`` with --calibrate."""
    from twinloc.fingerprint.twin import twin_survey

    try:
        return twin_survey(scene, labelled, calibrated=args.calibrate, seed=args.seed)
    except ValueError as error:
        raise CliError(f"--twin {args.twin}: {error}") from None


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is outside (0, 1]: give the fraction of reference points to keep")
    return value
