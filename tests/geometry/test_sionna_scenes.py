"""Sionna RT's own example scenes (tests/data/sionna, see its NOTICE) open with their materials.

The expected numbers come from the scene files themselves: ``box`` is a closed metal box
x, y in [-5, 5] m, z in [0, 5] m (itu-radio-material type "metal", thickness 1 m);
``box_one_screen`` adds a 6 m x 5.02 m glass screen (thickness 0.01 m) in the plane x = 0.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from twinloc.cli import main
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import ObjectKind
from twinloc.model.analysis import ErrorMapSettings
from twinloc.uwb.error_map import compute_error_map
from twinloc.uwb.ranging import trace_links
from twinloc.uwb.visibility import compute_los_map

SIONNA = Path(__file__).parents[1] / "data" / "sionna"
SCENES = ("box", "box_one_screen", "floor_wall", "simple_reflector", "simple_street_canyon")
CORNERS = np.array([[-4.0, -4.0, 2.0], [4.0, -4.0, 2.0], [4.0, 4.0, 2.0], [-4.0, 4.0, 2.0]])


def sionna(name: str) -> Path:
    return SIONNA / name / f"{name}.xml"


def test_box_is_a_metal_room_whose_faces_point_inward():
    scene = load_scene(sionna("box"))

    assert [obj.name for obj in scene.objects] == ["mesh-box floor", "mesh-box ceiling", "mesh-box walls"]
    assert all(obj.kind is ObjectKind.SURFACE and obj.envelope for obj in scene.objects)
    material = scene.materials[scene.objects[0].material]
    assert material.preset == "metal" and material.opaque and material.thickness_m == 1.0
    centre = np.array([0.0, 0.0, 2.5])
    for obj in scene.objects:
        corners = obj.vertices[obj.faces]
        normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        assert np.all(np.einsum("ij,ij->i", normals, centre - corners.mean(axis=1)) > 0.0), obj.name
    np.testing.assert_allclose(scene.objects[0].bounds, [[-5, -5, 0], [5, 5, 0]])
    np.testing.assert_allclose(scene.objects[1].bounds, [[-5, -5, 5], [5, 5, 5]])
    assert len(scene.objects[2].faces) == 8  # four walls of two triangles


def test_box_floor_is_the_evaluation_region_and_every_cell_sees_every_anchor():
    scene = load_scene(sionna("box"))
    (region,) = scene.evaluation_regions()
    assert sorted(map(tuple, region.polygon.tolist())) == [(-5.0, -5.0), (-5.0, 5.0), (5.0, -5.0), (5.0, 5.0)]

    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, 0.5, 1.0, engine=engine)
    assert grid.cell_count == 20 * 20 and grid.empty_reason == ""
    los = compute_los_map(engine, grid, CORNERS)
    assert (los.los_count == 4).all()
    error_map = compute_error_map(engine, scene, grid, CORNERS, ErrorMapSettings(physics_only=True))
    np.testing.assert_allclose(error_map.error, 0.0, atol=1e-9)


def test_a_link_through_the_box_wall_is_blocked():
    scene = load_scene(sionna("box"))
    links = trace_links(RayEngine(scene), scene, np.array([[0.0, 0.0, 1.0]]), np.array([[8.0, 0.0, 1.0]]))
    assert links.blocked[0, 0]


def test_box_one_screen_keeps_its_screen_as_a_glass_object():
    scene = load_scene(sionna("box_one_screen"))
    screen = next(obj for obj in scene.objects if obj.name == "mesh-screen")
    assert screen.kind is ObjectKind.SURFACE and not screen.envelope
    glass = scene.materials[screen.material]
    assert glass.preset == "glass" and glass.thickness_m == 0.01 and not glass.opaque
    assert {obj.name for obj in scene.objects} == {"mesh-screen", "mesh-box floor", "mesh-box ceiling", "mesh-box walls"}
    # Perpendicular through the screen at x = 0: 0.01 m of glass, eps 6.31.
    links = trace_links(RayEngine(scene), scene, np.array([[-2.0, 0.0, 1.0]]), np.array([[2.0, 0.0, 1.0]]))
    assert links.excess_m[0, 0] == pytest.approx(0.01 * (math.sqrt(6.31) - 1.0), abs=1e-9)


def test_street_canyon_buildings_are_hollow_shells_with_their_materials():
    scene = load_scene(sionna("simple_street_canyon"))
    kinds = {obj.name: obj.kind for obj in scene.objects}
    assert kinds == {"mesh-floor": ObjectKind.SURFACE, **{f"mesh-building_{n}": ObjectKind.SURFACE for n in range(1, 7)}}
    assert not any(obj.envelope for obj in scene.objects)
    assert {scene.materials[obj.material].preset for obj in scene.objects} <= {"brick", "concrete", "glass", "marble", "wood"}
    # Straight through building 6 (wood, y -36.5 to -8.61 m at x = 0): its two walls, each a
    # 0.1 m slab as Sionna RT reads them, not 27.9 m of wood.
    links = trace_links(RayEngine(scene), scene, np.array([[0.0, -40.0, 2.0]]), np.array([[0.0, -5.0, 2.0]]))
    assert links.excess_m[0, 0] == pytest.approx(2 * 0.1 * (math.sqrt(1.99) - 1.0), abs=1e-9)


@pytest.mark.parametrize("name", SCENES)
def test_every_copied_scene_gives_scene_info_and_a_los_map_on_the_command_line(name, capsys):
    assert main(["scene", "info", str(sionna(name)), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["objects"] and all(m["preset"] for m in info["materials"])

    (x0, y0, _), (x1, y1, _) = info["bounds"]
    anchors = ";".join(f"{x:g},{y:g},2" for x, y in [(x0 + 0.1 * (x1 - x0), y0 + 0.1 * (y1 - y0)), (x1 - 0.1 * (x1 - x0), y0 + 0.1 * (y1 - y0)), (x0 + 0.5 * (x1 - x0), y1 - 0.1 * (y1 - y0))])
    resolution = max(x1 - x0, y1 - y0) / 40
    assert main(["los", str(sionna(name)), f"--anchors={anchors}", "--resolution", f"{resolution:g}", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cells"] > 0 and report["anchors"] == 3


def test_scene_info_shows_metal_and_opaque_for_the_box(capsys):
    assert main(["scene", "info", str(sionna("box"))]) == 0
    out = capsys.readouterr().out
    material_line = next(line for line in out.splitlines() if line.strip().startswith("box_mat"))
    assert material_line.split() == ["box_mat", "metal", "1.00", "1", "opaque"]
    assert "mesh-box ceiling  surface (room envelope)" in out


def test_a_scene_without_height_leaves_room_for_devices_above_it(capsys):
    """simple_reflector is a 1 m x 1 m plate at z = 0: open above, so devices may stand up to
    10 m over it (plus the 1 m margin), and no higher."""
    reflector = str(sionna("simple_reflector"))
    low = "--anchors=-0.4,-0.4,10.9;0.4,-0.4,10.9;0,0.4,10.9"
    assert main(["los", reflector, low, "--resolution", "0.05", "--json"]) == 0
    capsys.readouterr()
    assert main(["los", reflector, low.replace("10.9", "11.1"), "--resolution", "0.05", "--json"]) == 2
    assert "z 0 to 10 m; positions may lie at most 1 m outside it" in capsys.readouterr().err
