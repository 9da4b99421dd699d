"""A simulated UE: where it stands by default, what the base stations measure of it, its estimate."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import Scene
from twinloc.rrt.locate import LocateSettings, LocateTrace, PositionEstimate, trace_locate
from twinloc.rrt.measurement import Measurements, NoiseModel, measure
from twinloc.rrt.paths import Path, PathFinder

#: The default UE is searched on a grid of this many points per side across the scene's box.
_DEFAULT_UE_GRID = 41


@dataclass(frozen=True)
class LocateResult:
    """One simulated measurement and its estimate.

    truth : (3,) float64, metres.
    paths : each station's strongest path (None: it heard nothing).
    seconds : time of the estimate alone (launching, fits, density search).
    trace : the launched rays, fitted points and mixtures, when they were asked to be kept.
    """

    truth: np.ndarray
    paths: tuple[Path | None, ...]
    measurements: Measurements
    estimate: PositionEstimate
    seconds: float
    trace: LocateTrace | None = None

    @property
    def error_m(self) -> float:
        return float(np.linalg.norm(self.estimate.position - self.truth))


def default_ue_position(scene: Scene, engine: RayEngine) -> np.ndarray:
    """(3,) float64, metres: the free point at tag height nearest the middle of ``scene``.

    A UE inside a solid hears nothing, so the candidates (an inner 39 x 39 grid over the
    scene's box, nearest the middle first) inside a solid are passed over; the middle itself
    when every candidate is inside one.
    """
    low, high = np.asarray(scene.bounds, dtype=np.float64)
    centre = (low + high) / 2.0
    x, y = np.meshgrid(np.linspace(low[0], high[0], _DEFAULT_UE_GRID)[1:-1], np.linspace(low[1], high[1], _DEFAULT_UE_GRID)[1:-1])
    candidates = np.column_stack([x.ravel(), y.ravel(), np.full(x.size, scene.tag_height_m)])
    candidates = candidates[np.argsort(np.linalg.norm(candidates[:, :2] - centre[:2], axis=1))]
    free = candidates[~engine.points_inside_solids(candidates)]
    return free[0] if len(free) else np.array([centre[0], centre[1], scene.tag_height_m])


def locate_simulated_ue(
    finder: PathFinder,
    ue: np.ndarray,
    stations: np.ndarray,
    noise: NoiseModel,
    settings: LocateSettings,
    seed: int,
    keep_trace: bool = False,
    *,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
) -> LocateResult:
    """Simulate the measurements of a UE at ``ue`` (3,) metres by ``stations`` (B, 3) metres and locate it.

    ``seed`` seeds the measurement noise and the launching; ``keep_trace`` keeps the launched
    rays, fitted points and mixtures (for drawing them).

    Raises
    ------
    ValueError
        No station heard the UE, so nothing can be estimated.
    """
    progress(0.0, "Finding propagation paths")
    paths = tuple(finder.strongest(ue, station, settings.bounces) for station in stations)
    if cancel is not None:
        cancel.raise_if_cancelled()
    rng = np.random.default_rng(seed)
    measurements = measure(paths, noise, rng)
    progress(0.3, "Launching rays and fitting mixtures")
    started = time.perf_counter()
    trace = trace_locate(finder.engine, stations, measurements, settings, rng, height_m=ue[2])
    seconds = time.perf_counter() - started
    progress(1.0, "Located")
    return LocateResult(truth=ue, paths=paths, measurements=measurements, estimate=trace.estimate, seconds=seconds,
                        trace=trace if keep_trace else None)
