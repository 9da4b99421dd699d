"""The per-link mitigation model: a range correction per anchor link, from what the twin knows.

The paper's network (``mitigation_net``) maps eight fixes to a position, so it learns the
measured points by heart and carries their corrections to points it never saw. This model
corrects ranges instead, one link at a time, from features the twin computes anywhere on the
floor, and leaves the position to the least squares of :mod:`twinloc.uwb.multilateration`:

1. the twin's fix: the floor cell near the raw fix (the ranges solved as they are) whose
   expected ranges (distance plus the LOS bias, or the NLOS bias and the predicted excess
   path) match the measured ones best, searched on a coarse lattice and then cell by cell
   (unless at the raw fix the twin sees every link in LOS and every range agrees: then the
   raw fix's cell); then the measured ranges, less the bias the twin expects in that cell,
   solved again;
2. the twin's link table is read at the floor cell nearest the twin's fix: per anchor whether
   the twin sees it in line of sight, the predicted excess path, the thickness crossed per
   material and the incidence on thin walls;
3. each link whose gate is shut gets ``range + network(features, measured range)``;
4. the position is solved from the corrected ranges.

Reading the twin at the raw fix instead is not enough: one NLOS range pushes the raw fix a
metre or more, often into another link's shadow (on the hall the network then cut the NLOS
error by 65%; read at the true position, by 98%). Taking the expected bias off and solving
again, repeatedly, stalls as far off (0.77 m), since the raw fix often leaves the shadow
that caused it; matching the twin's expected ranges over the cells around it does not.

The gate: a link the twin calls line-of-sight and whose residual (measured range minus the
distance from the twin's fix, minus the LOS bias) lies within ``gate_sigmas`` LOS standard
deviations passes unchanged, the very same number; it is judged on the mean of a position's
draws (a sample of eight fixes), so that single noisy draws of a LOS link do not reach the
network. Only shut links train the network.

The network is pre-trained on the twin's virtual data and fine-tuned on measured ranges with
the trainer of :mod:`twinloc.learn.trainer` (live losses, cancel, time limit).
"""

from __future__ import annotations

import copy
import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.grid import adaptive_resolution
from twinloc.geometry.scene import ObjectKind, Scene
from twinloc.mitigation.datasets import MitigationDataset
from twinloc.model.analysis import RangingModel
from twinloc.uwb.multilateration import locate
from twinloc.uwb.ranging import trace_links

#: Features of a link before the per-material thicknesses (see :meth:`PerLinkModel.features`).
BASE_FEATURES = ("twin_los", "twin_excess_m", "distance_m", "incidence", "measured_m", "residual_m")
#: A link passes unchanged when the twin sees it in line of sight and its residual is within
#: this many LOS standard deviations: three keep 99.7% of Gaussian LOS ranges untouched.
GATE_SIGMAS = 3.0
#: The twin's fix searches the SEARCH_COARSE_CELLS cells of a SEARCH_COARSE_M lattice nearest
#: the raw fix (some 2 m around it), then the SEARCH_FINE_CELLS cells nearest the best of them.
SEARCH_COARSE_M = 0.5
SEARCH_COARSE_CELLS = 64
SEARCH_FINE_CELLS = 49
#: Tags searched at once: bounds the search's memory to some 30 MB.
_SEARCH_CHUNK = 20_000
#: Network settings: two hidden layers of 32, some 1,400 weights, for a correction of a few
#: smooth inputs.
NETWORK = {"hidden": 32, "layers": 2}
#: Most links one training stage uses, drawn at random among the shut ones: the hall's virtual
#: data hold some 7 million links, far more than a network of 1,400 weights needs.
MAX_TRAINING_LINKS = 200_000


@dataclass(frozen=True, eq=False)
class LinkTable:
    """The twin's view of every anchor link from every floor cell.

    points : (M, 3) float64, metres, the cell centres.
    los : (M, A) bool, the link crosses nothing.
    excess_m : (M, A) float64, metres, the predicted excess path (0 where LOS or blocked).
    thickness_m : (M, A, K) float64, metres crossed of each of ``materials`` (solids: chord;
        thin surfaces: their thickness per crossing).
    incidence : (M, A) float64, mean 1 / |cos| over the thin surfaces crossed (1 where none).
    materials : the K material names, in column order.
    """

    points: np.ndarray
    los: np.ndarray
    excess_m: np.ndarray
    thickness_m: np.ndarray
    incidence: np.ndarray
    materials: tuple[str, ...]

    @functools.cached_property
    def _tree(self):
        from scipy.spatial import cKDTree

        return cKDTree(self.points[:, :2])

    def nearest_cell(self, xy: np.ndarray) -> np.ndarray:
        """(N,) int64: the cell nearest each of (N, 2) floor points, metres."""
        return self._tree.query(np.asarray(xy, dtype=np.float64).reshape(-1, 2))[1].astype(np.int64)

    def cells_near(self, xy: np.ndarray, count: int) -> np.ndarray:
        """(N, K) int64: the K = min(count, M) cells nearest each of (N, 2) floor points, metres."""
        count = min(count, len(self.points))
        return self._tree.query(np.asarray(xy, dtype=np.float64).reshape(-1, 2), k=count)[1].reshape(len(xy), count)

    def coarse_cells_near(self, xy: np.ndarray, spacing_m: float, count: int) -> np.ndarray:
        """(N, K) int64: of the cells on a ``spacing_m`` lattice (one per lattice square), the
        K = min(count, their number) nearest each of (N, 2) floor points, metres."""
        lattice, tree = self._coarse(spacing_m)
        count = min(count, len(lattice))
        return lattice[tree.query(np.asarray(xy, dtype=np.float64).reshape(-1, 2), k=count)[1].reshape(len(xy), count)]

    @functools.lru_cache(maxsize=2)  # noqa: B019 -- tables live as long as their models
    def _coarse(self, spacing_m: float):
        from scipy.spatial import cKDTree

        squares = np.floor(self.points[:, :2] / spacing_m).astype(np.int64)
        lattice = np.sort(np.unique(squares, axis=0, return_index=True)[1])
        return lattice, cKDTree(self.points[lattice, :2])


def link_table(engine, scene: Scene, anchors: np.ndarray, points: np.ndarray, ranging: RangingModel) -> LinkTable:
    """Trace every anchor link of every cell centre (M, 3) metres through the twin ``scene``.

    ``engine`` is the scene's RayEngine; ``ranging.incidence_correction`` sets how the excess of
    thin surfaces is counted, as in the twin's own ranging model.
    """
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    links = trace_links(engine, scene, anchors, points, incidence_correction=ranging.incidence_correction)
    materials = tuple(name for name, material in scene.materials.items() if not material.opaque)
    column = {name: index for index, name in enumerate(materials)}
    owner_column = np.array([column.get(obj.material, -1) for obj in scene.objects], dtype=np.int64)
    owner_thickness = np.array([scene.material_of(obj).thickness_m if obj.kind is ObjectKind.SURFACE else 0.0
                                for obj in scene.objects])
    count, anchor_count = len(points), len(anchors)
    events = engine.crossing_events(np.repeat(anchors, count, axis=0), np.tile(points, (anchor_count, 1)))
    rays = count * anchor_count
    thickness = np.zeros((rays, max(len(materials), 1)))
    solid = owner_column[events.solid_owner] >= 0
    np.add.at(thickness, (events.solid_ray[solid], owner_column[events.solid_owner[solid]]), events.chord[solid])
    surface = owner_column[events.surface_owner] >= 0
    np.add.at(thickness, (events.surface_ray[surface], owner_column[events.surface_owner[surface]]),
              owner_thickness[events.surface_owner[surface]])
    crossings = np.bincount(events.surface_ray, minlength=rays)
    secants = np.bincount(events.surface_ray, events.secant, minlength=rays)
    incidence = np.where(crossings > 0, secants / np.maximum(crossings, 1), 1.0)

    def per_cell(values: np.ndarray) -> np.ndarray:  # anchor-major rays -> (M, A, ...)
        return np.swapaxes(values.reshape(anchor_count, count, *values.shape[1:]), 0, 1).copy()

    return LinkTable(points, links.los, links.excess_m, per_cell(thickness[:, : len(materials)]),
                     per_cell(incidence), materials)


def floor_link_table(scene: Scene, anchors: np.ndarray, tag_height_m: float, resolution_m: float,
                     ranging: RangingModel, geometry: GeometryCache | None = None) -> LinkTable:
    """:func:`link_table` over the cells of ``scene``'s floor grid at the finer of ``resolution_m``
    and the scene's adaptive resolution (0.1 m for a hall): cells half a metre wide put the
    twin's fix of a tag beside a shadow into it. ``geometry``: the ray engine and grid (None:
    built for this call)."""
    geometry = cache_or_new(geometry)
    resolution_m = min(float(resolution_m), adaptive_resolution(scene))
    points = geometry.floor_grid(scene, resolution_m, tag_height_m).points
    return link_table(geometry.ray_engine(scene), scene, anchors, points, ranging)


@dataclass(eq=False)
class PerLinkModel:
    """A per-link range-correction network with the twin's link table it reads its inputs from.

    network : a ``position_mlp`` of one output (:mod:`twinloc.learn.models`), metres of correction.
    table : the twin's :class:`LinkTable` over its floor grid.
    anchors : (A, 3) float64, metres.
    tag_height_m : the height of every fix, metres.
    ranging : the twin's ranging model; its LOS bias and spread set the gate.
    gate_sigmas : the gate's width in LOS standard deviations.
    """

    network: Any
    table: LinkTable
    anchors: np.ndarray
    tag_height_m: float
    ranging: RangingModel
    gate_sigmas: float = GATE_SIGMAS

    def features(self, ranges: np.ndarray, fix_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs of the network for (N, A) ranges measured at (N, 2) twin's fixes, metres.

        Returns (N, A, F) float64 features (:data:`BASE_FEATURES`, then the thickness of each
        material) and (N, A) bool, whether each link's gate is open (passes unchanged).
        """
        cell = self.table.nearest_cell(fix_xy)
        at = np.column_stack([fix_xy, np.full(len(fix_xy), self.tag_height_m)])
        distance = np.linalg.norm(at[:, None, :] - self.anchors[None, :, :], axis=2)
        los = self.table.los[cell]
        residual = ranges - distance - self.ranging.los_mean_m
        base = np.stack([los.astype(np.float64), self.table.excess_m[cell], distance, self.table.incidence[cell],
                         ranges, residual], axis=2)
        features = np.concatenate([base, self.table.thickness_m[cell]], axis=2)
        passes = los & (np.abs(residual) <= self.gate_sigmas * self.ranging.los_std_m)
        return features, passes

    def corrected_ranges(self, ranges: np.ndarray) -> np.ndarray:
        """(S, D, A) metres: ``ranges`` (S, D, A) metres, D draws at each of S tag positions, with
        each shut link corrected; links whose gate is open, unusable (NaN) links and draws
        without a fix come back unchanged."""
        from twinloc.learn.trainer import predict  # torch loads when a model is first applied

        ranges = np.asarray(ranges, dtype=np.float64)
        flat = ranges.reshape(-1, ranges.shape[2])
        fix, solved, passes = self.twin_fixes(ranges)
        corrected = flat.copy()
        features, _ = self.features(flat[solved], fix[solved])
        shut = ~passes[solved] & np.isfinite(flat[solved])
        rows = corrected[solved]
        rows[shut] = flat[solved][shut] + predict(self.network, features[shut])[:, 0]
        corrected[solved] = rows
        return corrected.reshape(ranges.shape)

    def raw_fixes(self, ranges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 2) metres least-squares fixes of (N, A) ranges, and (N,) bool, where one exists."""
        fix = locate(self.anchors, ranges, np.isfinite(ranges), tag_height_m=self.tag_height_m)
        return fix.position, ~fix.degenerate

    def twin_fixes(self, ranges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The twin's fix of each draw of (S, D, A) ranges, metres (see the module docstring).

        The cell and the gates come from each position's mean ranges, which the noise of
        single draws would mislead: a link's gate is the same for the D draws of a position.

        Returns
        -------
        fix : (S * D, 2) float64, metres.
        solved : (S * D,) bool, a fix exists.
        passes : (S * D, A) bool, the link's gate is open (it passes unchanged).
        """
        samples, draws, anchor_count = ranges.shape
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a link blocked in every draw: its mean is NaN
            mean = np.nanmean(ranges, axis=1)
        fix, _ = self.raw_fixes(mean)
        cells = self.table.nearest_cell(fix)
        # Where every link is LOS to the twin at the raw fix and agrees with it, the tag is there.
        _, passes = self.features(mean, fix)
        searched = np.flatnonzero(~(passes | np.isnan(mean)).all(axis=1))
        for start in range(0, len(searched), _SEARCH_CHUNK):
            chunk = searched[start:start + _SEARCH_CHUNK]
            near = self.table.coarse_cells_near(fix[chunk], SEARCH_COARSE_M, SEARCH_COARSE_CELLS)
            best = self._best_cells(mean[chunk], near)
            cells[chunk] = self._best_cells(mean[chunk], self.table.cells_near(self.table.points[best, :2],
                                                                               SEARCH_FINE_CELLS))
        bias = self._expected_bias(cells)
        _, passes[searched] = self.features(mean[searched], self.raw_fixes(mean[searched] - bias[searched])[0])
        fix, solved = self.raw_fixes((ranges - bias[:, None, :]).reshape(-1, anchor_count))
        return fix, solved, np.repeat(passes, draws, axis=0)

    def _expected_bias(self, cells: np.ndarray) -> np.ndarray:
        """(..., A) metres: the bias the twin expects on each link from ``cells`` (...)."""
        excess = self.table.excess_m[cells]
        return np.where(self.table.los[cells], self.ranging.los_mean_m, self.ranging.nlos_mean_m + excess)

    @functools.cached_property
    def _expected_ranges(self) -> np.ndarray:
        """(M, A) metres: the range the twin expects on each link from each cell of the table."""
        distance = np.linalg.norm(self.table.points[:, None, :] - self.anchors[None, :, :], axis=2)
        return distance + self._expected_bias(np.arange(len(self.table.points)))

    def _best_cells(self, ranges: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """(N,) int64: of each row of (N, K) candidate cells, the one whose expected ranges come
        closest (least squares over the usable links) to the (N, A) measured ranges."""
        mismatch = np.nansum((ranges[:, None, :] - self._expected_ranges[candidates]) ** 2, axis=2)
        return candidates[np.arange(len(candidates)), np.argmin(mismatch, axis=1)]

    def positions(self, ranges: np.ndarray) -> np.ndarray:
        """(S, 2) metres: the mean corrected fix of each sample's (S, D, A) ranges (NaN where none)."""
        samples, draws, anchor_count = ranges.shape
        corrected = self.corrected_ranges(ranges).reshape(-1, anchor_count)
        fix = locate(self.anchors, corrected, np.isfinite(corrected), tag_height_m=self.tag_height_m)
        position = np.where(fix.degenerate[:, None], np.nan, fix.position)
        return position.reshape(samples, draws, 2).mean(axis=1)

    def training_links(self, data: MitigationDataset, rng: np.random.Generator,
                       most: int = MAX_TRAINING_LINKS) -> tuple[np.ndarray, np.ndarray]:
        """(L, F) inputs and (L, 1) targets, metres: the shut links of ``data`` (at most ``most``,
        drawn with ``rng``), each with its correction, the true distance minus the measured range.

        Raises
        ------
        ValueError
            ``data`` hold no ranges, or no link of them is shut.
        """
        if data.ranges is None:
            raise ValueError("the per-link model needs the measured range of every anchor; these data hold positions only")
        fix, solved, passes = self.twin_fixes(data.ranges)
        ranges = data.ranges.reshape(-1, data.ranges.shape[2])[solved]
        true = np.repeat(data.true, data.ranges.shape[1], axis=0)[solved]
        features, _ = self.features(ranges, fix[solved])
        passes = passes[solved]
        at = np.column_stack([true, np.full(len(true), self.tag_height_m)])
        target = np.linalg.norm(at[:, None, :] - self.anchors[None, :, :], axis=2) - ranges
        chosen = np.flatnonzero((~passes & np.isfinite(ranges)).reshape(-1))
        if chosen.size == 0:
            raise ValueError("no link of these data needs a correction (every gate is open)")
        if chosen.size > most:
            chosen = np.sort(rng.choice(chosen, most, replace=False))
        return features.reshape(-1, features.shape[2])[chosen], target.reshape(-1, 1)[chosen]

    def copy(self) -> PerLinkModel:
        """An independent copy (the network's weights copied; the link table shared)."""
        return PerLinkModel(copy.deepcopy(self.network), self.table, self.anchors, self.tag_height_m, self.ranging,
                            self.gate_sigmas)


def new_per_link_model(table: LinkTable, anchors: np.ndarray, tag_height_m: float, ranging: RangingModel,
                       seed: int = 0) -> PerLinkModel:
    """A per-link model with a freshly initialised network (:data:`NETWORK`) over ``table``."""
    from twinloc.learn.models import create_model

    network = create_model("position_mlp", seed=seed, inputs=len(BASE_FEATURES) + len(table.materials), outputs=1,
                           **NETWORK)
    return PerLinkModel(network, table, np.asarray(anchors, dtype=np.float64).reshape(-1, 3), float(tag_height_m),
                        ranging)


def model_positions(model, data: MitigationDataset) -> np.ndarray:
    """(N, 2) metres: the positions ``model`` (a per-link model or a position network) gives
    for each sample of ``data``."""
    if isinstance(model, PerLinkModel):
        if data.ranges is None:
            raise ValueError("the per-link model needs the measured range of every anchor; these data hold positions only")
        return model.positions(data.ranges)
    from twinloc.learn.trainer import predict

    return predict(model, data.inputs)

