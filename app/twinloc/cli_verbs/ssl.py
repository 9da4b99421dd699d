"""``twinloc fingerprint-ssl DATASET.npz``: positioning from a fraction of labels (seed 003)."""

from __future__ import annotations

import argparse
from contextlib import nullcontext

from twinloc.cli_verbs.common import (
    CliError,
    add_scheduler_argument,
    add_seed_argument,
    count,
    number_in,
    print_json,
    study,
)


def register(verbs: argparse._SubParsersAction) -> None:
    from twinloc.fingerprint.ssl import INPUTS, MAX_ROUNDS, MAX_SAMPLES, METHODS

    parser = verbs.add_parser("fingerprint-ssl", help="learn positions from a CSI dataset of which only a fraction is labelled")
    parser.add_argument("dataset", metavar="DATASET.npz", help="a CSI dataset written by twinloc csi-dataset")
    parser.add_argument("--labelled-fraction", type=number_in(0.001, 1.0, unit=""), default=0.1, metavar="F",
                        help="share of the training samples whose positions are known, 0.001 to 1 (default: 0.1)")
    parser.add_argument("--method", choices=METHODS, default="consistency",
                        help="supervised (labelled only), consistency (seed 003), mean-teacher, or ensemble of the three "
                             "(default: consistency)")
    parser.add_argument("--rounds", type=count(1, MAX_ROUNDS), default=1, metavar="K",
                        help=f"pseudo-label rounds of the consistency method, 1 to {MAX_ROUNDS} (default: 1)")
    parser.add_argument("--input", choices=INPUTS, default="angle-delay",
                        help="angle-delay images (a CNN) or multipath features (an MLP) (default: angle-delay)")
    parser.add_argument("--agreement-m", type=number_in(0.001, 1000.0), default=1.0, metavar="R",
                        help="distance within which two pseudo-positions agree, metres (default: 1)")
    parser.add_argument("--epochs", type=count(1, 10_000), default=150, metavar="E",
                        help="epochs of the first training; fine-tunings take E / 2.5 (default: 150)")
    parser.add_argument("--sector-rotation", action="store_true",
                        help="rotate the labels of each sector into the others (seed 003); needs a dataset made with "
                             "csi-dataset --sectors N in a twin symmetric about the base station")
    add_scheduler_argument(parser, default="none",
                           why="; only --method ensemble uses it, running its three members side by side with the "
                               "same results: one member trains in seconds, about what starting a LocalCluster costs")
    add_seed_argument(parser, "seeds the split, the initial weights and the batch order")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_fingerprint_ssl)
    parser.epilog = f"Datasets of at most {MAX_SAMPLES:,} samples; 20 % of them are held out as the test split."


def run_fingerprint_ssl(args: argparse.Namespace) -> int:
    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.compute.ssl_jobs import SslRequest, ssl_job
    from twinloc.fingerprint.ssl import SslSettings

    settings = SslSettings(pretrain_epochs=args.epochs, finetune_epochs=max(1, round(args.epochs / 2.5)),
                           agreement_m=args.agreement_m)
    if args.scheduler != "none" and args.method != "ensemble":
        raise CliError(f"--scheduler {args.scheduler}: only --method ensemble runs as a study (its three members); "
                       f"drop --scheduler or use --method ensemble")
    request = SslRequest(args.dataset, args.input, args.labelled_fraction, args.method, args.rounds, args.seed, settings,
                         sector_rotation=args.sector_rotation)
    members = study(args, "Training the ensemble") if args.method == "ensemble" else nullcontext((None, report_nothing))
    try:
        with members as (runner, progress):
            result = ssl_job(request, runner=runner).function(progress, CancelToken())
    except FileNotFoundError:
        raise CliError(f"{args.dataset}: no such file") from None
    except OSError as error:
        raise CliError(f"{args.dataset}: cannot read: {error.strerror or error}") from None
    except ValueError as error:  # not a dataset (the message names it), too few samples for the split
        text = str(error)
        if text.startswith("sector rotation"):
            raise CliError(f"--sector-rotation: {args.dataset}: {text}") from None
        raise CliError(text if text.startswith(str(args.dataset)) else f"--labelled-fraction: {text}") from None
    report = {"dataset": str(args.dataset), "input": args.input, **result.as_dict()}
    if args.json:
        print_json(report)
        return 0
    print(f"{args.method} on {args.dataset} ({args.input}, {result.labelled} labelled, {result.unlabelled} unlabelled, "
          f"{len(result.test)} test samples, {result.rotated_labels} rotated labels): mean {result.metrics.mean_m:.3f} m, p50 {result.metrics.p50_m:.3f} m, "
          f"p90 {result.metrics.p90_m:.3f} m; trained in {result.train_seconds:.1f} s")
    for number, found in enumerate(result.rounds, 1):
        print(f"  round {number}: {found.accepted} pseudo-labels kept (true error {found.accepted_error_m:.3f} m), "
              f"{found.rejected} dropped ({found.rejected_error_m:.3f} m)")
    for name, metrics in result.members.items():
        print(f"  {name}: mean {metrics.mean_m:.3f} m, p90 {metrics.p90_m:.3f} m")
    return 0
