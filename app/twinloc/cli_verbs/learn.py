"""``twinloc train-mitigation SCENE``: an error mitigation model trained on twin data, and
evaluated three ways: on held-out measuring points, over the floor, and on the paper's split."""

from __future__ import annotations

import argparse
import math

from twinloc.cli_verbs.common import (
    CliError,
    add_layout_arguments,
    add_seed_argument,
    check_anchor_count,
    check_positions,
    check_writable,
    count,
    length_text,
    print_json,
    resolve_layout,
)
from twinloc.model.analysis import MAX_GROUPS

#: Most epochs of a training stage (early stopping and --time-limit usually end it sooner).
MAX_EPOCHS = 100_000


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "train-mitigation", help="pre-train an error mitigation model on twin data, fine-tune on measured data"
    )
    add_layout_arguments(parser)
    parser.add_argument("--model", choices=("per-link", "paper"), default="per-link",
                        help="per-link: a range correction per anchor link from the twin's view of it, gated so that "
                             "consistent line-of-sight ranges pass unchanged (default); paper: seed 004's network, "
                             "eight fixes in, a position out")
    parser.add_argument("--epochs", type=count(1, MAX_EPOCHS), default=30, metavar="E",  # DEFAULT_PRETRAIN.epochs
                        help=f"most epochs of pre-training on the virtual data, 1 to {MAX_EPOCHS} (default 30)")
    parser.add_argument("--fine-tune-epochs", type=count(1, MAX_EPOCHS), default=200, metavar="E",
                        help=f"most epochs of fine-tuning on the measured data, 1 to {MAX_EPOCHS}; early stopping "
                             "usually ends it sooner (default 200)")
    parser.add_argument("--time-limit", type=_positive_seconds, metavar="SECONDS",
                        help="wall-clock budget of each stage; the best weights so far are kept when it runs out")
    add_seed_argument(parser, "seed of the data, the weights and the split")
    parser.add_argument("--groups", type=count(1, MAX_GROUPS), default=20, metavar="G",
                        help=f"virtual samples per grid cell, 1 to {MAX_GROUPS} (default 20)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--measured", metavar="FILE.csv",
                        help="measured data (true_x,true_y,measured_x,measured_y or wide); the per-link model needs "
                             "the ranges per anchor as well")
    source.add_argument(
        "--simulate-site", action="store_true",
        help="measure a simulated physical site (a deliberately different twin); the default without --measured",
    )
    parser.add_argument(
        "--split", choices=("points", "samples"), default="points",
        help="the model kept: fine-tuned with 20%% of the measuring points held out (default; tests the correction "
             "where nothing was measured) or 20%% of the samples (the paper's split); both are reported",
    )
    parser.add_argument("--save", metavar="MODEL.pt", help="write the fine-tuned model (paper model only)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_train_mitigation)


def run_train_mitigation(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import numpy as np

    from twinloc.cancellation import CancelToken, report_nothing
    from twinloc.compute.mitigation_jobs import mitigation_job, virtual_dataset_job
    from twinloc.geometry.cache import GeometryCache
    from twinloc.mitigation.datasets import measured_csv_dataset
    from twinloc.mitigation.site import simulated_site_dataset
    from twinloc.mitigation.training import DEFAULT_FINE_TUNE, DEFAULT_PRETRAIN, PROTOCOL_LABELS, worse_than_raw
    from twinloc.uwb.measured import MeasuredDataError

    check_writable(args.save)
    if args.save and args.model == "per-link":
        raise CliError("--save: only the paper model (--model paper) can be saved; the per-link model is read "
                       "from the twin's link table, which a model file does not hold")
    layout = resolve_layout(args)
    scene = layout.workspace.scene
    ranging = layout.workspace.project.error_map.ranging
    check_anchor_count(args.source, len(layout.anchors), 2)  # the fixes are 2D
    geometry = GeometryCache()
    try:
        if args.measured:
            measured = measured_csv_dataset(args.measured, scene, layout.anchors, layout.tag_height_m, geometry)
            at_tag_height = np.column_stack([measured.true, np.full(len(measured.true), layout.tag_height_m)])
            check_positions(f"{args.measured}: measuring point", at_tag_height, scene)
        else:
            measured = simulated_site_dataset(scene, layout.anchors, layout.tag_height_m, layout.resolution_m, ranging,
                                              geometry=geometry)
        virtual = virtual_dataset_job(scene, layout.anchors, layout.tag_height_m, layout.resolution_m, args.groups,
                                      ranging, args.seed, geometry)
        pretrain = replace(DEFAULT_PRETRAIN, epochs=args.epochs, seed=args.seed, time_limit_s=args.time_limit)
        fine_tune = replace(DEFAULT_FINE_TUNE, epochs=args.fine_tune_epochs, seed=args.seed, time_limit_s=args.time_limit)
        architecture = "per_link" if args.model == "per-link" else "mitigation_net"
        job = mitigation_job(scene, virtual, measured, pretrain, fine_tune, architecture=architecture, split=args.split,
                             seed=args.seed, save_path=args.save, geometry=geometry)
        result = job.function(report_nothing, CancelToken())
    except (MeasuredDataError, ValueError) as error:
        raise CliError(f"{args.source}: {error}") from None
    except OSError as error:
        raise CliError(f"{args.save}: cannot write: {error.strerror or error}") from None
    protocols = result.protocols
    worse = worse_than_raw(protocols)
    report = {
        "model": args.model,
        "los_mean_error_m": result.errors["los"],
        "nlos_mean_error_m": result.errors["nlos"],
        "protocols": protocols,
        "worse_than_raw": worse,
        "train_seconds": round(result.train_seconds, 3),
        "samples": result.samples,
        "epochs": {stage: len(training.history.train_loss) for stage, training in result.training.items()},
        "stopped": {stage: training.stopped for stage, training in result.training.items()},
        "measured_source": measured.provenance["kind"],
        "split": args.split,
        "scene": scene.name,
        "saved": args.save,
    }
    if args.json:
        print_json(report)
        return 0
    label = " (SIMULATED site)" if measured.provenance["kind"] == "simulated site" else ""
    print(f"{scene.name}: {args.model} model trained on {result.samples['virtual']} virtual and "
          f"{result.samples['measured_train']} measured samples{label} in {result.train_seconds:.1f} s")
    for area in ("los", "nlos"):
        values = "  ".join(f"{name} {length_text(value)}" for name, value in result.errors[area].items())
        print(f"  {area.upper():4s} mean error  {values}")
    for key, rows in protocols.items():
        values = "  ".join(f"{area.upper()} {length_text(row['raw'])} -> {length_text(row['nn'])}"
                           for area, row in rows.items())
        print(f"  {PROTOCOL_LABELS[key]:26s} {values}")
    for line in worse:
        print(f"  WARNING: worse than raw in {line}")
    return 0


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value

