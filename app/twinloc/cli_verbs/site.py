"""Site-change verbs.

``twinloc model-update SCENE --model FILE --change EDIT.json``: apply a scene edit
(docs/site-changes.md), find the change map, update the fingerprint model on the changed
twin, and report accuracy before the change, after it without and with the update.

``twinloc csi-dataset-update SCENE --dataset FILE.npz --change EDIT.json --out NEW.npz``: the
CSI dataset made on the scene, as it is after the edit, with only its changed samples
synthesised again.
"""

from __future__ import annotations

import argparse

from twinloc.cli_verbs.common import (CliError, add_seed_argument, check_writable, length_text, open_workspace,
                                      print_json, save_model)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "model-update", help="after a scene edit: the change map, the stale model's accuracy and the updated model's")
    parser.add_argument("source", metavar="SCENE", help="the scene before the change: file, project or shipped name")
    parser.add_argument("--model", required=True, metavar="FILE",
                        help="a fingerprint model (twinloc fingerprint --save-model) of the scene's transmitters")
    parser.add_argument("--change", required=True, metavar="EDIT.json", help="the scene edit (docs/site-changes.md)")
    add_seed_argument(parser, "seed of the twin's training samples (the model's own training seed)")
    parser.add_argument("--save-model", metavar="FILE", help="write the updated model")
    parser.add_argument("--out", metavar="change_map.csv",
                        help="write the change map: x_m,y_m,z_m,changed,transmitters per floor cell")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_model_update)

    parser = verbs.add_parser(
        "csi-dataset-update", help="after a scene edit: a CSI dataset with only its changed samples synthesised again")
    parser.add_argument("source", metavar="SCENE", help="the scene before the change: file, project or shipped name")
    parser.add_argument("--dataset", required=True, metavar="FILE.npz",
                        help="a CSI dataset made on the scene (twinloc csi-dataset)")
    parser.add_argument("--change", required=True, metavar="EDIT.json", help="the scene edit (docs/site-changes.md)")
    parser.add_argument("--out", required=True, metavar="NEW.npz", help="the updated dataset file to write")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_csi_dataset_update)


def run_model_update(args: argparse.Namespace) -> int:
    from twinloc.fingerprint.files import FingerprintModelError, load_fingerprint_model
    from twinloc.fingerprint.model_update import floor_data, update_model
    from twinloc.fingerprint.site_change import SceneEditError, stale

    check_writable(args.save_model)
    check_writable(args.out)
    scene = open_workspace(args.source).scene
    try:
        fitted = load_fingerprint_model(args.model)
    except FingerprintModelError as error:
        raise CliError(f"--model {error}") from None
    edits = _edits(args.change)
    try:
        floor = floor_data(scene, fitted.spec.transmitters)
    except ValueError as error:
        raise CliError(f"--model {args.model}: {error}") from None
    try:
        update = update_model(fitted, scene, edits, seed=args.seed, floor=floor)
    except SceneEditError as error:
        raise CliError(f"--change {args.change}: {error}") from None
    except ValueError as error:
        raise CliError(f"--model {args.model}: {error}") from None
    if args.save_model:
        save_model(update.model, args.save_model)
    if args.out:
        try:
            update.changes.write_csv(args.out)
        except OSError as error:
            raise CliError(f"{args.out}: cannot write: {error.strerror or error}") from None
    stages = ("before", "stale", "updated", "retrained")
    report = {
        **{stage: _accuracy(getattr(update, stage)) for stage in stages},
        **{f"{stage}_changed_cells": _accuracy(getattr(update, f"{stage}_changed")) for stage in stages[:3]},
        "changed_cells": int(update.changes.changed_cells.sum()),
        "cells": len(floor.points),
        "changed_links": int(update.changes.changed.sum()),
        "model_was_current": not stale(fitted.scene_digest, scene),
        "update_seconds": round(update.update_seconds, 3),
        "retrain_seconds": round(update.retrain_seconds, 3),
        "model": fitted.kind,
        "scene": scene.name,
        "saved_model": args.save_model,
        "out": args.out,
    }
    if args.json:
        print_json(report)
        return 0
    print(f"{scene.name}: {report['changed_cells']} of {report['cells']} floor cells changed; {fitted.kind} model")
    for stage in stages:
        metrics = getattr(update, stage)
        print(f"  {stage:9s} mean {length_text(metrics.mean_m)}  p90 {length_text(metrics.p90_m)}")
    print(f"  update {update.update_seconds:.2f} s, from scratch {update.retrain_seconds:.2f} s")
    return 0


def run_csi_dataset_update(args: argparse.Namespace) -> int:
    from twinloc.fingerprint.csi_update import regenerate_csi_dataset
    from twinloc.fingerprint.site_change import SceneEditError
    from twinloc.model.input_files import InputFileError

    check_writable(args.out)
    scene = open_workspace(args.source).scene
    edits = _edits(args.change)
    try:
        result = regenerate_csi_dataset(args.dataset, scene, edits, args.out)
    except SceneEditError as error:
        raise CliError(f"--change {args.change}: {error}") from None
    except FileNotFoundError:
        raise CliError(f"--dataset {args.dataset}: no such file") from None
    except ValueError as error:  # not a CSI dataset, or one made on another scene
        raise CliError(f"--dataset {error}") from None
    except InputFileError as error:  # a folder, a pipe or a file too large as the dataset
        raise CliError(f"--dataset {args.dataset}: cannot read: {error}") from None
    except OSError as error:
        raise CliError(f"{args.out}: cannot write: {error.strerror or error}") from None
    report = {"samples": len(result.changed), "changed_samples": int(result.changed.sum()), "bytes": result.bytes,
              "seconds": round(result.seconds, 3), "scene": scene.name, "dataset": args.dataset, "out": args.out}
    if args.json:
        print_json(report)
    else:
        print(f"{scene.name}: {report['changed_samples']} of {report['samples']} samples of {args.dataset} changed; "
              f"written {args.out} in {result.seconds:.2f} s")
    return 0


def _edits(path: str):
    """The scene edits of ``--change`` ``path``; CliError naming the option when unreadable."""
    from twinloc.fingerprint.site_change import SceneEditError, read_scene_edits

    try:
        return read_scene_edits(path)
    except SceneEditError as error:
        raise CliError(f"--change {error}") from None


def _accuracy(metrics) -> dict | None:
    return None if metrics is None else {"mean_m": round(metrics.mean_m, 4), "p90_m": round(metrics.p90_m, 4)}
