"""Scene edits: moving, adding, removing an object or changing its material (docs/site-changes.md).

The edits of a scene edit file (``twinloc model-update --change``) and of a project (the
objects the user moved in the GUI, ``scene_edits`` in docs/project-format.md), checked when
made; :func:`twinloc.geometry.scene_edits.apply_edits` applies them to a scene.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

EDIT_ACTIONS = ("move", "add", "remove", "material")
#: Most edits one file (or project) may hold.
MAX_EDITS = 1000
#: Largest move, box edge or box centre coordinate, metres.
MAX_EDIT_M = 10_000.0


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


def scene_edit_from_dict(item, where: str) -> SceneEdit:
    """The edit of a scene edit file's JSON object ``item`` (docs/site-changes.md); ``where`` prefixes errors."""
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


def scene_edit_to_dict(edit: SceneEdit) -> dict[str, Any]:
    """The JSON object of ``edit``, as :func:`scene_edit_from_dict` reads it."""
    found = {"action": edit.action, "object": edit.name}
    for key in ("vector_m", "size_m", "centre_m"):
        if getattr(edit, key) is not None:
            found[key] = list(getattr(edit, key))
    if edit.material is not None:
        found["material"] = edit.material
    return found
