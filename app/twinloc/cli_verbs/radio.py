"""``twinloc radiomap SCENE``: path gain, RSS, range and LOS of each transmitter over the floor."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from twinloc.cli_verbs.common import (
    CliError, add_scheduler_argument, check_distinct, check_map_size, check_positions, check_tag_height, check_writable,
    count, height, number_in, open_workspace, positions, print_json, study,
)


def register(verbs: argparse._SubParsersAction) -> None:
    from twinloc.model.devices import MAX_FREQUENCY_HZ, MAX_POWER_DBM, MIN_FREQUENCY_HZ, MIN_POWER_DBM
    from twinloc.radio.specular import MAX_DEPTH

    parser = verbs.add_parser("radiomap", help="radio map (path gain, RSS, range, LOS) of every transmitter over the floor")
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    parser.add_argument("--anchors", type=positions, metavar="X,Y,Z;...",
                        help="anchor positions in metres, replacing the project's or scene's anchors (its access points stay)")
    parser.add_argument("--frequency-ghz", type=number_in(MIN_FREQUENCY_HZ / 1e9, MAX_FREQUENCY_HZ / 1e9, unit="GHz"), metavar="F",
                        help="carrier of every transmitter, GHz (default: each one's own; anchors 6.5 GHz)")
    parser.add_argument("--tx-power-dbm", type=number_in(MIN_POWER_DBM, MAX_POWER_DBM, unit="dBm"), metavar="P",
                        help="transmit power of every transmitter, dBm (default: each one's own; anchors 0 dBm)")
    parser.add_argument("--resolution", type=number_in(0.01, 5.0), metavar="M", default=0.25,
                        help="grid cell size in metres (default: 0.25)")
    parser.add_argument("--height", type=height, metavar="M", help="receiver height in metres (default: the scene's tag height)")
    parser.add_argument("--max-depth", type=count(0, MAX_DEPTH), metavar="N", default=2,
                        help=f"reflections per path, 0 to {MAX_DEPTH} (default: 2)")
    parser.add_argument("--out", metavar="FILE.csv",
                        help="write x_m,y_m,z_m,transmitter,path_gain_db,rss_dbm,range_m,los for every cell and transmitter")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_scheduler_argument(parser)
    parser.set_defaults(run=run_radiomap)


def run_radiomap(args: argparse.Namespace) -> int:
    import numpy as np

    from twinloc.cancellation import CancelToken
    from twinloc.compute.radiomap_jobs import radio_map_job
    from twinloc.geometry.cache import GeometryCache
    from twinloc.model.devices import Anchor
    from twinloc.radio.radiomap import NO_SIGNAL_DB, RadioSettings, radio_map_to_csv
    from twinloc.radio.transmitters import transmitters_of

    check_writable(args.out)
    workspace = open_workspace(args.source)
    scene = workspace.scene
    if args.anchors is not None:
        check_positions("--anchors", args.anchors, scene)
        check_distinct("--anchors", args.anchors)
        anchors = tuple(Anchor(f"A{i + 1}", tuple(p)) for i, p in enumerate(args.anchors))
    else:
        anchors = tuple(workspace.project.anchors)
    frequency_hz = None if args.frequency_ghz is None else args.frequency_ghz * 1e9
    own_devices = replace(scene, anchors=anchors, access_points=tuple(workspace.project.access_points))
    transmitters = transmitters_of(own_devices, frequency_hz, args.tx_power_dbm)
    if not transmitters:
        raise CliError(f"{args.source}: no enabled access points or anchors; give anchors with --anchors \"x,y,z;x,y,z\"")
    receiver_height = args.height if args.height is not None else workspace.project.settings.tag_height_or(scene.tag_height_m)
    if args.height is not None:
        check_tag_height("--height", args.height, scene)
    check_map_size(args.source, scene, args.resolution, len(transmitters))
    settings = RadioSettings(max_depth=args.max_depth, receiver_height_m=receiver_height)
    geometry = GeometryCache()

    started = time.perf_counter()
    with study(args, "Radio map") as (runner, progress):
        job = radio_map_job(scene, transmitters, args.resolution, settings, geometry, runner)
        try:
            result = job.function(progress, CancelToken())
        except ValueError as error:  # a frequency outside a material's range, a grid or search too big
            raise CliError(f"{args.source}: {error}") from None
    seconds = time.perf_counter() - started
    radio_map = result.radio_map
    if radio_map.points.shape[0] == 0:
        raise CliError(f"{args.source}: {result.grid.empty_reason}")
    if args.out:
        try:
            radio_map_to_csv(radio_map, args.out)
        except OSError as error:
            raise CliError(f"{args.out}: cannot write: {error.strerror or error}") from None

    per_transmitter = []
    for column, transmitter in enumerate(transmitters):
        gains = radio_map.path_gain_db[:, column]
        reached = gains > NO_SIGNAL_DB
        per_transmitter.append({
            "name": transmitter.name,
            "position": list(transmitter.position),
            "frequency_ghz": transmitter.frequency_hz / 1e9,
            "power_dbm": transmitter.power_dbm,
            "path_gain_db": {
                "mean": float(gains[reached].mean()) if reached.any() else None,
                "min": float(gains[reached].min()) if reached.any() else None,
                "max": float(gains[reached].max()) if reached.any() else None,
            },
            "cells_reached": int(reached.sum()),
            "los_fraction": float(np.mean(radio_map.los[:, column])),
        })
    report = {
        "scene": scene.name,
        "cells": int(radio_map.points.shape[0]),
        "transmitters": len(transmitters),
        "seconds": round(seconds, 4),
        "resolution_m": args.resolution,
        "height_m": receiver_height,
        "max_depth": args.max_depth,
        "per_transmitter": per_transmitter,
        "backend": geometry.ray_engine(scene).backend,
        "out": args.out,
    }
    if args.json:
        print_json(report)
    else:
        lines = [f"{scene.name}: {report['cells']} cells at {args.resolution:g} m, height {receiver_height:g} m, "
                 f"{len(transmitters)} transmitters, reflections up to {args.max_depth}"]
        for entry in per_transmitter:
            gain = entry["path_gain_db"]
            span = "no cell reached" if gain["mean"] is None else \
                f"path gain mean {gain['mean']:.1f} dB (min {gain['min']:.1f}, max {gain['max']:.1f})"
            lines.append(f"  {entry['name']:<12} {entry['frequency_ghz']:g} GHz {entry['power_dbm']:g} dBm  {span}")
        lines.append(f"  time {seconds:.2f} s ({report['backend']})" + (f", written {args.out}" if args.out else ""))
        print("\n".join(lines))
    return 0
