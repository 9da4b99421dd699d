"""A room built with trimesh and exported to every mesh format opens as the same objects.

The room (10 m x 6 m x 3 m): a floor plane, four 0.2 m concrete box walls, a 0.1 m partition
at x = 5 m and a cabinet, one named object each. Its numbers are worked out by hand, not
taken from TwinLoc.
"""

import math

import numpy as np
import pytest
import trimesh

from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.loaders import import_mesh_objects, load_scene
from twinloc.geometry.materials import material_presets
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.scene import ObjectKind
from twinloc.model.analysis import ErrorMapSettings
from twinloc.uwb.error_map import compute_error_map
from twinloc.uwb.ranging import trace_links

#: name -> (low corner, high corner) of each box, metres.
BOXES = {
    "south": ((0.0, 0.0, 0.0), (10.0, 0.2, 3.0)),
    "north": ((0.0, 5.8, 0.0), (10.0, 6.0, 3.0)),
    "west": ((0.0, 0.2, 0.0), (0.2, 5.8, 3.0)),
    "east": ((9.8, 0.2, 0.0), (10.0, 5.8, 3.0)),
    "partition": ((5.0, 0.2, 0.0), (5.1, 5.8, 3.0)),
    "cabinet": ((7.0, 4.0, 0.0), (8.0, 4.6, 2.0)),
}
FLOOR = ((0.0, 0.0, 0.0), (10.0, 6.0, 0.0))
ANCHORS = np.array([[0.5, 0.5, 2.5], [9.5, 0.5, 2.5], [9.5, 5.5, 2.5], [0.5, 5.5, 2.5]])
FORMATS = (".obj", ".ply", ".stl", ".glb")
#: glTF is y-up; the room is z-up. This turns the room's +z onto glTF's +y.
Z_UP_TO_GLTF = trimesh.transformations.rotation_matrix(-math.pi / 2.0, [1.0, 0.0, 0.0])


def room() -> trimesh.Scene:
    scene = trimesh.Scene()
    floor = trimesh.Trimesh([[0, 0, 0], [10, 0, 0], [10, 6, 0], [0, 6, 0]], [[0, 1, 2], [0, 2, 3]])
    scene.add_geometry(floor, node_name="floor", geom_name="floor")
    for name, (low, high) in BOXES.items():
        low, high = np.array(low), np.array(high)
        box = trimesh.creation.box(extents=high - low)
        box.apply_translation((low + high) / 2.0)
        scene.add_geometry(box, node_name=name, geom_name=name)
    return scene


@pytest.fixture(scope="module")
def room_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("room")
    paths = {}
    for suffix in FORMATS:
        scene = room()
        if suffix == ".glb":
            scene.apply_transform(Z_UP_TO_GLTF)
        paths[suffix] = folder / f"room{suffix}"
        scene.export(paths[suffix])
    return paths


def _bounds_set(objects):
    return sorted(tuple(np.round(obj.bounds, 6).ravel()) for obj in objects)


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_format_gives_the_room_objects(room_files, suffix):
    objects = load_scene(room_files[suffix]).objects

    expected = sorted(tuple(np.ravel(box)) for box in (*BOXES.values(), FLOOR))
    np.testing.assert_allclose(_bounds_set(objects), expected, atol=1e-6)
    kinds = {tuple(np.round(obj.bounds, 6).ravel()): obj.kind for obj in objects}
    assert kinds.pop(tuple(np.ravel(FLOOR))) is ObjectKind.SURFACE
    assert set(kinds.values()) == {ObjectKind.SOLID}
    if suffix in (".obj", ".glb"):  # formats that name their objects
        assert {obj.name for obj in objects} == {"floor", *BOXES}
        partition = next(obj for obj in objects if obj.name == "partition")
        np.testing.assert_allclose(partition.bounds, BOXES["partition"], atol=1e-6)
    else:
        assert sorted(obj.name for obj in objects) == sorted(f"room {n}" for n in range(1, 8))


def test_a_link_through_the_partition_gains_its_thickness_times_sqrt_eps_minus_one(room_files):
    # Perpendicular through the 0.1 m partition only, 1.1 m clear of the cabinet.
    scene = load_scene(room_files[".obj"])
    links = trace_links(RayEngine(scene), scene, np.array([[2.0, 2.0, 1.0]]), np.array([[8.0, 2.0, 1.0]]))
    eps = material_presets()["concrete"].relative_permittivity
    assert eps == 5.24
    assert links.excess_m[0, 0] == pytest.approx(0.1 * (math.sqrt(5.24) - 1.0), abs=1e-9)
    assert not links.los[0, 0]


def test_every_format_gives_the_same_error_map(room_files):
    maps = {}
    for suffix in FORMATS:
        scene = load_scene(room_files[suffix])
        engine = RayEngine(scene)
        grid = FloorGrid.over_regions(scene, 0.25, 1.0, engine=engine)
        maps[suffix] = compute_error_map(engine, scene, grid, ANCHORS, ErrorMapSettings())

    reference = maps[".obj"]
    # Cells inside the walls and the cabinet are not on the floor; everything else is.
    points = reference.grid.points
    inside_boxes = np.zeros(len(points), dtype=bool)
    for low, high in BOXES.values():
        inside_boxes |= np.all((points >= low) & (points <= high), axis=1)
    assert not inside_boxes.any()
    # 40 x 24 cells; the outer walls hold 2 rows of 40 and 2 columns of 22, the cabinet 4 x 2
    # (no cell centre falls in the 0.1 m partition at x 5 to 5.1 m).
    assert reference.grid.cell_count == 40 * 24 - 2 * 40 - 2 * 22 - 4 * 2
    for suffix, error_map in maps.items():
        np.testing.assert_array_equal(error_map.grid.mask, reference.grid.mask, err_msg=suffix)
        np.testing.assert_allclose(error_map.error, reference.error, atol=1e-3, err_msg=suffix)
        assert error_map.summary()["mean_error_m"] == pytest.approx(reference.summary()["mean_error_m"], abs=1e-3)


def test_one_body_files_split_into_pieces_that_touch_only_along_edges(tmp_path):
    # Two cubes sharing one edge, written as one STL: two closed pieces, each a solid.
    first = trimesh.creation.box(extents=[1, 1, 1])
    second = trimesh.creation.box(extents=[1, 1, 1])
    second.apply_translation([1.0, 1.0, 0.0])
    path = tmp_path / "pair.stl"
    trimesh.util.concatenate([first, second]).export(path)

    objects = import_mesh_objects(path)

    assert [obj.name for obj in objects] == ["pair 1", "pair 2"]
    assert all(obj.kind is ObjectKind.SOLID for obj in objects)
    assert [trimesh.Trimesh(obj.vertices, obj.faces).volume for obj in objects] == pytest.approx([1.0, 1.0])
