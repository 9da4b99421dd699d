"""Keeping a twin-trained fingerprint model current when the site changes (seed 000's model update).

The twin's floor data are the virtual survey of its radio map over the floor grid (the
reference points of :mod:`twinloc.fingerprint.twin`, at the scene's tag height). The floor's
trace is kept, so after a scene edit :func:`update_model` traces again only the paths the edit
can reach (:func:`twinloc.radio.radiomap.retraced_radio_map`), which gives the change map and
the new radio map, samples the floor again with the same seed (so unaffected cells give
the same samples) and updates the model: kNN takes the new reference fingerprints (it has no
weights), a network is fine-tuned on the new data for FINE_TUNE_SHARE of its epochs. It also trains a
model from scratch on the changed twin, to report the update's time against it, and measures
accuracy on test samples of the twin (another seed) before the change, after it with the stale
model, after the update and from scratch.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn, report_nothing
from twinloc.fingerprint.evaluation import Metrics, evaluate
from twinloc.fingerprint.models import FittedFingerprintModel, fine_tune, fit_fingerprint_model, with_reference_data
from twinloc.fingerprint.site_change import ChangeMap, apply_edits, change_map
from twinloc.fingerprint.twin import TWIN_SAMPLES_PER_POINT, TWIN_SPACING_M, lawnmower_route
from twinloc.fingerprint.virtual_survey import virtual_survey
from twinloc.geometry.cache import GeometryCache
from twinloc.radio.radiomap import RadioMap, RadioSettings, TracedRadioMap, compute_radio_map, traced_radio_map
from twinloc.radio.transmitters import transmitters_of

__all__ = ["ModelUpdate", "TwinFloorData", "floor_data", "update_model", "update_model_for_scene"]

#: Seed of the twin's test samples (the training samples use the model's own seed).
TEST_SEED = 1_000_003
#: Test samples per floor cell.
TEST_SAMPLES_PER_POINT = 2
#: Share of a network's training epochs its update fine-tunes for: it starts from weights that
#: already fit the unchanged cells (a sixth recovers the pre-change accuracy on the Wi-Fi hall
#: benchmark, docs/benchmarks.md).
FINE_TUNE_SHARE = 1 / 6


@dataclass(frozen=True, eq=False)
class TwinFloorData:
    """The twin's floor: ``points`` (P, 3) metres in route order, its ``transmitters``, the
    radio ``settings`` and the ``radio`` map there; ``traced``, that map with what was traced
    (for updates after a site change), or None."""

    points: np.ndarray
    transmitters: tuple
    settings: RadioSettings
    radio: RadioMap
    traced: TracedRadioMap | None = None

    def survey(self, seed: int, samples_per_point: int = TWIN_SAMPLES_PER_POINT, radio: RadioMap | None = None):
        """The virtual survey of the floor (``radio`` instead of the own map when given)."""
        radio = radio or self.radio
        return virtual_survey(self.points, lambda points: (radio.rss_dbm, radio.range_m),
                              samples_per_point=samples_per_point, seed=seed,
                              transmitters=[t.name for t in self.transmitters])


def floor_data(scene, transmitter_names, *, spacing_m: float = TWIN_SPACING_M, max_depth: int = 2) -> TwinFloorData:
    """The twin's floor data of ``scene`` for the transmitters named (in that order).

    Raises ValueError when a name is not a transmitter of the scene or the floor grid is empty.
    """
    known = {t.name: t for t in transmitters_of(scene)}
    missing = [name for name in transmitter_names if name not in known]
    if missing:
        raise ValueError(f"the scene has no access point or anchor {missing[0]!r}")
    transmitters = tuple(known[name] for name in transmitter_names)
    height = float(scene.tag_height_m)
    grid = GeometryCache().floor_grid(scene, spacing_m, height)
    if len(grid.points) == 0:
        raise ValueError(f"the scene's floor grid at {spacing_m:g} m is empty: {grid.empty_reason}")
    settings = RadioSettings(max_depth=max_depth, receiver_height_m=height)
    points = lawnmower_route(grid.points)
    traced = traced_radio_map(scene, transmitters, points, settings)
    return TwinFloorData(points, transmitters, settings, traced.radio, traced)


@dataclass(frozen=True, eq=False)
class ModelUpdate:
    """What an update gave. Metrics on the twin's test samples: ``before`` (old model, old
    scene), ``stale`` (old model, changed scene), ``updated`` and ``retrained`` (from scratch),
    both on the changed scene; ``*_changed``: the same on the changed cells' test samples alone
    (None when no cell changed). ``changes`` : the change map. ``model`` : the updated model.
    ``update_seconds`` : change map, regeneration and update; ``retrain_seconds`` : the
    changed twin's whole radio map and a fit from scratch."""

    before: Metrics
    stale: Metrics
    updated: Metrics
    retrained: Metrics
    before_changed: Metrics | None
    stale_changed: Metrics | None
    updated_changed: Metrics | None
    changes: ChangeMap
    model: FittedFingerprintModel
    update_seconds: float
    retrain_seconds: float


def update_model(fitted: FittedFingerprintModel, scene, edits, *, seed: int = 0,
                 floor: TwinFloorData | None = None) -> ModelUpdate:
    """Update ``fitted`` (trained on ``scene``'s twin floor survey of seed ``seed``) for ``scene``
    changed by ``edits``.

    floor : ``scene``'s floor data for the model's transmitters, when already computed.

    Raises SceneEditError for an edit the scene cannot take, ValueError as :func:`floor_data`.
    """
    return update_model_for_scene(fitted, scene, apply_edits(scene, edits), seed=seed, floor=floor)


def update_model_for_scene(fitted: FittedFingerprintModel, scene, changed_scene, *, seed: int = 0,
                           floor: TwinFloorData | None = None, progress: ProgressFn = report_nothing,
                           cancel: CancelToken | None = None) -> ModelUpdate:
    """:func:`update_model` for ``scene`` changed into ``changed_scene`` (the same site with objects
    edited some other way than by a scene edit file, such as in the GUI).

    progress, cancel : per stage (the floor, the change map, the update, the comparison
        retraining); a cancelled update raises JobCancelled and returns nothing half-updated.

    Raises ValueError as :func:`floor_data`.
    """
    cancel = cancel or CancelToken()
    progress(0.0, "Radio map of the twin before the change")
    floor = floor or floor_data(scene, fitted.spec.transmitters)
    old_test = floor.survey(TEST_SEED, TEST_SAMPLES_PER_POINT)
    cancel.raise_if_cancelled()

    progress(0.25, "Change map: tracing the paths the edit can reach")
    start = time.perf_counter()
    changes = change_map(scene, changed_scene, floor.transmitters, floor.points, floor.settings, old_map=floor.radio,
                         traced=floor.traced)
    cancel.raise_if_cancelled()
    progress(0.4, "Updating the model on the regenerated cells")
    train = floor.survey(seed, radio=changes.new_map)
    if fitted.kind == "knn":
        model = with_reference_data(fitted, fitted.spec.features(train), train.positions[:, :2])
    else:
        training = fitted.settings.training
        model = fine_tune(fitted, train, replace(training, epochs=max(1, math.ceil(training.epochs * FINE_TUNE_SHARE))),
                          cancel=cancel)
    cancel.raise_if_cancelled()  # a cancelled fine-tuning stops early; the update is then abandoned
    model = replace(model, scene_digest=changed_scene.content_hash())
    update_seconds = time.perf_counter() - start

    progress(0.6, "Training from scratch on the changed twin, to compare")
    start = time.perf_counter()
    whole = compute_radio_map(changed_scene, floor.transmitters, floor.points, floor.settings, cancel=cancel)
    scratch = fit_fingerprint_model(fitted.kind, floor.survey(seed, radio=whole), fitted.settings, cancel=cancel)
    cancel.raise_if_cancelled()
    retrain_seconds = time.perf_counter() - start

    test = floor.survey(TEST_SEED, TEST_SAMPLES_PER_POINT, radio=whole)
    cells = changes.changed_cells
    return ModelUpdate(before=_accuracy(fitted, old_test), stale=_accuracy(fitted, test), updated=_accuracy(model, test),
                       retrained=_accuracy(scratch, test), before_changed=_accuracy(fitted, old_test, cells),
                       stale_changed=_accuracy(fitted, test, cells), updated_changed=_accuracy(model, test, cells),
                       changes=changes, model=model, update_seconds=update_seconds, retrain_seconds=retrain_seconds)


def _accuracy(model: FittedFingerprintModel, survey, cells: np.ndarray | None = None) -> Metrics | None:
    """``model``'s metrics on ``survey``'s samples (of the floor cells where ``cells`` (P,) is True)."""
    predicted = model.predict(survey)
    true = np.asarray(survey.positions)[:, :2]
    if cells is None:
        return evaluate(true, predicted)
    kept = cells[survey.point_ids]
    return evaluate(true[kept], predicted[kept]) if kept.any() else None
