"""Site changes: scene edits, the change map they cause on the floor, and stale models.

A scene edit (docs/site-changes.md) moves an object by a vector, adds a box, removes an object
or changes an object's material. :func:`apply_edits` gives the changed scene.

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
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from twinloc.geometry.primitives import box_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.model.atomic import write_text_atomic
from twinloc.model.input_files import MIB, read_input_text
from twinloc.radio.radiomap import RadioMap, RadioSettings, TracedRadioMap, compute_radio_map, retraced_radio_map
from twinloc.radio.specular import segments_meet_boxes

__all__ = ["EDIT_ACTIONS", "ChangeMap", "SceneEdit", "SceneEditError", "apply_edits", "change_map",
           "parse_scene_edits", "read_scene_edits", "stale"]

EDIT_ACTIONS = ("move", "add", "remove", "material")
#: Largest scene edit file read.
EDIT_LIMIT_BYTES = 1 * MIB
#: Most edits one file may hold.
MAX_EDITS = 1000
#: Largest move, box edge or box centre coordinate, metres.
MAX_EDIT_M = 10_000.0
#: Path gain change below which a cell has not changed, dB.
GAIN_TOLERANCE_DB = 0.1
#: Margin around an edited object's bounds within which a direct link counts as reached, metres.
NEAR_MARGIN_M = 0.05
_FORMAT = "twinloc-scene-edit"


class SceneEditError(ValueError):
    """An edit that cannot be read or applied; the message says which and why."""


@dataclass(frozen=True)
class SceneEdit:
    """One change of the scene.

    action : "move", "add", "remove" or "material".
    name : the object moved, removed or re-materialled, or the new object's name.
    vector_m : (3,) metres, the move (action "move").
    size_m, centre_m : (3,) metres, the new box's edge lengths and centre (action "add").
    material : the new box's or the object's new material (actions "add", "material").
    """

    action: str
    name: str
    vector_m: tuple[float, float, float] | None = None
    size_m: tuple[float, float, float] | None = None
    centre_m: tuple[float, float, float] | None = None
    material: str | None = None

    def __post_init__(self) -> None:
        """Checks what the action needs (and drops what it does not); SceneEditError says why not."""
        if self.action not in EDIT_ACTIONS:
            raise SceneEditError(f"\"action\" must be one of {', '.join(EDIT_ACTIONS)}, got {str(self.action)[:20]!r}")
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 200:
            raise SceneEditError('"object" must be a name of 1 to 200 characters')
        needs_material = self.action in ("add", "material")
        if needs_material and not (isinstance(self.material, str) and self.material):
            raise SceneEditError('"material" must be a material name')
        values = {
            "vector_m": _vector(self.vector_m, "vector_m", False) if self.action == "move" else None,
            "size_m": _vector(self.size_m, "size_m", True) if self.action == "add" else None,
            "centre_m": _vector(self.centre_m, "centre_m", False) if self.action == "add" else None,
            "material": self.material if needs_material else None,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)


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
    return tuple(_edit(item, f"{source}: edit {index + 1}") for index, item in enumerate(items))


def read_scene_edits(path: str | Path) -> tuple[SceneEdit, ...]:
    """The edits of the scene edit file ``path`` (at most EDIT_LIMIT_BYTES)."""
    try:
        text = read_input_text(path, EDIT_LIMIT_BYTES)
    except (OSError, ValueError) as error:
        raise SceneEditError(f"{path}: cannot read the scene edit: {getattr(error, 'strerror', None) or error}") from None
    return parse_scene_edits(text, str(path))


def apply_edits(scene: Scene, edits) -> Scene:
    """``scene`` with ``edits`` applied in order (a new Scene; ``scene`` is unchanged)."""
    objects = list(scene.objects)
    for index, edit in enumerate(edits):
        where = f"edit {index + 1} ({edit.action} {edit.name!r})"
        names = [obj.name for obj in objects]
        if edit.action == "add":
            if edit.name in names:
                raise SceneEditError(f"{where}: the scene already has an object of that name")
            _known_material(scene, edit.material, where)
            vertices, faces = box_mesh(edit.size_m, edit.centre_m)
            objects.append(SceneObject(edit.name, ObjectKind.SOLID, edit.material, vertices, faces))
            continue
        if edit.name not in names:
            raise SceneEditError(f"{where}: the scene has no object of that name")
        at = names.index(edit.name)
        if edit.action == "remove":
            del objects[at]
        elif edit.action == "move":
            objects[at] = replace(objects[at], vertices=objects[at].vertices + np.asarray(edit.vector_m))
        else:
            _known_material(scene, edit.material, where)
            objects[at] = replace(objects[at], material=edit.material)
    return replace(scene, objects=tuple(objects))


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


def _edit(item, where: str) -> SceneEdit:
    if not isinstance(item, dict):
        raise SceneEditError(f"{where}: must be an object")
    try:
        return SceneEdit(item.get("action"), item.get("object"), vector_m=item.get("vector_m"),
                         size_m=item.get("size_m"), centre_m=item.get("centre_m"), material=item.get("material"))
    except SceneEditError as error:
        raise SceneEditError(f"{where}: {error}") from None


def _vector(value, what: str, positive: bool) -> tuple[float, float, float]:
    """``value`` as three finite floats of at most MAX_EDIT_M (each > 0 with ``positive``)."""
    ok = isinstance(value, (list, tuple)) and len(value) == 3 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= MAX_EDIT_M
        for v in value)
    if not ok or (positive and min(value) <= 0.0):
        sign = "positive " if positive else ""
        raise SceneEditError(f"{what}: must be three finite {sign}numbers of at most {MAX_EDIT_M:g} m, got {str(value)[:40]}")
    return tuple(float(v) for v in value)


def _known_material(scene: Scene, material: str, where: str) -> None:
    if material not in scene.materials:
        raise SceneEditError(f"{where}: the scene has no material {material!r} ({', '.join(sorted(scene.materials))})")


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
