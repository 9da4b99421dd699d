"""ProjectDocument.edit_objects: scene edits as undoable project edits."""

from __future__ import annotations

import numpy as np
import pytest
from test_document import SignalLog, document  # noqa: F401

from twinloc.model.scene_edits import SceneEdit, SceneEditError


def test_moving_an_object_is_undoable_and_emits_only_objects_changed(document):
    log = SignalLog(document)
    fired = []
    document.objectsChanged.connect(lambda: fired.append("objectsChanged"))
    before = document.scene.objects[0].vertices.copy()  # the pillar, 4.5-5.5 m in x and y
    document.edit_objects((SceneEdit("move", "pillar", vector_m=(2.0, -1.0, 0.0)),), "Move pillar")
    np.testing.assert_allclose(document.scene.objects[0].vertices, before + [2.0, -1.0, 0.0])
    assert document.project.scene_edits == (SceneEdit("move", "pillar", vector_m=(2.0, -1.0, 0.0)),)
    assert (log.fired, fired) == ([], ["objectsChanged"])
    assert document.undo_stack.undoText() == "Move pillar" and document.is_modified
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.scene.objects[0].vertices, before)
    assert document.project.scene_edits == () and fired == ["objectsChanged"] * 2
    document.undo_stack.redo()
    np.testing.assert_allclose(document.scene.objects[0].vertices, before + [2.0, -1.0, 0.0])


def test_removing_an_object_and_refusing_an_unknown_one(document):
    document.edit_objects((SceneEdit("remove", "pillar"),), "Remove pillar")
    assert [obj.name for obj in document.scene.objects] == ["wall"]
    assert [obj.name for obj in document.base_scene.objects] == ["pillar", "wall"]
    with pytest.raises(SceneEditError, match="the scene has no object of that name"):
        document.edit_objects((SceneEdit("move", "pillar", vector_m=(1.0, 0.0, 0.0)),), "Move pillar")
    assert document.undo_stack.count() == 1 and len(document.project.scene_edits) == 1
