"""Site changes: scene edits, the change map they cause on the floor, and stale models.

A scene edit (docs/site-changes.md) moves an object by a vector, adds a box, removes an object
or changes an object's material (:mod:`twinloc.model.scene_edits`); :func:`apply_edits`
(:mod:`twinloc.geometry.scene_edits`) gives the changed scene.

The change map says, per floor cell and transmitter, whether the radio map changed: the path
gain differs by more than a tolerance, or line of sight, or the number of paths or the delay
of the strongest path changed. Only what the edit can reach is traced again: given the old
scene's traced radio map (:func:`twinloc.radio.radiomap.traced_radio_map`, which keeps every
candidate path), the paths with a leg within a margin of an edited object's old or new bounds
and those reflecting off it; without it, with the direct path alone (``max_depth`` 0), the
cells whose straight link to the transmitter passes within that margin, and with reflections
every cell (any may see a new reflection).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from twinloc.geometry.scene import Scene
from twinloc.geometry.scene_edits import apply_edits
from twinloc.model.atomic import write_text_atomic
from twinloc.model.input_files import MIB, read_input_text
from twinloc.model.scene_edits import EDIT_ACTIONS, MAX_EDIT_M, MAX_EDITS, SceneEdit, SceneEditError, scene_edit_from_dict
from twinloc.radio.radiomap import RadioMap, RadioSettings, TracedRadioMap, compute_radio_map, retraced_radio_map
from twinloc.radio.specular import segments_meet_boxes

__all__ = ["EDIT_ACTIONS", "MAX_EDITS", "MAX_EDIT_M", "ChangeMap", "SceneEdit", "SceneEditError", "apply_edits", "change_map",
           "parse_scene_edits", "read_scene_edits", "stale"]

#: Largest scene edit file read.
EDIT_LIMIT_BYTES = 1 * MIB
#: Path gain change below which a cell has not changed, dB.
GAIN_TOLERANCE_DB = 0.1
#: Margin around an edited object's bounds within which a direct link counts as reached, metres.
NEAR_MARGIN_M = 0.05
_FORMAT = "twinloc-scene-edit"


def parse_scene_edits(text: str, source: str = "the scene edit") -> tuple[SceneEdit, ...]:
    """The edits of a scene edit file's JSON ``text``; ``source`` names it in errors."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SceneEditError(f"{source}: not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(document, dict) or document.get("format") != _FORMAT:
        raise SceneEditError(f'{source}: not a scene edit (its "format" must be "{_FORMAT}")')
    if document.get("version") != 1:
        raise SceneEditError(f"{source}: unknown version {str(document.get('version'))[:20]!r} (1 is read)")
    items = document.get("edits")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_EDITS:
        raise SceneEditError(f'{source}: "edits" must be a list of 1 to {MAX_EDITS} edits')
    return tuple(scene_edit_from_dict(item, f"{source}: edit {index + 1}") for index, item in enumerate(items))


def read_scene_edits(path: str | Path) -> tuple[SceneEdit, ...]:
    """The edits of the scene edit file ``path`` (at most EDIT_LIMIT_BYTES)."""
    try:
        text = read_input_text(path, EDIT_LIMIT_BYTES)
    except (OSError, ValueError) as error:
        raise SceneEditError(f"{path}: cannot read the scene edit: {getattr(error, 'strerror', None) or error}") from None
    return parse_scene_edits(text, str(path))


def edited_objects(old: Scene, new: Scene) -> set[str]:
    """Names of the objects that differ between the scenes (moved, added, removed or of another material)."""
    before = {obj.name: obj for obj in old.objects}
    after = {obj.name: obj for obj in new.objects}
    edited = set()
    for name in set(before) | set(after):
        a, b = before.get(name), after.get(name)
        same = (a is not None and b is not None and a.material == b.material
                and a.vertices.shape == b.vertices.shape and np.array_equal(a.vertices, b.vertices))
        if not same:
            edited.add(name)
    return edited


def edited_bounds(old: Scene, new: Scene) -> np.ndarray:
    """(E, 2, 3) metres: the bounds, in either scene, of each object that differs between them
    (moved, added, removed or of another material)."""
    edited = edited_objects(old, new)
    boxes = [obj.bounds for name in sorted(edited) for scene in (old, new) for obj in scene.objects if obj.name == name]
    return np.array(boxes).reshape(-1, 2, 3)


@dataclass(frozen=True, eq=False)
class ChangeMap:
    """Where the radio map changed.

    points : (P, 3) metres. transmitter_names : (T,).
    changed : (P, T) bool, the cell's radio map from the transmitter changed.
    traced : (P, T) bool, the cells traced again (the candidates).
    new_map : the changed scene's radio map at ``points`` (the old one where not traced).
    new_traced : the changed scene's traced radio map, when the change map was found from the
        old one's (``change_map(traced=...)``), for the next edit; else None.
    """

    points: np.ndarray
    transmitter_names: tuple[str, ...]
    changed: np.ndarray
    traced: np.ndarray
    new_map: RadioMap
    new_traced: TracedRadioMap | None = None

    @property
    def changed_cells(self) -> np.ndarray:
        """(P,) bool: some transmitter's radio map changed at the cell."""
        return self.changed.any(axis=1)

    def write_csv(self, path) -> None:
        """One row per cell, header first: ``x_m,y_m,z_m,changed,transmitters`` (metres; how many
        transmitters' radio maps changed there, and their names joined by ``;``)."""
        text = io.StringIO()
        rows = csv.writer(text, lineterminator="\n")  # quotes names holding commas or quotes
        rows.writerow(["x_m", "y_m", "z_m", "changed", "transmitters"])
        names = np.array(self.transmitter_names, dtype=object)
        for (x, y, z), row in zip(self.points.tolist(), self.changed):
            rows.writerow([f"{x:.4f}", f"{y:.4f}", f"{z:.4f}", int(row.sum()), ";".join(names[row])])
        write_text_atomic(path, text.getvalue())


def change_map(old_scene: Scene, new_scene: Scene, transmitters, points, settings: RadioSettings = RadioSettings(),
               old_map: RadioMap | None = None, tolerance_db: float = GAIN_TOLERANCE_DB,
               traced: TracedRadioMap | None = None) -> ChangeMap:
    """The change map of ``transmitters`` over ``points`` (P, 3) from ``old_scene`` to ``new_scene``.

    old_map : ``old_scene``'s radio map at ``points`` when known (computed here otherwise).
    traced : ``old_scene``'s traced radio map of these transmitters and points and settings,
        when kept (:func:`twinloc.radio.radiomap.traced_radio_map`; it stands for ``old_map``):
        then only the paths the edit can reach are traced again, with reflections too (unless
        it was too large to keep its traces).
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    count, senders = len(points), len(transmitters)
    boxes = edited_bounds(old_scene, new_scene)
    if traced is not None:
        old_map = traced.radio
    if traced is not None and traced.traces is not None:
        retraced = retraced_radio_map(traced, new_scene, edited_objects(old_scene, new_scene), _grown(boxes))
        touched = np.column_stack([r.touched for r in retraced.traces]) if senders else np.zeros((count, 0), dtype=bool)
        changed = _differs(old_map, retraced.radio, tolerance_db) & touched
        return ChangeMap(points, tuple(t.name for t in transmitters), changed, touched, retraced.radio, retraced)
    if old_map is None:
        old_map = compute_radio_map(old_scene, tuple(transmitters), points, settings)
    if settings.max_depth == 0:
        traced_cells = np.column_stack([_links_near(np.array(t.position, dtype=np.float64), points, boxes)
                                        for t in transmitters]) if senders else np.zeros((count, 0), dtype=bool)
    else:
        traced_cells = np.full((count, senders), len(boxes) > 0)
    rows = np.flatnonzero(traced_cells.any(axis=1))
    new_map = old_map
    changed = np.zeros((count, senders), dtype=bool)
    if len(rows):
        fresh = compute_radio_map(new_scene, tuple(transmitters), points[rows], settings)
        changed[rows] = _differs(_rows(old_map, rows), fresh, tolerance_db) & traced_cells[rows]
        new_map = _spliced(old_map, rows, fresh)
    return ChangeMap(points, tuple(t.name for t in transmitters), changed, traced_cells, new_map)


def stale(scene_digest: str | None, scene: Scene) -> bool:
    """A model trained on the twin of digest ``scene_digest`` is stale for ``scene``: the digests
    differ (a model of unknown provenance, None, counts as stale)."""
    return scene_digest != scene.content_hash()


def _links_near(tx: np.ndarray, points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(P,) bool: the segment from ``tx`` to each point passes through a box of ``boxes``
    (E, 2, 3) grown by NEAR_MARGIN_M."""
    return segments_meet_boxes(np.broadcast_to(tx, points.shape), points, _grown(boxes))


def _grown(boxes: np.ndarray) -> np.ndarray:
    """``boxes`` (E, 2, 3) grown by NEAR_MARGIN_M on every side."""
    return boxes + np.array([-NEAR_MARGIN_M, NEAR_MARGIN_M])[None, :, None]


def _rows(radio: RadioMap, rows: np.ndarray) -> RadioMap:
    paths = type(radio.paths)(**{name: getattr(radio.paths, name)[rows] for name in radio.paths.__dataclass_fields__})
    return replace(radio, points=radio.points[rows], path_gain_db=radio.path_gain_db[rows], rss_dbm=radio.rss_dbm[rows],
                   range_m=radio.range_m[rows], los=radio.los[rows], paths=paths, crossings=radio.crossings[rows])


def _differs(before: RadioMap, after: RadioMap, tolerance_db: float) -> np.ndarray:
    """(P, T) bool: path gain by more than ``tolerance_db``, LOS, path count or strongest delay differ."""
    gain = np.abs(before.path_gain_db - after.path_gain_db) > tolerance_db
    count_before = np.isfinite(before.paths.delay_s).sum(axis=2)
    count_after = np.isfinite(after.paths.delay_s).sum(axis=2)
    first_before, first_after = before.paths.delay_s[:, :, 0], after.paths.delay_s[:, :, 0]
    delay = ~np.isclose(np.nan_to_num(first_before, nan=-1.0), np.nan_to_num(first_after, nan=-1.0), rtol=0.0, atol=1e-12)
    return gain | (before.los != after.los) | (count_before != count_after) | delay


def _spliced(old: RadioMap, rows: np.ndarray, fresh: RadioMap) -> RadioMap:
    """``old`` with ``fresh``'s values at ``rows``."""

    def put(full: np.ndarray, part: np.ndarray) -> np.ndarray:
        out = full.copy()
        out[rows] = part
        return out

    paths = type(old.paths)(**{name: put(getattr(old.paths, name), getattr(fresh.paths, name))
                               for name in old.paths.__dataclass_fields__})
    return replace(old, path_gain_db=put(old.path_gain_db, fresh.path_gain_db), rss_dbm=put(old.rss_dbm, fresh.rss_dbm),
                   range_m=put(old.range_m, fresh.range_m), los=put(old.los, fresh.los), paths=paths,
                   crossings=put(old.crossings, fresh.crossings))
