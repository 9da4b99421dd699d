"""``twinloc csi-dataset SCENE``: the twin's channel of one base station over the floor, as a dataset file."""

from __future__ import annotations

import argparse
import re
import time

from twinloc.cli_verbs.common import (
    CliError, add_scheduler_argument, add_seed_argument, check_tag_height, check_writable, count, height, number_in,
    open_workspace, print_json, study,
)

_ARRAY = re.compile(r"^\s*(\d{1,4})\s*[xX]\s*(\d{1,4})\s*$")


def array_shape(text: str) -> tuple[int, int]:
    """Argument type of an antenna array ``ROWSxCOLUMNS`` (1x32: a linear array of 32)."""
    from twinloc.radio.channel import MAX_ANTENNAS

    match = _ARRAY.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not ROWSxCOLUMNS, for example 1x32 or 4x8")
    rows, columns = int(match[1]), int(match[2])
    if not (rows >= 1 and columns >= 1 and rows * columns <= MAX_ANTENNAS):
        raise argparse.ArgumentTypeError(f"{text} has {rows * columns} antennas; 1 to {MAX_ANTENNAS}")
    return rows, columns


array_shape.__name__ = "array"


def register(verbs: argparse._SubParsersAction) -> None:
    from twinloc.fingerprint.csi_dataset import DEFAULT_DELAY_BINS
    from twinloc.fingerprint.sectors import MAX_SECTORS
    from twinloc.model.devices import MAX_FREQUENCY_HZ, MIN_FREQUENCY_HZ
    from twinloc.radio.channel import MAX_BANDWIDTH_HZ, MAX_SUBCARRIERS
    from twinloc.radio.radiomap import MAX_STRONGEST_PATHS
    from twinloc.radio.specular import MAX_DEPTH

    parser = verbs.add_parser("csi-dataset", help="channel (CSI, angle-delay image, multipath) of a base station over the floor")
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    parser.add_argument("--bs", required=True, metavar="NAME", help="the base station (or access point) whose channel to synthesise")
    parser.add_argument("--array", type=array_shape, default=(1, 32), metavar="RxC",
                        help="antenna rows x columns, at most 256 antennas (default: 1x32, a linear array along x)")
    parser.add_argument("--spacing", type=number_in(0.05, 10.0, unit="wavelengths"), default=0.5, metavar="W",
                        help="antenna spacing in wavelengths, 0.05 to 10 (default: 0.5)")
    parser.add_argument("--subcarriers", type=count(1, MAX_SUBCARRIERS), default=408, metavar="S",
                        help=f"OFDM subcarriers, 1 to {MAX_SUBCARRIERS} (default: 408)")
    parser.add_argument("--bandwidth-mhz", type=number_in(0.001, MAX_BANDWIDTH_HZ / 1e6, unit="MHz"), default=100.0, metavar="B",
                        help=f"OFDM bandwidth, MHz, up to {MAX_BANDWIDTH_HZ / 1e6:g} (default: 100)")
    parser.add_argument("--frequency-ghz", type=number_in(MIN_FREQUENCY_HZ / 1e9, MAX_FREQUENCY_HZ / 1e9, unit="GHz"),
                        default=3.5, metavar="F", help="centre frequency, GHz (default: 3.5)")
    parser.add_argument("--noise-db", type=number_in(-30.0, 100.0, unit="dB"), metavar="SNR",
                        help="add white noise at this signal-to-noise ratio per sample, dB, -30 to 100 (default: none)")
    parser.add_argument("--timing-offset-ns", type=number_in(0.0, 1000.0, unit="ns"), default=0.0, metavar="T",
                        help="each sample's timing-advance error is drawn from 0 to T ns (default: 0)")
    parser.add_argument("--delay-bins", type=count(1, MAX_SUBCARRIERS), metavar="D",
                        help=f"delay bins kept in the angle-delay image, up to the subcarriers (default: {DEFAULT_DELAY_BINS})")
    parser.add_argument("--paths", type=count(1, MAX_STRONGEST_PATHS), default=4, metavar="K",
                        help=f"strongest paths kept as multipath features, 1 to {MAX_STRONGEST_PATHS} (default: 4)")
    parser.add_argument("--max-depth", type=count(0, MAX_DEPTH), default=2, metavar="N",
                        help=f"reflections per path, 0 to {MAX_DEPTH} (default: 2)")
    parser.add_argument("--resolution", type=number_in(0.01, 5.0), default=0.25, metavar="M",
                        help="floor grid cell size in metres (default: 0.25)")
    parser.add_argument("--height", type=height, metavar="M", help="receiver height in metres (default: the scene's tag height)")
    parser.add_argument("--keep-csi", action="store_true", help="also store the CSI itself (antennas x subcarriers per sample)")
    parser.add_argument("--sectors", type=count(1, MAX_SECTORS), default=1, metavar="N",
                        help=f"sectors of the base station, 1 to {MAX_SECTORS}, each with its own array facing its "
                             "bisector (90 + k * 360 / N degrees); stores each sample's sector (default: 1)")
    add_seed_argument(parser, "seeds the timing offsets and the noise")
    parser.add_argument("--out", required=True, metavar="FILE.npz", help="the dataset file to write")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_scheduler_argument(parser)
    parser.set_defaults(run=run_csi_dataset)


def run_csi_dataset(args: argparse.Namespace) -> int:
    from twinloc.cancellation import CancelToken
    from twinloc.compute.csi_jobs import csi_dataset_job
    from twinloc.fingerprint.csi_dataset import MAX_SAMPLES, CsiSettings
    from twinloc.geometry.grid import grid_shape
    from twinloc.radio.channel import AntennaArray, OfdmBand
    from twinloc.radio.radiomap import RadioSettings
    from twinloc.radio.transmitters import Transmitter

    check_writable(args.out)
    workspace = open_workspace(args.source)
    scene = workspace.scene
    stations = {s.name: s for s in (*workspace.project.base_stations, *workspace.project.access_points)}
    if args.bs not in stations:
        known = ", ".join(stations) or "none"
        raise CliError(f"--bs: {args.source} has no base station or access point named {args.bs!r} (it has: {known})")
    try:
        band = OfdmBand(args.frequency_ghz * 1e9, args.bandwidth_mhz * 1e6, args.subcarriers)
        settings = CsiSettings(AntennaArray(*args.array, spacing_wavelengths=args.spacing), band,
                               delay_bins=args.delay_bins, snr_db=args.noise_db,
                               timing_offset_s=args.timing_offset_ns * 1e-9, seed=args.seed, keep_csi=args.keep_csi,
                               sectors=args.sectors)
    except ValueError as error:
        raise CliError(f"--delay-bins: {error}" if "delay bins" in str(error) else f"--frequency-ghz: {error}") from None
    receiver_height = args.height if args.height is not None else workspace.project.settings.tag_height_or(scene.tag_height_m)
    if args.height is not None:
        check_tag_height("--height", args.height, scene)
    columns, rows = grid_shape(scene, args.resolution)
    if columns * rows > MAX_SAMPLES:
        raise CliError(f"--resolution: {columns} x {rows} cells at {args.resolution:g} m exceed the {MAX_SAMPLES:,} "
                       "samples a CSI dataset may hold; use a coarser resolution")
    station = stations[args.bs]
    transmitter = Transmitter(station.name, tuple(float(c) for c in station.position), band.centre_hz, 0.0)
    radio = RadioSettings(max_depth=args.max_depth, receiver_height_m=receiver_height, strongest_paths=args.paths)

    started = time.perf_counter()
    with study(args, "CSI dataset") as (runner, progress):
        try:
            job = csi_dataset_job(scene, transmitter, args.out, settings, radio, args.resolution, runner=runner)
            result = job.function(progress, CancelToken())
        except ValueError as error:  # a frequency outside a material's range, a dataset too big
            raise CliError(f"{args.source}: {error}") from None
        except OSError as error:
            raise CliError(f"{args.out}: cannot write: {error.strerror or error}") from None
    report = {
        "scene": scene.name,
        "base_station": station.name,
        "position": list(transmitter.position),
        "samples": result.samples,
        "reached": result.reached,
        "antennas": settings.array.antennas,
        "subcarriers": band.subcarriers,
        "delay_bins": settings.delay_bins,
        "angle_delay_shape": [result.samples, settings.array.antennas, settings.delay_bins],
        "sectors": args.sectors,
        "sector_rotation": result.sector_rotation,
        "bytes": result.bytes,
        "trace_seconds": round(result.trace_seconds, 4),
        "channel_seconds": round(result.channel_seconds, 4),
        "seconds": round(time.perf_counter() - started, 4),
        "out": args.out,
    }
    if args.json:
        print_json(report)
    else:
        print(f"{scene.name}: {result.samples} samples ({result.reached} reached) from {station.name}, "
              f"{args.array[0]}x{args.array[1]} antennas, {band.subcarriers} subcarriers over {args.bandwidth_mhz:g} MHz "
              f"at {args.frequency_ghz:g} GHz; written {args.out} ({result.bytes / 2**20:.1f} MiB) in {report['seconds']:.2f} s")
        if result.sector_rotation is not None:
            state = "applies" if result.sector_rotation["applies"] else "does not apply"
            print(f"{args.sectors} sectors; sector rotation {state}: {result.sector_rotation['reason']}")
    return 0
