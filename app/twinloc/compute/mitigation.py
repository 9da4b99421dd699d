"""Positioning error mitigation trained on twin data (seed 004, §3.4 and §4.3).

The twin generates virtual data (every cell of a floor grid, many groups of eight noisy fixes);
a network pre-trained on it is fine-tuned on measured data and compared, in line-of-sight and
non-line-of-sight areas, with the raw fixes and with the cubic polynomial surface fit.

Without a site, :func:`simulate_site` measures a deliberately different twin (permittivities
scaled, an obstacle the twin lacks, other noise); its data are labelled as simulated.
This module joins :mod:`twinloc.uwb` (ranging) and :mod:`twinloc.learn` (models), which the
layer rules keep apart.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing, scaled_progress
from twinloc.compute.engines import ray_engine_for
from twinloc.compute.grids import floor_grid_for
from twinloc.compute.jobs import Job, input_key
from twinloc.geometry.grid import MAX_CELLS, FloorGrid
from twinloc.geometry.materials import Material
from twinloc.geometry.primitives import box_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.learn.models import create_model
from twinloc.learn.polynomial import CubicSurfaceFit
from twinloc.learn.trainer import (
    Checkpoint,
    CheckpointError,
    TrainingHistory,
    TrainingResult,
    TrainingSettings,
    load_checkpoint,
    predict,
    save_checkpoint,
    settings_dict,
    train,
)
from twinloc.model.analysis import MAX_GROUPS, MAX_SEED, RangingModel
from twinloc.model.atomic import write_atomic
from twinloc.model.devices import MAX_COORDINATE_M
from twinloc.model.input_files import MIB, checked_input_file
from twinloc.model.project_file import MAX_DEVICES
from twinloc.uwb.measured import MeasuredPoint, load_measured_csv
from twinloc.uwb.multilateration import locate
from twinloc.uwb.ranging import Links, noisy_ranges, trace_links

__all__ = [
    "DATASET_LIMIT_BYTES",
    "DEFAULT_FINE_TUNE",
    "DEFAULT_PRETRAIN",
    "FIXES_PER_SAMPLE",
    "MAX_GROUPS",
    "MAX_SAMPLES",
    "DatasetError",
    "MitigationDataset",
    "MitigatedMap",
    "MitigationResult",
    "SiteSimulation",
    "StageListener",
    "load_dataset",
    "load_mitigation_model",
    "measured_csv_dataset",
    "measured_dataset",
    "mitigated_map",
    "mitigated_map_job",
    "mitigation_checkpoint",
    "mitigation_job",
    "nlos_points",
    "save_dataset",
    "save_mitigation_model",
    "simulate_site",
    "simulated_site_dataset",
    "split_measured",
    "train_mitigation",
    "virtual_dataset",
    "virtual_dataset_job",
]

#: Fixes of one measuring point that form one network input (seed 004: 8, i.e. 16 numbers).
FIXES_PER_SAMPLE = 8

#: Pre-training on the virtual data: large batches over some 300,000 samples (the hall at 10 cm).
DEFAULT_PRETRAIN = TrainingSettings(epochs=30, batch_size=512, learning_rate=1e-3, patience=8)
#: Fine-tuning on a few thousand measured samples: small batches and steps; early stopping ends
#: it (the hall's simulated site stops after about 170 epochs, 20 s).
DEFAULT_FINE_TUNE = TrainingSettings(epochs=200, batch_size=64, learning_rate=3e-4, patience=10)

_POINTS_PER_CHUNK = 400

#: Most samples of one data set, generated or read from a file: generating them and training
#: on them peaks at about 450 MB + 690 B per sample, 820 MB at the limit (the hall at 10 cm
#: with the default 20 groups has about 300,000).
MAX_SAMPLES = 600_000
#: Largest training data file read (a compressed ``.npz``; MAX_SAMPLES samples take less).
DATASET_LIMIT_BYTES = 1024 * MIB
#: Longest provenance text of a data file, characters.
_MAX_PROVENANCE_CHARACTERS = 1_000_000
#: Per array of a data file: the kinds of dtype accepted, and the shape after the sample count.
_DATASET_ARRAYS = {"inputs": ("f", (2 * FIXES_PER_SAMPLE,)), "true": ("f", (2,)), "nlos": ("b", ()),
                   "point": ("iu", ())}


class DatasetError(ValueError):
    """A file that is not usable training data; the message names the file and says why."""


@dataclass(frozen=True, eq=False)
class MitigationDataset:
    """Samples for the mitigation network.

    inputs : (N, 16) float64, metres; eight measured (x, y) fixes of one point, flattened.
    true : (N, 2) float64, metres; the point's true position.
    nlos : (N,) bool; the point sees at least one anchor through an obstacle (in the twin).
    point : (N,) int64; index of the measuring point or grid cell a sample comes from.
    provenance : where the data come from (kind, scene hash, anchors, ranging model, seed, ...).
    """

    inputs: np.ndarray
    true: np.ndarray
    nlos: np.ndarray
    point: np.ndarray
    provenance: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(len(self.true))

    def subset(self, index: np.ndarray) -> MitigationDataset:
        """The samples at ``index`` (an int array or a boolean mask), same provenance."""
        return MitigationDataset(self.inputs[index], self.true[index], self.nlos[index], self.point[index], self.provenance)

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

    Raises
    ------
    ValueError
        ``groups`` out of range, or more than MAX_SAMPLES samples (cells × groups).
    """
    if not 1 <= groups <= MAX_GROUPS:
        raise ValueError(f"groups must be between 1 and {MAX_GROUPS}, got {groups}")
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    progress(0.0, "Tracing links")
    grid = floor_grid_for(scene, resolution_m, tag_height_m)
    points = grid.points
    if len(points) * groups > MAX_SAMPLES:
        raise ValueError(f"{len(points):,} floor cells × {groups} groups is more than {MAX_SAMPLES:,} samples; "
                         "use fewer groups or a coarser grid")
    links = trace_links(ray_engine_for(scene), scene, anchors, points, incidence_correction=ranging.incidence_correction)
    dataset = _sample_points(links, anchors, points, groups, ranging, np.random.default_rng(seed),
                             scaled_progress(progress, 0.1, 1.0), cancel)
    provenance = {
        "kind": "virtual", "scene": scene.name, "scene_hash": scene.content_hash(), "anchors": anchors.tolist(),
        "tag_height_m": float(tag_height_m), "resolution_m": float(resolution_m), "groups": int(groups),
        "ranging": dataclasses.asdict(ranging), "seed": int(seed),
    }
    return dataclasses.replace(dataset, provenance=provenance)


def virtual_dataset_job(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    resolution_m: float,
    groups: int,
    ranging: RangingModel = RangingModel(),
    seed: int = 0,
) -> Job:
    """A cached job running :func:`virtual_dataset` (same parameters)."""
    anchors = np.array(anchors, dtype=np.float64).reshape(-1, 3)
    anchors.flags.writeable = False
    tag_height_m, resolution_m, groups, seed = float(tag_height_m), float(resolution_m), int(groups), int(seed)

    def run(progress: ProgressFn, cancel: CancelToken) -> MitigationDataset:
        return virtual_dataset(scene, anchors, tag_height_m, resolution_m, groups, ranging, seed,
                               progress=progress, cancel=cancel)

    key = input_key("mitigation_virtual", scene.content_hash(), anchors, tag_height_m, resolution_m, groups, ranging, seed)
    return Job(name="Virtual training data", function=run, key=key)


def measured_dataset(
    points: list[MeasuredPoint],
    nlos: np.ndarray,
    provenance: dict[str, Any] | None = None,
) -> MitigationDataset:
    """Group each measuring point's fixes into samples of eight (a remainder is left out).

    Parameters
    ----------
    points : measuring points; each with at least eight fixes contributes samples.
    nlos : (P,) bool, one per point; see :func:`nlos_points`.
    provenance : recorded with the data (e.g. the file, or the site simulation).
    """
    inputs, true, flags, index = [], [], [], []
    for number, (point, flag) in enumerate(zip(points, np.asarray(nlos, dtype=bool))):
        count = len(point.measured) // FIXES_PER_SAMPLE
        if count == 0:
            continue
        inputs.append(point.measured[: count * FIXES_PER_SAMPLE].reshape(count, 2 * FIXES_PER_SAMPLE))
        true.append(np.repeat(point.true[None], count, axis=0))
        flags.append(np.full(count, flag))
        index.append(np.full(count, number))
    if not inputs:
        raise ValueError(f"no measuring point has {FIXES_PER_SAMPLE} fixes or more")
    return MitigationDataset(np.concatenate(inputs), np.concatenate(true), np.concatenate(flags),
                             np.concatenate(index).astype(np.int64), provenance or {"kind": "measured"})


def measured_csv_dataset(path: str | Path, scene: Scene, anchors: np.ndarray, tag_height_m: float) -> MitigationDataset:
    """Measuring points read from a CSV file (see :mod:`twinloc.uwb.measured`), grouped into
    samples, each point called LOS or NLOS by the twin.

    Raises
    ------
    ValueError
        A malformed file, or no point with eight fixes; the message names the file.
    """
    points = load_measured_csv(path)
    nlos = nlos_points(scene, anchors, [point.true for point in points], tag_height_m)
    return measured_dataset(points, nlos, {"kind": "measured", "file": str(path), "points": len(points)})


def nlos_points(scene: Scene, anchors: np.ndarray, xy: np.ndarray, tag_height_m: float) -> np.ndarray:
    """(P,) bool: whether each (P, 2) floor point (metres) has a non-line-of-sight link in the twin."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    points = np.column_stack([xy, np.full(len(xy), float(tag_height_m))])
    links = trace_links(ray_engine_for(scene), scene, np.asarray(anchors, dtype=np.float64).reshape(-1, 3), points)
    return ~links.los.all(axis=1)


@dataclass(frozen=True)
class SiteSimulation:
    """A stand-in for a physical site: the twin changed in ways the twin does not know.

    permittivity_scale : every material's relative permittivity is multiplied by this.
    obstacle_size_m : (x, y, z) of a concrete box the twin lacks, at the evaluation area's centre.
    obstacle_permittivity : its relative permittivity.
    noise_scale : the ranging model's standard deviations and NLOS bias are multiplied by this.
    points : measuring points, half in cells the twin calls NLOS (as far as there are some).
    fixes : fixes per measuring point (seed 004: 496 of its 500 were used).
    seed : seed of the point choice and of the noise.
    """

    permittivity_scale: float = 1.3
    obstacle_size_m: tuple[float, float, float] = (0.7, 0.7, 3.0)
    obstacle_permittivity: float = 6.0
    noise_scale: float = 1.3
    points: int = 50
    fixes: int = 496
    seed: int = 1


def simulate_site(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    resolution_m: float,
    ranging: RangingModel = RangingModel(),
    simulation: SiteSimulation = SiteSimulation(),
) -> tuple[list[MeasuredPoint], np.ndarray]:
    """Simulated measured data of a "physical site" that differs from the twin.

    Returns
    -------
    points : the measuring points, each with ``simulation.fixes`` fixes (metres).
    nlos : (P,) bool; the twin's (not the site's) NLOS classification of each point.
    """
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 3)
    site = _site_scene(scene, simulation)
    site_ranging = _site_ranging(ranging, simulation)
    rng = np.random.default_rng(simulation.seed)
    candidates = floor_grid_for(site, resolution_m, tag_height_m).points
    twin_nlos = nlos_points(scene, anchors, candidates[:, :2], tag_height_m)
    chosen = _balanced_choice(twin_nlos, simulation.points, rng)
    links = trace_links(ray_engine_for(site), site, anchors, candidates[chosen],
                        incidence_correction=ranging.incidence_correction)
    ranges = noisy_ranges(links, site_ranging, simulation.fixes, rng)
    fixes = _fixes(anchors, ranges, links, candidates[chosen, 2])
    points = [MeasuredPoint(true=candidates[index, :2].copy(), measured=fixes[:, number][~np.isnan(fixes[:, number, 0])])
              for number, index in enumerate(chosen)]
    return points, twin_nlos[chosen]


def simulated_site_dataset(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    resolution_m: float,
    ranging: RangingModel = RangingModel(),
    simulation: SiteSimulation = SiteSimulation(),
) -> MitigationDataset:
    """:func:`simulate_site`'s measuring points grouped into samples; the provenance says
    "simulated site" and records the simulation, so the site can be generated again."""
    points, nlos = simulate_site(scene, anchors, tag_height_m, resolution_m, ranging, simulation)
    return measured_dataset(points, nlos, {"kind": "simulated site", "scene_hash": scene.content_hash(),
                                           "points": len(points), "simulation": dataclasses.asdict(simulation)})


StageListener = Callable[[str, int, TrainingHistory], None]
"""``listener(stage, epoch, history)`` after each epoch of a stage ("pretrain", then "fine_tune")."""


@dataclass(frozen=True, eq=False)
class MitigationResult:
    """Mean positioning errors (metres) before and after correction, per area.

    errors : {"los" | "nlos": {"raw" | "nn_pretrained" | "nn" | "poly": float or None}};
        None where the test set has no sample in that area.
    samples : {"virtual", "measured_train", "measured_test"}: sample counts.
    train_seconds : pre-training plus fine-tuning wall-clock time.
    model : the fine-tuned network; polynomial : the baseline fitted on the measured training samples.
    training : {"pretrain" | "fine_tune": TrainingResult}, loss histories and why each stopped.
    test : the held-out measured samples.
    corrected : {"raw" | "nn_pretrained" | "nn" | "poly": (T, 2) metres}, the test positions.
    provenance : the data's and the settings' (saved with the model).
    """

    errors: dict[str, dict[str, float | None]]
    samples: dict[str, int]
    train_seconds: float
    model: Any
    polynomial: CubicSurfaceFit
    training: dict[str, TrainingResult]
    test: MitigationDataset
    corrected: dict[str, np.ndarray]
    provenance: dict[str, Any]

    @property
    def stopped(self) -> str:
        """Why the run ended: the fine-tuning stage's reason, or "cancelled" if either stage was."""
        reasons = [result.stopped for result in self.training.values()]
        return "cancelled" if "cancelled" in reasons else reasons[-1]


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


def train_mitigation(
    virtual: MitigationDataset,
    measured: MitigationDataset,
    pretrain: TrainingSettings,
    fine_tune: TrainingSettings,
    *,
    architecture: str = "mitigation_net",
    model_kwargs: dict[str, Any] | None = None,
    test_fraction: float = 0.2,
    split: str = "samples",
    seed: int = 0,
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
    epoch_listener: StageListener | None = None,
) -> MitigationResult:
    """Pre-train on virtual data, fine-tune on measured data, compare on held-out measured data.

    The measured data are split at random, ``test_fraction`` held out for the comparison
    (seed 004: 80/20). ``split="samples"`` holds out samples, as the paper did, so the test
    points were also seen in training (their other samples); ``split="points"`` holds out whole
    measuring points, which tests the correction where nothing was measured. The polynomial
    baseline is fitted on the same training samples, from the mean of each sample's fixes to
    the true position. A cancelled stage keeps its best
    weights and the run goes on to the comparison, so a cancelled run still gives a usable model.

    Raises
    ------
    ValueError
        Too few measured samples (or points) to hold some out and train on the rest.
    """
    test, training = split_measured(measured, test_fraction, split, np.random.default_rng(seed))
    model = create_model(architecture, seed=seed, **(model_kwargs or {}))
    model.normalisation.fit(*_tensors(virtual))
    started = time.perf_counter()
    stages = {"pretrain": train(model, virtual.inputs, virtual.true, pretrain, progress=scaled_progress(progress, 0.0, 0.8),
                                cancel=cancel, epoch_listener=_for_stage(epoch_listener, "pretrain"))}
    pretrained = predict(model, test.inputs)
    stages["fine_tune"] = train(model, training.inputs, training.true, fine_tune, progress=scaled_progress(progress, 0.8, 1.0),
                                cancel=cancel, epoch_listener=_for_stage(epoch_listener, "fine_tune"))
    seconds = time.perf_counter() - started
    polynomial = CubicSurfaceFit.fit(training.raw, training.true)
    corrected = {"raw": test.raw, "nn_pretrained": pretrained, "nn": predict(model, test.inputs),
                 "poly": polynomial.predict(test.raw)}
    errors = {
        area: {name: _mean_or_none(np.linalg.norm(xy - test.true, axis=1)[mask]) for name, xy in corrected.items()}
        for area, mask in (("los", ~test.nlos), ("nlos", test.nlos))
    }
    provenance = {"virtual": virtual.provenance, "measured": measured.provenance, "seed": int(seed), "split": split,
                  "pretrain": settings_dict(pretrain), "fine_tune": settings_dict(fine_tune)}
    samples = {"virtual": len(virtual), "measured_train": len(training), "measured_test": len(test)}
    return MitigationResult(errors, samples, seconds, model, polynomial, stages, test, corrected, provenance)


def mitigation_job(
    virtual: Job | MitigationDataset,
    measured: MitigationDataset,
    pretrain: TrainingSettings,
    fine_tune: TrainingSettings,
    *,
    architecture: str = "mitigation_net",
    model_kwargs: dict[str, Any] | None = None,
    split: str = "samples",
    seed: int = 0,
    save_path: str | Path | None = None,
    epoch_listener: StageListener | None = None,
) -> Job:
    """A job running :func:`train_mitigation` and optionally saving the model.

    ``virtual`` is the data, or a job generating it first (its progress is the first fifth).
    Not cached: a trained model is worth keeping only when saved.
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> MitigationResult:
        data = virtual
        if isinstance(virtual, Job):
            data = virtual.function(scaled_progress(progress, 0.0, 0.2), cancel)
            progress = scaled_progress(progress, 0.2, 1.0)
        result = train_mitigation(data, measured, pretrain, fine_tune, architecture=architecture,
                                  model_kwargs=model_kwargs, split=split, seed=seed, progress=progress, cancel=cancel,
                                  epoch_listener=epoch_listener)
        if save_path is not None:
            save_mitigation_model(save_path, result)
        return result

    return Job(name="Error mitigation training", function=run)


def mitigation_checkpoint(result: MitigationResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provenance and extra metadata a checkpoint of ``result``'s model records:
    the data and settings; the errors, sample counts, loss curves and training time."""
    history = {stage: dataclasses.asdict(training.history) | {"stopped": training.stopped}
               for stage, training in result.training.items()}
    return result.provenance, {"errors": result.errors, "samples": result.samples, "history": history,
                               "train_seconds": result.train_seconds}


def save_mitigation_model(path: str | Path, result: MitigationResult) -> None:
    """Write ``result``'s model as a checkpoint with :func:`mitigation_checkpoint`'s metadata."""
    provenance, extra = mitigation_checkpoint(result)
    save_checkpoint(path, result.model, provenance=provenance, extra=extra)


@dataclass(frozen=True, eq=False)
class MitigatedMap:
    """Mean positioning error per floor cell of the virtual data, before and after the network.

    grid : the cells of the virtual data.
    raw, nn : (M,) float64, metres, one per masked cell of ``grid``; NaN for cells without samples.
    nlos : (M,) bool, the cell sees an anchor through an obstacle.
    source : "twin", or "simulated site" for the floor of :func:`simulate_site`'s site.
    """

    grid: FloorGrid
    raw: np.ndarray
    nn: np.ndarray
    nlos: np.ndarray
    source: str = "twin"

    def area_means(self) -> dict[str, dict[str, float | None]]:
        """{"los" | "nlos": {"raw" | "nn": mean over the cells with samples, metres, or None}}."""
        known = np.isfinite(self.raw)
        return {area: {name: _mean_or_none(values[known & mask]) for name, values in (("raw", self.raw), ("nn", self.nn))}
                for area, mask in (("los", ~self.nlos), ("nlos", self.nlos))}


def mitigated_map(
    scene: Scene,
    model,
    virtual: MitigationDataset,
    *,
    source: str = "twin",
    progress: ProgressFn = report_nothing,
    cancel: CancelToken | None = None,
) -> MitigatedMap:
    """The network applied to every sample of ``virtual``, averaged per cell of its floor grid.

    ``scene`` is the one the data were generated in; ``source`` names it for the user.

    Raises
    ------
    ValueError
        ``virtual`` is not virtual data generated in ``scene`` (its kind or scene hash differ).
    """
    provenance = virtual.provenance
    if provenance.get("kind") != "virtual" or provenance.get("scene_hash") != scene.content_hash():
        raise ValueError("the virtual data were generated for another scene or its materials; generate them again")
    grid = floor_grid_for(scene, provenance["resolution_m"], provenance["tag_height_m"])
    cells = len(grid.points)
    if len(virtual) and virtual.point.max() >= cells:
        raise ValueError("the virtual data name floor cells this scene's grid does not have; generate them again")
    corrected = np.empty_like(virtual.true)
    step = 65_536
    for start in range(0, len(virtual), step):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = slice(start, start + step)
        corrected[chunk] = predict(model, virtual.inputs[chunk])
        progress(min(1.0, (start + step) / len(virtual)), "Applying the model")
    counts = np.bincount(virtual.point, minlength=cells).astype(np.float64)
    with np.errstate(invalid="ignore"):
        raw = np.bincount(virtual.point, np.linalg.norm(virtual.raw - virtual.true, axis=1), cells) / counts
        nn = np.bincount(virtual.point, np.linalg.norm(corrected - virtual.true, axis=1), cells) / counts
    nlos = np.zeros(cells, dtype=bool)
    nlos[virtual.point] = virtual.nlos
    return MitigatedMap(grid, raw, nn, nlos, source)


def mitigated_map_job(scene: Scene, model, virtual: MitigationDataset, site: SiteSimulation | None = None) -> Job:
    """A job running :func:`mitigated_map` (not cached: models are not hashable inputs).

    With ``site``, the floor is the simulated site's instead of the twin's: the same grid,
    groups and ranging model as ``virtual``, generated in the site's scene with its noise
    (the way a fine-tuned model would meet the site everywhere, not only at the measured points).
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> MitigatedMap:
        if site is None:
            return mitigated_map(scene, model, virtual, progress=progress, cancel=cancel)
        given = virtual.provenance
        site_scene = _site_scene(scene, site)
        floor = virtual_dataset(site_scene, np.asarray(given["anchors"]), given["tag_height_m"], given["resolution_m"],
                                given["groups"], _site_ranging(RangingModel(**given["ranging"]), site), site.seed,
                                progress=scaled_progress(progress, 0.0, 0.5), cancel=cancel)
        return mitigated_map(site_scene, model, floor, source="simulated site",
                             progress=scaled_progress(progress, 0.5, 1.0), cancel=cancel)

    return Job(name="Mitigated error map", function=run)


def save_dataset(dataset: MitigationDataset, path: str | Path) -> None:
    """Write ``dataset`` as a compressed ``.npz`` (atomically); the provenance is stored as JSON text."""
    write_atomic(path, lambda stream: np.savez_compressed(
        stream, inputs=dataset.inputs, true=dataset.true, nlos=dataset.nlos, point=dataset.point,
        provenance=np.array(json.dumps(dataset.provenance))))


def load_dataset(path: str | Path) -> MitigationDataset:
    """Read a dataset written by :func:`save_dataset`.

    Every array's header (dtype and shape) is read and checked, against the others and against
    :data:`MAX_SAMPLES`, before any array is: a small file of compressed zeros that claims
    billions of samples is refused without taking their memory. Virtual data must carry the
    provenance :func:`virtual_dataset` records, with valid values.

    Raises
    ------
    DatasetError
        The file cannot be read or is not a training data file; the message names the file.
    """
    path = Path(path)
    try:
        checked_input_file(path, DATASET_LIMIT_BYTES)
        with zipfile.ZipFile(path) as archive:
            headers = {name: _array_header(archive, name) for name in (*_DATASET_ARRAYS, "provenance")}
            count = _checked_shapes(headers)
            arrays = {name: _array_data(archive, name, header) for name, header in headers.items()}
    except DatasetError as error:
        raise DatasetError(f"{path}: {error}") from None
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the training data: {error.strerror or error}") from None
    except Exception as error:  # zipfile and numpy's header reader fail on damaged files with errors of many types
        raise DatasetError(f"{path}: not a TwinLoc training data file (damaged: {type(error).__name__})") from None
    try:
        provenance = json.loads(str(arrays["provenance"]))
    except (ValueError, RecursionError):
        raise DatasetError(f"{path}: the provenance of the training data is not valid JSON") from None
    problem = _provenance_problem(provenance)
    if problem is not None:
        raise DatasetError(f"{path}: the provenance of the training data is damaged: {problem}")
    dataset = MitigationDataset(arrays["inputs"].astype(np.float64, copy=False), arrays["true"].astype(np.float64, copy=False),
                                arrays["nlos"], arrays["point"].astype(np.int64, copy=False), provenance)
    if not (np.isfinite(dataset.inputs).all() and np.isfinite(dataset.true).all()):
        raise DatasetError(f"{path}: the training data hold NaN or infinite values")
    if count and not (dataset.point.min() >= 0 and dataset.point.max() < MAX_CELLS):
        raise DatasetError(f"{path}: the training data name grid cells below 0 or above {MAX_CELLS:,}")
    return dataset


def load_mitigation_model(path: str | Path) -> Checkpoint:
    """A checkpoint of an error mitigation model (:func:`load_checkpoint`), its metadata checked
    to be what :func:`mitigation_checkpoint` records, so that showing them cannot fail.

    Raises
    ------
    CheckpointError
        Not a readable checkpoint, a model for other data (not 16 inputs and 2 outputs), or
        damaged metadata; the message names the file.
    """
    checkpoint = load_checkpoint(path)
    kwargs = checkpoint.kwargs
    if kwargs.get("inputs") != 2 * FIXES_PER_SAMPLE or kwargs.get("outputs") != 2:
        raise CheckpointError(f"{path}: a {checkpoint.architecture} model for other data "
                              f"(error mitigation needs {2 * FIXES_PER_SAMPLE} inputs and 2 outputs)")
    problem = _mitigation_metadata_problem(checkpoint.provenance, checkpoint.extra)
    if problem is not None:
        raise CheckpointError(f"{path}: the model's metadata are damaged: {problem}")
    return checkpoint


def _array_header(archive: zipfile.ZipFile, name: str) -> tuple[zipfile.ZipInfo, np.dtype, tuple[int, ...], bool, int]:
    """(member, dtype, shape, Fortran order, offset of the data) of array ``name``, reading its header only."""
    try:
        member = archive.getinfo(f"{name}.npy")
    except KeyError:
        raise DatasetError(f"not a TwinLoc training data file (it has no {name!r} array)") from None
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise DatasetError(f"array {name!r} has .npy format version {version}, which TwinLoc does not write")
        offset = stream.tell()
    return member, dtype, shape, fortran, offset


def _checked_shapes(headers: dict) -> int:
    """The sample count, after checking every array's dtype and shape and each member's size."""
    counts = set()
    for name, (member, dtype, shape, _fortran, offset) in headers.items():
        if name == "provenance":
            if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * _MAX_PROVENANCE_CHARACTERS:
                raise DatasetError(f"the provenance is not a text of at most {_MAX_PROVENANCE_CHARACTERS:,} characters")
        else:
            kinds, rest = _DATASET_ARRAYS[name]
            if (dtype.kind not in kinds or dtype.hasobject or len(shape) != 1 + len(rest) or tuple(shape[1:]) != rest
                    or shape[0] < 0):
                raise DatasetError(f"array {name!r} is {dtype} of shape {shape}, expected (N, {', '.join(map(str, rest))})"
                                   if rest else f"array {name!r} is {dtype} of shape {shape}, expected (N,)")
            counts.add(shape[0])
        if member.file_size != offset + math.prod(shape) * dtype.itemsize:
            raise DatasetError(f"array {name!r} is damaged (its size does not match its header)")
    if len(counts) != 1:
        raise DatasetError("the arrays of the training data do not match in shape")
    count = counts.pop()
    if count > MAX_SAMPLES:
        raise DatasetError(f"{count:,} samples, more than the {MAX_SAMPLES:,} a data file may hold")
    return count


def _array_data(archive: zipfile.ZipFile, name: str, header) -> np.ndarray:
    """Array ``name``, read into memory of exactly the size its checked header gives."""
    member, dtype, shape, fortran, offset = header
    data = bytearray(member.file_size - offset)
    with archive.open(member) as stream:
        stream.seek(offset)
        if stream.readinto(data) != len(data):
            raise DatasetError(f"array {name!r} is damaged (it ends early)")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def _provenance_problem(provenance: Any) -> str | None:
    """What is wrong with a data file's provenance, or None; virtual data must carry what
    :func:`virtual_dataset` records, since the mitigated map regenerates the data from it."""
    if not isinstance(provenance, dict):
        return "it is not a JSON object"
    if provenance.get("kind") != "virtual":
        return None if isinstance(provenance.get("kind", ""), str) else "its kind is not a text"
    anchors = provenance.get("anchors")
    if not (isinstance(anchors, list) and 1 <= len(anchors) <= MAX_DEVICES
            and all(isinstance(anchor, list) and len(anchor) == 3 and all(map(_is_coordinate, anchor)) for anchor in anchors)):
        return f"anchors must be 1 to {MAX_DEVICES} positions [x, y, z] within ±{MAX_COORDINATE_M:,.0f} m"
    if not (isinstance(provenance.get("scene"), str) and isinstance(provenance.get("scene_hash"), str)):
        return "the scene's name and hash must be texts"
    resolution, height = provenance.get("resolution_m"), provenance.get("tag_height_m")
    if not (_is_coordinate(resolution) and 0.01 <= resolution <= 5.0 and _is_coordinate(height) and height >= 0):
        return "the grid resolution must be 0.01 m to 5 m and the tag height a height >= 0 m"
    if not (_is_whole(provenance.get("groups"), 1, MAX_GROUPS) and _is_whole(provenance.get("seed"), 0, MAX_SEED)):
        return f"groups must be 1 to {MAX_GROUPS} and the seed a whole number >= 0"
    ranging = provenance.get("ranging")
    try:
        if not (isinstance(ranging, dict)
                and all(isinstance(value, bool) or _is_coordinate(value) for value in ranging.values())):
            raise ValueError
        RangingModel(**ranging)
    except (TypeError, ValueError):
        return "the ranging model must hold the numbers of twinloc.model.analysis.RangingModel"
    return None


def _mitigation_metadata_problem(provenance: dict, extra: dict) -> str | None:
    """What of a mitigation model's metadata (see :func:`mitigation_checkpoint`) cannot be shown, or None."""
    errors, samples, history = extra.get("errors", {}), extra.get("samples", {}), extra.get("history", {})
    if not (isinstance(errors, dict) and all(
            isinstance(area, dict) and all(value is None or _is_real(value) for value in area.values())
            for area in errors.values())):
        return "the mean errors are not numbers"
    if not (isinstance(samples, dict) and all(_is_whole(value, 0, MAX_SAMPLES) for value in samples.values())):
        return "the sample counts are not whole numbers"
    if not (isinstance(history, dict) and all(
            isinstance(stage, dict) and all(isinstance(stage.get(curve, []), list) and all(map(_is_real, stage.get(curve, [])))
                                            for curve in ("train_loss", "validation_loss"))
            for stage in history.values())):
        return "the loss curves are not lists of numbers"
    measured, virtual = provenance.get("measured", {}), provenance.get("virtual", {})
    if not (isinstance(measured, dict) and isinstance(measured.get("kind", ""), str)
            and isinstance(virtual, dict) and isinstance(virtual.get("anchors", []), list)):
        return "the description of the training data is not what TwinLoc records"
    return None


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_coordinate(value: Any) -> bool:
    # Compared, not converted: a JSON integer of 4,000 digits has no float.
    return _is_real(value) and abs(value) <= MAX_COORDINATE_M


def _is_whole(value: Any, least: int, most: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= most


def _sample_points(links: Links, anchors, points, groups, ranging, rng, progress, cancel) -> MitigationDataset:
    draws = groups * FIXES_PER_SAMPLE
    nlos_cell = ~links.los.all(axis=1)
    inputs, true, nlos, index = [], [], [], []
    for start in range(0, len(points), _POINTS_PER_CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = slice(start, start + _POINTS_PER_CHUNK)
        part = Links(links.true_range_m[chunk], links.excess_m[chunk], links.los[chunk], links.blocked[chunk])
        fixes = _fixes(anchors, noisy_ranges(part, ranging, draws, rng), part, points[chunk, 2])  # (D, m, 2)
        count = fixes.shape[1]
        # (groups, 8, m, 2) -> (m, groups, 16): one sample per group of eight draws of a cell.
        samples = fixes.reshape(groups, FIXES_PER_SAMPLE, count, 2).transpose(2, 0, 1, 3).reshape(count, groups, -1)
        keep = ~np.isnan(samples).any(axis=(1, 2))
        cells = np.arange(start, start + count)[keep]
        inputs.append(samples[keep].reshape(-1, 2 * FIXES_PER_SAMPLE))
        true.append(np.repeat(points[cells, :2], groups, axis=0))
        nlos.append(np.repeat(nlos_cell[cells], groups))
        index.append(np.repeat(cells, groups))
        progress(min(1.0, (start + count) / len(points)), "Simulating fixes")
    if not inputs or sum(len(part) for part in inputs) == 0:
        raise ValueError("no cell of the floor grid has a usable fix from these anchors")
    return MitigationDataset(np.concatenate(inputs), np.concatenate(true), np.concatenate(nlos),
                             np.concatenate(index).astype(np.int64))


def _fixes(anchors: np.ndarray, ranges: np.ndarray, links: Links, heights: np.ndarray) -> np.ndarray:
    """(D, m, 2) metres: least-squares fixes of (D, m, A) ranges; NaN where degenerate."""
    draws, count, anchor_count = ranges.shape
    fix = locate(anchors, ranges.reshape(-1, anchor_count), np.tile(links.usable, (draws, 1)),
                 tag_height_m=np.tile(heights, draws))
    position = np.where(fix.degenerate[:, None], np.nan, fix.position)
    return position.reshape(draws, count, 2)


def _site_scene(scene: Scene, simulation: SiteSimulation) -> Scene:
    materials = {
        name: dataclasses.replace(material, relative_permittivity=material.relative_permittivity * simulation.permittivity_scale)
        for name, material in scene.materials.items()
        if not material.opaque
    }
    obstacle_material = "unmodelled obstacle"
    materials[obstacle_material] = Material(obstacle_material, simulation.obstacle_permittivity)
    region_points = np.concatenate([region.polygon for region in scene.evaluation_regions()] or [np.zeros((1, 2))])
    center_xy = (region_points.min(axis=0) + region_points.max(axis=0)) / 2
    size = np.asarray(simulation.obstacle_size_m, dtype=np.float64)
    vertices, faces = box_mesh(size, (center_xy[0], center_xy[1], size[2] / 2))
    obstacle = SceneObject("unmodelled obstacle", ObjectKind.SOLID, obstacle_material, vertices, faces)
    return dataclasses.replace(scene, objects=(*scene.objects, obstacle), materials={**scene.materials, **materials})


def _site_ranging(ranging: RangingModel, simulation: SiteSimulation) -> RangingModel:
    return dataclasses.replace(
        ranging,
        los_std_m=ranging.los_std_m * simulation.noise_scale,
        nlos_mean_m=ranging.nlos_mean_m * simulation.noise_scale,
        nlos_std_m=ranging.nlos_std_m * simulation.noise_scale,
    )


def _balanced_choice(nlos: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``count`` cells, half NLOS and half LOS as far as each kind suffices."""
    nlos_cells, los_cells = np.flatnonzero(nlos), np.flatnonzero(~nlos)
    from_nlos = min(len(nlos_cells), max(count // 2, count - len(los_cells)))
    from_los = min(len(los_cells), count - from_nlos)
    chosen = np.concatenate([rng.choice(nlos_cells, from_nlos, replace=False), rng.choice(los_cells, from_los, replace=False)])
    return np.sort(chosen)


def _for_stage(listener: StageListener | None, stage: str):
    return None if listener is None else (lambda epoch, history: listener(stage, epoch, history))


def _tensors(dataset: MitigationDataset) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.as_tensor(dataset.inputs, dtype=torch.float32), torch.as_tensor(dataset.true, dtype=torch.float32)


def _mean_or_none(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None
