"""Scene edits applied: the scene with objects moved, added, removed or re-materialled."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from twinloc.geometry.primitives import box_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.model.scene_edits import SceneEditError


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


def _known_material(scene: Scene, material: str, where: str) -> None:
    if material not in scene.materials:
        raise SceneEditError(f"{where}: the scene has no material {material!r} ({', '.join(sorted(scene.materials))})")
