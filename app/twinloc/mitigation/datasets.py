"""Training data of error mitigation: the twin's virtual data and measured data, as samples of eight fixes.

The twin generates virtual data (every cell of a floor grid, many groups of eight noisy fixes,
seed 004, §3.4); measured data come from a CSV file of measuring points or from the simulated
site (:mod:`twinloc.mitigation.site`). Each point is called LOS or NLOS by the twin.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.scene import Scene
from twinloc.model.analysis import MAX_GROUPS, RangingModel
from twinloc.uwb.measured import MeasuredPoint, load_measured_csv
from twinloc.uwb.multilateration import locate
from twinloc.uwb.ranging import Links, noisy_ranges, trace_links

#: Fixes of one measuring point that form one network input (seed 004: 8, i.e. 16 numbers).
FIXES_PER_SAMPLE = 8

#: Most samples of one data set, generated or read from a file: generating them and training
#: on them peaks at about 450 MB + 690 B per sample, 820 MB at the limit (the hall at 10 cm
#: with the default 20 groups has about 300,000).
MAX_SAMPLES = 600_000

_POINTS_PER_CHUNK = 400


@dataclass(frozen=True, eq=False)
class MitigationDataset:
    """Samples for the mitigation network.

    inputs : (N, 16) float64, metres; eight measured (x, y) fixes of one point, flattened.
    true : (N, 2) float64, metres; the point's true position.
    nlos : (N,) bool; the point sees at least one anchor through an obstacle (in the twin).
    point : (N,) int64; index of the measuring point or grid cell a sample comes from.
    provenance : where the data come from (kind, scene hash, anchors, ranging model, seed, ...).
    ranges : (N, 8, A) float64, metres, the anchor ranges each fix was solved from (NaN where
        blocked), or None when only the fixes are known (a file of measured positions). The
        per-link model (:mod:`twinloc.mitigation.per_link`) needs them.
    """

    inputs: np.ndarray
    true: np.ndarray
    nlos: np.ndarray
    point: np.ndarray
    provenance: dict[str, Any] = field(default_factory=dict)
    ranges: np.ndarray | None = None

    def __len__(self) -> int:
        return int(len(self.true))

    def subset(self, index: np.ndarray) -> MitigationDataset:
        """The samples at ``index`` (an int array or a boolean mask), same provenance."""
        return MitigationDataset(self.inputs[index], self.true[index], self.nlos[index], self.point[index], self.provenance,
                                 None if self.ranges is None else self.ranges[index])

    @property
    def raw(self) -> np.ndarray:
        """(N, 2) float64, metres: the mean of each sample's fixes, the uncorrected position."""
        return self.inputs.reshape(len(self.inputs), -1, 2).mean(axis=1)


def virtual_dataset(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    resolution_m: float,
    groups: int,
    ranging: RangingModel = RangingModel(),
    seed: int = 0,
    *,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
    geometry: GeometryCache | None = None,
) -> MitigationDataset:
    """Virtual data of the twin: ``groups`` samples per floor cell.

    Each sample is eight least-squares fixes from noisy ranges (the NLOS model of
    :mod:`twinloc.uwb.ranging`) at one cell centre; cells with a degenerate fix are dropped.

    Parameters
    ----------
    scene : Scene, the effective twin.
    anchors : (A, 3) float, metres.
    tag_height_m, resolution_m : float, metres.
    groups : int, 1 to MAX_GROUPS, samples per cell (seed 004: 20).
    ranging : RangingModel
    seed : int, seed of the noise.
    geometry : GeometryCache or None, the scene's ray engine and floor grid (None: built for this call).

    Raises
    ------
    ValueError
        ``groups`` out of range, or more than MAX_SAMPLES samples (cells × groups).
    """
    if not 1 <= groups <= MAX_GROUPS:
        raise ValueError(f"groups must be between 1 and {MAX_GROUPS}, got {groups}")
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    progress(0.0, "Tracing links")
    geometry = cache_or_new(geometry)
    points = geometry.floor_grid(scene, resolution_m, tag_height_m).points
    if len(points) * groups > MAX_SAMPLES:
        raise ValueError(f"{len(points):,} floor cells × {groups} groups is more than {MAX_SAMPLES:,} samples; "
                         "use fewer groups or a coarser grid")
    links = trace_links(geometry.ray_engine(scene), scene, anchors, points, incidence_correction=ranging.incidence_correction)
    dataset = _sample_points(links, anchors, points, groups, ranging, np.random.default_rng(seed),
                             scaled_progress(progress, 0.1, 1.0), cancel)
    provenance = {
        "kind": "virtual", "scene": scene.name, "scene_hash": scene.content_hash(), "anchors": anchors.tolist(),
        "tag_height_m": float(tag_height_m), "resolution_m": float(resolution_m), "groups": int(groups),
        "ranging": dataclasses.asdict(ranging), "seed": int(seed),
    }
    return dataclasses.replace(dataset, provenance=provenance)


def measured_dataset(
    points: list[MeasuredPoint],
    nlos: np.ndarray,
    provenance: dict[str, Any] | None = None,
    ranges: list[np.ndarray] | None = None,
) -> MitigationDataset:
    """Group each measuring point's fixes into samples of eight (a remainder is left out).

    Parameters
    ----------
    points : measuring points; each with at least eight fixes contributes samples.
    nlos : (P,) bool, one per point; see :func:`nlos_points`.
    provenance : recorded with the data (e.g. the file, or the site simulation).
    ranges : per point, (S, A) metres, the ranges of each of its S fixes; or None.
    """
    inputs, true, flags, index, grouped = [], [], [], [], []
    for number, (point, flag) in enumerate(zip(points, np.asarray(nlos, dtype=bool))):
        count = len(point.measured) // FIXES_PER_SAMPLE
        if count == 0:
            continue
        if ranges is not None:
            grouped.append(ranges[number][: count * FIXES_PER_SAMPLE].reshape(count, FIXES_PER_SAMPLE, -1))
        inputs.append(point.measured[: count * FIXES_PER_SAMPLE].reshape(count, 2 * FIXES_PER_SAMPLE))
        true.append(np.repeat(point.true[None], count, axis=0))
        flags.append(np.full(count, flag))
        index.append(np.full(count, number))
    if not inputs:
        raise ValueError(f"no measuring point has {FIXES_PER_SAMPLE} fixes or more")
    return MitigationDataset(np.concatenate(inputs), np.concatenate(true), np.concatenate(flags),
                             np.concatenate(index).astype(np.int64), provenance or {"kind": "measured"},
                             np.concatenate(grouped) if ranges is not None else None)


def measured_csv_dataset(path: str | Path, scene: Scene, anchors: np.ndarray, tag_height_m: float,
                         geometry: GeometryCache | None = None) -> MitigationDataset:
    """Measuring points read from a CSV file (see :mod:`twinloc.uwb.measured`), grouped into
    samples, each point called LOS or NLOS by the twin (see :func:`nlos_points`).

    Raises
    ------
    ValueError
        A malformed file, or no point with eight fixes; the message names the file.
    """
    points = load_measured_csv(path)
    nlos = nlos_points(scene, anchors, [point.true for point in points], tag_height_m, geometry)
    return measured_dataset(points, nlos, {"kind": "measured", "file": str(path), "points": len(points)})


def nlos_points(scene: Scene, anchors: np.ndarray, xy: np.ndarray, tag_height_m: float,
                geometry: GeometryCache | None = None) -> np.ndarray:
    """(P,) bool: whether each (P, 2) floor point (metres) has a non-line-of-sight link in the
    twin; ``geometry`` gives the scene's ray engine (None: built for this call)."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    points = np.column_stack([xy, np.full(len(xy), float(tag_height_m))])
    links = trace_links(cache_or_new(geometry).ray_engine(scene), scene, np.asarray(anchors, dtype=np.float64).reshape(-1, 3), points)
    return ~links.los.all(axis=1)


def check_virtual_data(dataset: MitigationDataset, scene: Scene, anchors: np.ndarray, name: str) -> None:
    """Refuse ``dataset`` (read from the file called ``name``) unless it is the twin's virtual
    data generated in ``scene`` (its materials included) for ``anchors`` (A, 3) metres.

    Raises
    ------
    ValueError
        Data of another kind, scene or anchor layout; the message names the file.
    """
    provenance = dataset.provenance
    if provenance.get("kind") != "virtual":
        raise ValueError(f"{name} holds {provenance.get('kind', 'unknown')} data, not virtual data of the twin.")
    if provenance.get("scene_hash") != scene.content_hash():
        raise ValueError(f"{name} was generated for another scene or other materials.")
    recorded, anchors = np.asarray(provenance["anchors"], dtype=float), np.asarray(anchors, dtype=float)
    if recorded.shape != anchors.shape or not np.allclose(recorded, anchors):
        raise ValueError(f"{name} was generated for another anchor layout.")


def split_measured(measured: MitigationDataset, test_fraction: float, split: str,
                   rng: np.random.Generator) -> tuple[MitigationDataset, MitigationDataset]:
    """(test, training): ``test_fraction`` of the samples (``split="samples"``) or of the
    measuring points (``split="points"``, all samples of each) held out at random."""
    if split == "samples":
        units, of_sample = np.arange(len(measured)), np.arange(len(measured))
    elif split == "points":
        units, of_sample = np.unique(measured.point), measured.point
    else:
        raise ValueError(f"split must be 'samples' or 'points', got {split!r}")
    if len(units) < 2:
        raise ValueError(f"at least 2 measured {split} are needed (one to test, one to train), got {len(units)}")
    held_out = min(len(units) - 1, max(1, int(round(len(units) * test_fraction))))
    is_test = np.isin(of_sample, rng.permutation(units)[:held_out])
    return measured.subset(np.flatnonzero(is_test)), measured.subset(np.flatnonzero(~is_test))


def _sample_points(links: Links, anchors, points, groups, ranging, rng, progress, cancel) -> MitigationDataset:
    draws = groups * FIXES_PER_SAMPLE
    nlos_cell = ~links.los.all(axis=1)
    inputs, true, nlos, index, grouped = [], [], [], [], []
    for start in range(0, len(points), _POINTS_PER_CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = slice(start, start + _POINTS_PER_CHUNK)
        part = Links(links.true_range_m[chunk], links.excess_m[chunk], links.los[chunk], links.blocked[chunk])
        ranges = noisy_ranges(part, ranging, draws, rng)  # (D, m, A)
        fixes = least_squares_fixes(anchors, ranges, part, points[chunk, 2])  # (D, m, 2)
        count = fixes.shape[1]
        # (groups, 8, m, 2) -> (m, groups, 16): one sample per group of eight draws of a cell.
        samples = fixes.reshape(groups, FIXES_PER_SAMPLE, count, 2).transpose(2, 0, 1, 3).reshape(count, groups, -1)
        keep = ~np.isnan(samples).any(axis=(1, 2))
        cells = np.arange(start, start + count)[keep]
        # (groups, 8, m, A) -> (m, groups, 8, A), the same order as the samples.
        by_cell = ranges.reshape(groups, FIXES_PER_SAMPLE, count, -1).transpose(2, 0, 1, 3)
        grouped.append(by_cell[keep].reshape(-1, FIXES_PER_SAMPLE, ranges.shape[2]))
        inputs.append(samples[keep].reshape(-1, 2 * FIXES_PER_SAMPLE))
        true.append(np.repeat(points[cells, :2], groups, axis=0))
        nlos.append(np.repeat(nlos_cell[cells], groups))
        index.append(np.repeat(cells, groups))
        progress(min(1.0, (start + count) / len(points)), "Simulating fixes")
    if not inputs or sum(len(part) for part in inputs) == 0:
        raise ValueError("no cell of the floor grid has a usable fix from these anchors")
    return MitigationDataset(np.concatenate(inputs), np.concatenate(true), np.concatenate(nlos),
                             np.concatenate(index).astype(np.int64), ranges=np.concatenate(grouped))


def least_squares_fixes(anchors: np.ndarray, ranges: np.ndarray, links: Links, heights: np.ndarray) -> np.ndarray:
    """(D, m, 2) metres: least-squares fixes of (D, m, A) ranges from ``anchors`` (A, 3) metres
    over the usable ``links`` of m points at ``heights`` (m,) metres; NaN where degenerate."""
    draws, count, anchor_count = ranges.shape
    fix = locate(anchors, ranges.reshape(-1, anchor_count), np.tile(links.usable, (draws, 1)),
                 tag_height_m=np.tile(heights, draws))
    position = np.where(fix.degenerate[:, None], np.nan, fix.position)
    return position.reshape(draws, count, 2)


def mean_or_none(values: np.ndarray) -> float | None:
    """The mean of ``values``, or None for none (an area without samples)."""
    return float(values.mean()) if values.size else None
