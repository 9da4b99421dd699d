"""Radio maps: path gain, RSS, range, LOS and multipath features of each transmitter per point.

The path gain of a point follows Sionna RT's ``RadioMapSolver``: the incoherent sum over the
paths of their power gains, (lambda / (4 pi L))^2 |E|^2, with E the field a unit vertically
polarised isotropic transmitter delivers along the path (``specular``) and |E|^2 its whole
power, as an ideal isotropic receiver collects both polarisations. Sionna averages over a
cell; here the value is the one at the point (the cell's centre). Nearer than lambda / 4 pi,
where the far-field formula would exceed it, a path's gain is 0 dB. RSS is the transmit
power plus the path gain.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.geometry.cache import process_cache
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import Scene
from twinloc.model.atomic import write_atomic
from twinloc.radio.itu import SPEED_OF_LIGHT_M_S
from twinloc.radio.specular import MAX_DEPTH, PathTracer, TraceRecord, theta_hat
from twinloc.radio.transmitters import Transmitter
from twinloc.studies import Runner

#: Path gain, dB, of a point no path reaches (and RSS = power + this).
NO_SIGNAL_DB = -250.0
#: Most strongest paths kept per point and transmitter.
MAX_STRONGEST_PATHS = 32
#: Most candidate chains a traced radio map keeps over all its transmitters (about 120 bytes
#: each at depth 2: 250 MB); past it the traces are dropped and an update traces everything.
MAX_KEPT_CHAINS = 2_000_000


@dataclass(frozen=True)
class RadioSettings:
    """How a radio map is computed.

    max_depth : reflections per path, 0 (direct path only) to ``specular.MAX_DEPTH``.
    receiver_height_m : height of the floor grid's points above the floor, metres (used by
        the callers that build the grid).
    strongest_paths : K, paths kept per point and transmitter as multipath features, 1 to
        MAX_STRONGEST_PATHS.
    """

    max_depth: int = 2
    receiver_height_m: float = 1.0
    strongest_paths: int = 4

    def __post_init__(self) -> None:
        if not (isinstance(self.max_depth, int) and 0 <= self.max_depth <= MAX_DEPTH):
            raise ValueError(f"max_depth must be an integer from 0 to {MAX_DEPTH}, got {self.max_depth!r}")
        if not (isinstance(self.strongest_paths, int) and 1 <= self.strongest_paths <= MAX_STRONGEST_PATHS):
            raise ValueError(f"strongest_paths must be an integer from 1 to {MAX_STRONGEST_PATHS}, got {self.strongest_paths!r}")
        if not (np.isfinite(self.receiver_height_m) and self.receiver_height_m > 0.0):
            raise ValueError(f"receiver height must be positive, got {self.receiver_height_m!r} m")


@dataclass(frozen=True, eq=False)
class MultipathFeatures:
    """The K strongest paths of each point and transmitter, strongest first; NaN where fewer.

    Each (P, T, K) float64: delay_s (seconds), power_db (the path's gain, dB), phase_rad (of
    the field along the receiver's vertical polarisation, propagation included, (-pi, pi]),
    aoa_azimuth_rad / aoa_elevation_rad (direction from the receiver toward where the path
    arrives from), aod_azimuth_rad / aod_elevation_rad (direction in which it leaves the
    transmitter). Azimuth from +x toward +y, elevation above the horizontal plane.
    """

    delay_s: np.ndarray
    power_db: np.ndarray
    phase_rad: np.ndarray
    aoa_azimuth_rad: np.ndarray
    aoa_elevation_rad: np.ndarray
    aod_azimuth_rad: np.ndarray
    aod_elevation_rad: np.ndarray


@dataclass(frozen=True, eq=False)
class RadioMap:
    """The radio map of T transmitters over P points.

    points : (P, 3) float64, metres.
    transmitter_names : (T,) names.
    path_gain_db : (P, T) float64; NO_SIGNAL_DB where no path arrives.
    rss_dbm : (P, T) float64, transmit power plus path gain.
    range_m : (P, T) float64, metres: the direct path's length plus the NLOS excess of what it
        crosses; through an opaque object, the shortest reflected path's length; NaN when no
        path arrives.
    los : (P, T) bool, the direct path crosses nothing.
    paths : MultipathFeatures, (P, T, K).
    crossings : (P, T, M) int32, walls and solids of each material the direct path crosses.
    material_names : (M,) names of the scene's materials.
    """

    points: np.ndarray
    transmitter_names: tuple[str, ...]
    path_gain_db: np.ndarray
    rss_dbm: np.ndarray
    range_m: np.ndarray
    los: np.ndarray
    paths: MultipathFeatures
    crossings: np.ndarray
    material_names: tuple[str, ...]

    @property
    def reached(self) -> np.ndarray:
        """(P, T) bool: some path arrives."""
        return self.path_gain_db > NO_SIGNAL_DB


def compute_radio_map(
    scene: Scene,
    transmitters: tuple[Transmitter, ...],
    points,
    settings: RadioSettings = RadioSettings(),
    engine: RayEngine | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> RadioMap:
    """The radio map of ``transmitters`` over ``points`` in ``scene``.

    Parameters
    ----------
    scene : Scene
    transmitters : sequence of Transmitter
    points : (P, 3) float, metres
    settings : RadioSettings
    engine : RayEngine of ``scene``, optional (built here when None).
    cancel : CancelToken, optional
    progress : ProgressFn, optional

    Raises
    ------
    ValueError
        A transmitter's frequency is outside the validity range of a material in the scene.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    cancel = cancel or CancelToken()

    def trace(tracer, column, tx, step):
        return tracer.recorded_trace(tx, points, settings.max_depth, cancel=cancel, progress=step)

    return _radio_map(scene, tuple(transmitters), points, settings, engine, progress, trace, keep=0).radio


@dataclass(frozen=True, eq=False)
class TracedRadioMap:
    """A radio map with each transmitter's :class:`specular.TraceRecord`, so that
    :func:`retraced_radio_map` can update it after a scene edit without tracing it all again;
    ``traces`` is None when they held more than MAX_KEPT_CHAINS candidate chains."""

    radio: RadioMap
    traces: tuple[TraceRecord, ...] | None
    transmitters: tuple[Transmitter, ...]
    settings: RadioSettings


def traced_radio_map(scene: Scene, transmitters: tuple[Transmitter, ...], points,
                     settings: RadioSettings = RadioSettings(), engine: RayEngine | None = None,
                     cancel: CancelToken | None = None, progress: ProgressFn | None = None) -> TracedRadioMap:
    """:func:`compute_radio_map` keeping what it traced (every candidate chain, at most
    MAX_KEPT_CHAINS: memory grows with the points times the scene's reflecting planes)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    cancel = cancel or CancelToken()

    def trace(tracer, column, tx, step):
        return tracer.recorded_trace(tx, points, settings.max_depth, cancel=cancel, progress=step)

    return _radio_map(scene, tuple(transmitters), points, settings, engine, progress, trace, keep=MAX_KEPT_CHAINS)


def retraced_radio_map(traced: TracedRadioMap, scene: Scene, edited: set[str], boxes,
                       engine: RayEngine | None = None, cancel: CancelToken | None = None) -> TracedRadioMap:
    """``traced`` (with its traces) as it is in ``scene``, which differs from the scene traced only in the objects
    named in ``edited``, lying within ``boxes`` (E, 2, 3) metres in either scene
    (:meth:`specular.PathTracer.retrace`: only the chains the edit can reach are traced again).
    Equal to :func:`traced_radio_map` of ``scene`` up to rounding; it keeps its traces whatever
    their size (an edit changes the number of chains little)."""

    def trace(tracer, column, tx, step):
        return tracer.retrace(traced.traces[column], edited, boxes, cancel)

    return _radio_map(scene, traced.transmitters, traced.radio.points, traced.settings, engine, None, trace,
                      keep=sys.maxsize)


def _radio_map(scene, transmitters, points, settings, engine, progress, trace, keep: int) -> TracedRadioMap:
    """The radio map from ``trace(tracer, column, tx (3,), progress)``, a TraceRecord per
    transmitter, kept in the result while they hold at most ``keep`` candidate chains (0: none)."""
    progress = progress or report_nothing
    engine = engine or RayEngine(scene)
    tracers: dict[float, PathTracer] = {}
    for transmitter in transmitters:
        if transmitter.frequency_hz not in tracers:
            tracers[transmitter.frequency_hz] = PathTracer(scene, engine, transmitter.frequency_hz)
    count, senders, k = len(points), len(transmitters), settings.strongest_paths
    material_names = tuple(sorted(scene.materials))
    gain_db = np.full((count, senders), NO_SIGNAL_DB)
    range_m = np.full((count, senders), np.nan)
    los = np.zeros((count, senders), dtype=bool)
    crossings = np.zeros((count, senders, len(material_names)), dtype=np.int32)
    features = {name: np.full((count, senders, k), np.nan) for name in MultipathFeatures.__dataclass_fields__}
    records, kept = [], 0
    for column, transmitter in enumerate(transmitters):
        tracer = tracers[transmitter.frequency_hz]
        step = scaled_progress(progress, column / max(senders, 1), (column + 1) / max(senders, 1))
        step(0.0, f"Radio map of {transmitter.name}")
        tx = np.array(transmitter.position, dtype=np.float64)
        record = trace(tracer, column, tx, step)
        kept += sum(len(chains.point) for chains in record.chains)
        if keep and kept <= keep:
            records.append(record)
        paths, direct = record.paths, record.direct
        wavelength = tracer.wavelength_m
        # Friis holds in the far field; nearer than lambda / 4 pi a path's gain is capped at 0 dB.
        spreading = wavelength / (4.0 * np.pi * np.maximum(paths.length_m, wavelength / (4.0 * np.pi)))
        power = spreading**2 * np.sum(np.abs(paths.field) ** 2, axis=1)
        total = np.bincount(paths.point, power, minlength=count)
        arrived = total > 0.0
        gain_db[arrived, column] = 10.0 * np.log10(total[arrived])
        los[:, column] = direct.los
        crossings[:, column] = direct.crossings
        straight = np.linalg.norm(points - tx, axis=1)
        range_m[:, column] = np.where(direct.blocked, np.nan, straight + direct.excess_m)
        shortest = np.full(count, np.inf)
        np.minimum.at(shortest, paths.point, paths.length_m)
        fallback = direct.blocked & np.isfinite(shortest)
        range_m[fallback, column] = shortest[fallback]
        _strongest(paths, power, wavelength, column, k, features)
    radio = RadioMap(
        points=points,
        transmitter_names=tuple(t.name for t in transmitters),
        path_gain_db=gain_db,
        rss_dbm=gain_db + np.array([t.power_dbm for t in transmitters])[None, :],
        range_m=range_m,
        los=los,
        paths=MultipathFeatures(**features),
        crossings=crossings,
        material_names=material_names,
    )
    traces = tuple(records) if keep and kept <= keep else None
    return TracedRadioMap(radio, traces, tuple(transmitters), settings)



def radio_map_study(
    runner: Runner,
    scene: Scene,
    transmitters: tuple[Transmitter, ...],
    points,
    settings: RadioSettings = RadioSettings(),
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
) -> RadioMap:
    """:func:`compute_radio_map` as a study: one task per transmitter on ``runner``.

    The scene, points and settings are sent to each worker once. Each transmitter's column is
    computed by the same code as in :func:`compute_radio_map`, so the map is identical to it.
    Progress per finished transmitter; cancel stops the study (see :meth:`Runner.map`).
    """
    if not transmitters:
        return compute_radio_map(scene, (), points, settings)
    shared = {"scene": scene, "points": np.asarray(points, dtype=np.float64).reshape(-1, 3), "settings": settings}
    columns = runner.map(_transmitter_map, tuple(transmitters), shared=shared, progress=progress, cancel=cancel)
    return joined_radio_maps(columns)


def _transmitter_map(transmitter: Transmitter, shared: dict, rng_seed) -> RadioMap:
    """A study task: the one-column radio map of ``transmitter`` (deterministic; no seed needed)."""
    scene = shared["scene"]
    return compute_radio_map(scene, (transmitter,), shared["points"], shared["settings"],
                             engine=process_cache().ray_engine(scene))


def joined_radio_maps(maps: list[RadioMap]) -> RadioMap:
    """The radio maps of the same points side by side: their transmitters in order, one map."""
    first = maps[0]
    features = {name: np.concatenate([getattr(m.paths, name) for m in maps], axis=1)
                for name in MultipathFeatures.__dataclass_fields__}
    return RadioMap(
        points=first.points,
        transmitter_names=tuple(name for m in maps for name in m.transmitter_names),
        path_gain_db=np.concatenate([m.path_gain_db for m in maps], axis=1),
        rss_dbm=np.concatenate([m.rss_dbm for m in maps], axis=1),
        range_m=np.concatenate([m.range_m for m in maps], axis=1),
        los=np.concatenate([m.los for m in maps], axis=1),
        paths=MultipathFeatures(**features),
        crossings=np.concatenate([m.crossings for m in maps], axis=1),
        material_names=first.material_names,
    )

def _strongest(paths, power, wavelength: float, column: int, k: int, features: dict[str, np.ndarray]) -> None:
    """Fill ``features[...][:, column, :]`` with the ``k`` strongest of ``paths`` per point."""
    order = np.lexsort((-power, paths.point))
    point = paths.point[order]
    rank = np.arange(len(point)) - np.searchsorted(point, point, side="left")
    kept = order[rank < k]
    row, slot = paths.point[kept], rank[rank < k]
    arrival, departure = paths.arrival[kept], paths.departure[kept]
    length = paths.length_m[kept]
    # theta-hat of the arrival direction is also that of the direction back to the source.
    vertical = np.einsum("ij,ij->i", paths.field[kept], theta_hat(arrival))
    values = {
        "delay_s": length / SPEED_OF_LIGHT_M_S,
        "power_db": 10.0 * np.log10(np.maximum(power[kept], 1e-300)),
        "phase_rad": np.angle(vertical * np.exp(-2j * np.pi * length / wavelength)),
        "aoa_azimuth_rad": np.arctan2(-arrival[:, 1], -arrival[:, 0]),
        "aoa_elevation_rad": np.arcsin(np.clip(-arrival[:, 2], -1.0, 1.0)),
        "aod_azimuth_rad": np.arctan2(departure[:, 1], departure[:, 0]),
        "aod_elevation_rad": np.arcsin(np.clip(departure[:, 2], -1.0, 1.0)),
    }
    for name, value in values.items():
        features[name][row, column, slot] = value


def radio_map_to_csv(radio_map: RadioMap, path) -> None:
    """Write one row per point and transmitter, point-major, header first:
    ``x_m,y_m,z_m,transmitter,path_gain_db,rss_dbm,range_m,los`` (metres, dB, dBm; range empty
    where no path arrives, path gain NO_SIGNAL_DB there; los 1 or 0). Atomic: an existing file is
    replaced only once the new one is complete."""
    names = radio_map.transmitter_names

    def write(binary) -> None:
        stream = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        rows = csv.writer(stream, lineterminator="\n")  # quotes a name holding commas or quotes
        rows.writerow(["x_m", "y_m", "z_m", "transmitter", "path_gain_db", "rss_dbm", "range_m", "los"])
        for point, gains, rss, ranges, los in zip(radio_map.points.tolist(), radio_map.path_gain_db.tolist(),
                                                  radio_map.rss_dbm.tolist(), radio_map.range_m.tolist(),
                                                  radio_map.los.tolist()):
            x, y, z = (f"{c:.4f}" for c in point)
            for name, gain, power, range_m, seen in zip(names, gains, rss, ranges, los):
                distance = "" if range_m != range_m else f"{range_m:.4f}"
                rows.writerow([x, y, z, name, f"{gain:.3f}", f"{power:.3f}", distance, int(seen)])
        stream.flush()
        stream.detach()

    write_atomic(path, write)
