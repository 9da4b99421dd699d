"""A closed shell around an imported scene is the room: walls, floor and ceiling, not a solid."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from twinloc.geometry.grid import FloorGrid, points_in_polygon
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import ObjectKind

#: An L-shaped floor: 6 m x 3 m plus 3 m x 2 m on its west half (24 m^2), in 5 triangles.
L_CORNERS = np.array([[0, 0], [6, 0], [6, 3], [3, 3], [3, 5], [0, 5], [0, 3]], dtype=float)
L_TRIANGLES = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 6], [6, 3, 4], [6, 4, 5]])


def l_room(height: float = 2.5) -> trimesh.Trimesh:
    return trimesh.creation.extrude_triangulation(L_CORNERS, L_TRIANGLES, height)


def test_an_l_shaped_shell_gives_walls_floor_ceiling_and_its_floor_outline(tmp_path):
    scene = trimesh.Scene()
    scene.add_geometry(l_room(), node_name="room", geom_name="room")
    cabinet = trimesh.creation.box(extents=[0.6, 0.6, 1.0])
    cabinet.apply_translation([1.0, 1.0, 0.5])
    scene.add_geometry(cabinet, node_name="cabinet", geom_name="cabinet")
    path = tmp_path / "flat.obj"
    scene.export(path)

    loaded = load_scene(path)

    objects = {obj.name: obj for obj in loaded.objects}
    assert set(objects) == {"room floor", "room ceiling", "room walls", "cabinet"}
    assert objects["cabinet"].kind is ObjectKind.SOLID and not objects["cabinet"].envelope
    assert all(objects[f"room {part}"].kind is ObjectKind.SURFACE and objects[f"room {part}"].envelope for part in ("floor", "ceiling", "walls"))
    assert len(objects["room walls"].faces) == 2 * 7  # six sides, the west one in two (at the corner (0, 3))
    (region,) = loaded.evaluation_regions()
    assert region.name == "room floor"
    x, y = region.polygon[:, 0], region.polygon[:, 1]
    assert 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) == pytest.approx(24.0)  # counter-clockwise
    assert {tuple(corner) for corner in region.polygon.tolist()} == {tuple(corner) for corner in L_CORNERS.tolist()}

    grid = FloorGrid.over_regions(loaded, 0.5, 0.5, engine=RayEngine(loaded))  # below the 1 m cabinet top
    # 24 m^2 of 0.25 m^2 cells, less the 2 x 2 cells centred in the cabinet (x, y 0.7 to 1.3 m).
    assert grid.cell_count == 96 - 4
    inside_l = points_in_polygon(grid.points[:, :2], L_CORNERS)
    assert inside_l.all()


def test_a_link_inside_the_room_crosses_nothing_and_one_leaving_crosses_a_wall(tmp_path):
    path = tmp_path / "room.stl"
    l_room().export(path)
    scene = load_scene(path)
    engine = RayEngine(scene)
    inside = engine.segment_crossings([[0.5, 0.5, 1.0]], [[5.5, 2.5, 1.0]])
    assert inside.clear[0]
    leaving = engine.segment_crossings([[0.5, 0.5, 1.0]], [[2.0, 8.0, 1.0]])
    walls = engine.object_names.index("room walls")
    assert leaving.surface_crossings[0, walls] == 1


def test_a_json_descriptor_keeps_its_solid_shell(tmp_path):
    path = tmp_path / "shell.json"
    shell = {"name": "shell", "kind": "solid", "material": "concrete", "primitive": {"type": "box", "size": [4, 4, 3]}}
    path.write_text(json.dumps({"format": "twinloc-scene", "version": 1, "objects": [shell]}))
    (obj,) = load_scene(path).objects
    assert obj.kind is ObjectKind.SOLID and not obj.envelope


def test_a_building_next_to_a_larger_ground_is_no_envelope(tmp_path):
    scene = trimesh.Scene()
    ground = trimesh.Trimesh([[-20, -20, 0], [20, -20, 0], [20, 20, 0], [-20, 20, 0]], [[0, 1, 2], [0, 2, 3]])
    scene.add_geometry(ground, node_name="ground", geom_name="ground")
    scene.add_geometry(l_room(10.0), node_name="building", geom_name="building")
    path = tmp_path / "block.obj"
    scene.export(path)
    objects = {obj.name: obj for obj in load_scene(path).objects}
    assert objects["building"].kind is ObjectKind.SOLID and not any(obj.envelope for obj in objects.values())
