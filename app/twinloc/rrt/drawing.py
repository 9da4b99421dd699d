"""What a reverse-ray-tracing result looks like in the scene, as plain arrays (any thread).

A viewport draws a :class:`RayDrawing` as it is; this module decides what it holds: a subset
of the launched rays cut to a drawable length, a subsample of the fitted points, and each
mixture component's 1- and 2-sigma ellipses at the UE's height (2D) or 1-sigma ellipsoid (3D).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twinloc.rrt.simulation import LocateResult

#: At most this many launched rays and fitted points per station are drawn.
MAX_DRAWN_RAYS = 120
MAX_DRAWN_POINTS = 1500
#: Drawn rays are cut at this length: a ray leaving an open model would be drawn 1 km long.
MAX_DRAWN_SEGMENT_M = 40.0
#: Mixture components lighter than this are not drawn.
MIN_DRAWN_WEIGHT = 0.05
#: Points on each drawn ellipse (the polyline closes on its first point).
ELLIPSE_SAMPLES = 72


@dataclass(frozen=True, eq=False)
class RayDrawing:
    """What one reverse-ray-tracing result looks like in the scene.

    stations : (B, 3) float64, metres.
    paths : station index -> (K + 2, 3) float64 metres, its true strongest path.
    rays : station index -> (M, 2, 3) float64 metres, segments of a subset of its launched rays.
    clouds : station index -> (M, 3) float64 metres, (a subsample of) the points its mixture was fitted to.
    contours : station index -> list of (P, 3) closed polylines, metres (2D: 1 sigma and 2 sigma ellipses).
    ellipsoids : station index -> list of (centre (3,), semi-axes (3, 3) columns, metres) (3D: 1 sigma).
    estimate, truth : (3,) float64 metres, or None.
    caption : str, e.g. "error 0.12 m".
    """

    stations: np.ndarray
    paths: dict = field(default_factory=dict)
    rays: dict = field(default_factory=dict)
    clouds: dict = field(default_factory=dict)
    contours: dict = field(default_factory=dict)
    ellipsoids: dict = field(default_factory=dict)
    estimate: np.ndarray | None = None
    truth: np.ndarray | None = None
    caption: str = ""


def drawing_for(result: LocateResult, stations: np.ndarray, mode: str, rng: np.random.Generator) -> RayDrawing:
    """The arrays that show ``result`` (which must carry its trace).

    Parameters
    ----------
    result : LocateResult
    stations : (B, 3) float, metres
    mode : "2d" or "3d"
    rng : numpy.random.Generator
        Picks the subsets of rays and points drawn.
    """
    trace = result.trace
    height = float(result.truth[2])
    paths = {b: path.points for b, path in enumerate(result.paths) if path is not None}
    rays, clouds, contours, ellipsoids = {}, {}, {}, {}
    bundle = trace.rays
    for b in np.unique(bundle.source):
        own = bundle.of_source(int(b))
        chosen = _subset(len(own.source), MAX_DRAWN_RAYS, rng)
        lengths = np.minimum(own.lengths[chosen], MAX_DRAWN_SEGMENT_M)
        starts = own.origins[chosen]
        ends = starts + lengths[..., None] * own.directions[chosen]
        travelled = lengths > 0.0
        rays[int(b)] = np.stack([starts[travelled], ends[travelled]], axis=1)
    for b, points in trace.points.items():
        shown = points[_subset(len(points), MAX_DRAWN_POINTS, rng)]
        clouds[b] = shown if shown.shape[1] == 3 else np.column_stack([shown, np.full(len(shown), height)])
    for b, mixture in trace.mixtures.items():
        kept = [k for k in range(len(mixture.weights)) if mixture.weights[k] >= MIN_DRAWN_WEIGHT]
        if mode == "2d":
            contours[b] = [
                ellipse(mixture.means[k], mixture.covariances[k], scale, height) for k in kept for scale in (1.0, 2.0)
            ]
        else:
            ellipsoids[b] = [(mixture.means[k], semi_axes(mixture.covariances[k])) for k in kept]
    return RayDrawing(
        stations=np.asarray(stations, dtype=np.float64),
        paths=paths,
        rays=rays,
        clouds=clouds,
        contours=contours,
        ellipsoids=ellipsoids,
        estimate=result.estimate.position,
        truth=result.truth,
        caption=f"error {result.error_m:.2f} m",
    )


def ellipse(mean: np.ndarray, covariance: np.ndarray, scale: float, height: float, samples: int = ELLIPSE_SAMPLES) -> np.ndarray:
    """(samples + 1, 3) closed polyline, metres: the ``scale``-sigma ellipse of a 2D Gaussian
    (``mean`` (2,) metres, ``covariance`` (2, 2) square metres) at ``height`` metres."""
    axes = semi_axes(covariance) * scale
    angle = np.linspace(0.0, 2.0 * np.pi, samples + 1)
    points = mean + np.column_stack([np.cos(angle), np.sin(angle)]) @ axes.T
    return np.column_stack([points, np.full(len(points), height)])


def semi_axes(covariance: np.ndarray) -> np.ndarray:
    """(D, D): the 1-sigma semi-axis vectors of a Gaussian of ``covariance`` (D, D) as columns, metres."""
    variances, vectors = np.linalg.eigh(covariance)
    return vectors * np.sqrt(np.maximum(variances, 0.0))


def _subset(count: int, most: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(count) if count <= most else np.sort(rng.choice(count, most, replace=False))
