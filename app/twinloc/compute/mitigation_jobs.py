"""Error mitigation jobs: generate the twin's virtual data, train, apply a model over the floor.

Importing this module does not load torch: it loads when a training or map job first runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job, input_key
from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.scene import Scene
from twinloc.learn.runs import TrainingSettings
from twinloc.mitigation.datasets import MitigationDataset, virtual_dataset
from twinloc.mitigation.files import save_mitigation_model
from twinloc.mitigation.maps import MitigatedMap, mitigated_map, site_mitigated_map
from twinloc.mitigation.per_link import floor_link_table
from twinloc.mitigation.site import SiteSimulation
from twinloc.mitigation.training import MitigationResult, StageListener, train_mitigation
from twinloc.model.analysis import RangingModel


def virtual_dataset_job(
    scene: Scene,
    anchors: np.ndarray,
    tag_height_m: float,
    resolution_m: float,
    groups: int,
    ranging: RangingModel = RangingModel(),
    seed: int = 0,
    geometry: GeometryCache | None = None,
) -> Job:
    """A cached job running :func:`~twinloc.mitigation.datasets.virtual_dataset` (same parameters)."""
    anchors = np.array(anchors, dtype=np.float64).reshape(-1, 3)
    anchors.flags.writeable = False
    tag_height_m, resolution_m, groups, seed = float(tag_height_m), float(resolution_m), int(groups), int(seed)

    def run(progress: ProgressFn, cancel: CancelToken) -> MitigationDataset:
        return virtual_dataset(scene, anchors, tag_height_m, resolution_m, groups, ranging, seed,
                               progress=progress, cancel=cancel, geometry=geometry)

    key = input_key("mitigation_virtual", scene.content_hash(), anchors, tag_height_m, resolution_m, groups, ranging, seed)
    return Job(name="Virtual training data", function=run, key=key)


def mitigation_job(
    scene: Scene,
    virtual: Job | MitigationDataset,
    measured: MitigationDataset,
    pretrain: TrainingSettings,
    fine_tune: TrainingSettings,
    *,
    architecture: str = "per_link",
    model_kwargs: dict[str, Any] | None = None,
    split: str = "points",
    seed: int = 0,
    save_path: str | Path | None = None,
    epoch_listener: StageListener | None = None,
    geometry: GeometryCache | None = None,
) -> Job:
    """A job running :func:`~twinloc.mitigation.training.train_mitigation`, then the floor maps,
    and optionally saving the model.

    ``scene`` is the twin the virtual data were generated in; ``virtual`` is the data, or a job
    generating it first (its progress is the first fifth). The per-link model reads the twin's
    link table over the virtual data's grid. After training, the model is applied over the
    twin's floor and, when the measured data come from the simulated site, over the site's
    floor; their LOS and NLOS means join the result's protocols as "floor_twin" and
    "floor_site" (a cancelled run skips them). Not cached: a trained model is worth keeping
    only when saved.
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> MitigationResult:
        data = virtual
        if isinstance(virtual, Job):
            data = virtual.function(scaled_progress(progress, 0.0, 0.2), cancel)
            progress = scaled_progress(progress, 0.2, 1.0)
        given = data.provenance
        table = None
        if architecture == "per_link":
            table = floor_link_table(scene, np.asarray(given["anchors"]), given["tag_height_m"], given["resolution_m"],
                                     RangingModel(**given["ranging"]), geometry)
        result = train_mitigation(data, measured, pretrain, fine_tune, architecture=architecture,
                                  model_kwargs=model_kwargs, link_table=table, split=split, seed=seed,
                                  progress=scaled_progress(progress, 0.0, 0.8), cancel=cancel,
                                  epoch_listener=epoch_listener)
        if not cancel.cancelled:
            floors = {"floor_twin": mitigated_map(scene, result.model, data, cancel=cancel, geometry=geometry,
                                                  progress=scaled_progress(progress, 0.8, 0.9))}
            simulation = measured.provenance.get("simulation")
            if simulation is not None:
                floors["floor_site"] = site_mitigated_map(scene, result.model, data, SiteSimulation(**simulation),
                                                          progress=scaled_progress(progress, 0.9, 1.0), cancel=cancel,
                                                          geometry=geometry)
            result = dataclasses.replace(result, protocols=result.protocols | {
                key: floor.area_means() for key, floor in floors.items()})
        if save_path is not None:
            save_mitigation_model(save_path, result)
        return result

    return Job(name="Error mitigation training", function=run)


def mitigated_map_job(
    scene: Scene,
    model,
    virtual: MitigationDataset,
    site: SiteSimulation | None = None,
    geometry: GeometryCache | None = None,
) -> Job:
    """A job applying ``model`` over the twin's floor (:func:`~twinloc.mitigation.maps.mitigated_map`)
    or, with ``site``, the simulated site's (:func:`~twinloc.mitigation.maps.site_mitigated_map`).

    Not cached: models are not hashable inputs.
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> MitigatedMap:
        if site is None:
            return mitigated_map(scene, model, virtual, progress=progress, cancel=cancel, geometry=geometry)
        return site_mitigated_map(scene, model, virtual, site, progress=progress, cancel=cancel, geometry=geometry)

    return Job(name="Mitigated error map", function=run)
