import copy
import json

import numpy as np
import pytest
import trimesh

from twinloc.geometry.errors import SceneError
from twinloc.geometry.scene import ObjectKind
from twinloc.geometry.scene_file import load_scene_file

GOOD = {
    "format": "twinloc-scene",
    "version": 1,
    "name": "small room",
    "units": "m",
    "materials": {
        "wall paint": {"preset": "concrete", "thickness_m": 0.25},
        "foam": {"relative_permittivity": 1.1, "thickness_m": 0.05, "color": "#ffffff", "opaque": False},
    },
    "objects": [
        {"name": "floor", "kind": "surface", "material": "concrete",
         "primitive": {"type": "plane", "size": [4.0, 3.0]}, "transform": {"translation": [2.0, 1.5, 0.0]}},
        {"name": "wall", "kind": "surface", "material": "wall paint",
         "primitive": {"type": "wall", "start": [0.0, 0.0], "end": [4.0, 0.0], "height": 2.5}},
        {"name": "crate", "kind": "solid", "material": "foam",
         "primitive": {"type": "box", "size": [1.0, 2.0, 0.5]},
         "transform": {"translation": [2.0, 1.0, 0.25], "rotation_deg": [0, 0, 90], "scale": [2.0, 1.0, 1.0]}},
        {"name": "drum", "kind": "solid", "material": "metal",
         "primitive": {"type": "cylinder", "radius": 0.3, "height": 1.0, "sections": 16}},
    ],
    "regions": [
        {"name": "room", "type": "evaluation", "polygon": [[0, 0], [4, 0], [4, 3], [0, 3]], "weight": 2.0, "main_area": True},
        {"name": "band", "type": "mounting", "polyline": [[0, 0], [4, 0]], "z_range_m": [2.0, 2.4]},
    ],
    "tag_height_m": 1.2,
    "anchors": [{"name": "A1", "position": [0.0, 0.0, 2.0]}],
    "base_stations": [{"name": "B1", "position": [4.0, 3.0, 2.4], "enabled": False}],
}


def write(tmp_path, data, name="scene.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_good_descriptor(tmp_path):
    scene = load_scene_file(write(tmp_path, GOOD))
    assert scene.name == "small room" and scene.tag_height_m == 1.2
    assert set(scene.materials) == {"wall paint", "foam", "concrete", "metal"}
    assert scene.materials["wall paint"].relative_permittivity == 5.24  # from the preset
    assert scene.materials["wall paint"].thickness_m == 0.25  # overridden
    crate = scene.objects[2]
    # Scaled to 2 x 2 x 0.5, turned 90 degrees about z, centred at (2, 1, 0.25).
    np.testing.assert_allclose(crate.bounds, [[1.0, 0.0, 0.0], [3.0, 2.0, 0.5]], atol=1e-12)
    assert crate.kind is ObjectKind.SOLID
    assert trimesh.Trimesh(crate.vertices, crate.faces).volume == pytest.approx(2.0)
    (region, band) = scene.regions
    assert region.weight == 2.0 and region.main_area and not region.is_polyline
    assert band.is_polyline and band.z_range_m == (2.0, 2.4)
    assert scene.base_stations[0].enabled is False
    assert scene.anchors[0].position == (0.0, 0.0, 2.0)


def test_mesh_reference_and_winding_fixed(tmp_path):
    box = trimesh.creation.box(extents=[1, 1, 1])
    box.invert()  # inward normals: the loader must turn them outward
    (tmp_path / "meshes").mkdir()
    box.export(tmp_path / "meshes" / "box.obj")
    data = copy.deepcopy(GOOD)
    data["objects"] = [{"name": "box", "kind": "solid", "material": "concrete", "mesh": "meshes/box.obj",
                        "transform": {"translation": [0, 0, 0.5]}}]
    (obj,) = load_scene_file(write(tmp_path, data)).objects
    assert trimesh.Trimesh(obj.vertices, obj.faces).volume == pytest.approx(1.0)


def _with_object(**changes):
    data = copy.deepcopy(GOOD)
    data["objects"][2].update(changes)
    return data


def _open_box_obj(tmp_path):
    box = trimesh.creation.box(extents=[1, 1, 1])
    trimesh.Trimesh(box.vertices, box.faces[:-1], process=False).export(tmp_path / "open.obj")
    return "open.obj"


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: '{"format": "twinloc-scene",\n "version": 1,\n "objects": [,]}', r"malformed JSON at line 3"),
        (lambda p: {**GOOD, "version": 2}, r"version 2 is newer than this TwinLoc supports"),
        (lambda p: {**GOOD, "version": "one"}, r"unsupported scene format version"),
        (lambda p: {**GOOD, "format": "other"}, r"not a TwinLoc scene"),
        (lambda p: _with_object(mesh="crate.obj"), r"exactly one of 'primitive' or 'mesh'"),
        (lambda p: {**GOOD, "objects": [{"name": "m", "kind": "solid", "material": "concrete", "mesh": "missing.obj"}]}, r"mesh file .*missing\.obj.* not found"),
        (lambda p: _with_object(material="vibranium"), r"unknown material 'vibranium'"),
        (lambda p: {**GOOD, "materials": {"x": {"preset": "cheese"}}}, r"unknown preset 'cheese'"),
        (lambda p: _with_object(transform={"translation": [float("nan"), 0, 0]}), r"finite"),
        (lambda p: {**GOOD, "anchors": [{"name": "A", "position": [0, float("inf"), 2]}]}, r"finite"),
        (lambda p: _with_object(primitive={"type": "box", "size": [1.0, 0.0, 1.0]}), r"box size must be positive"),
        (lambda p: _with_object(primitive={"type": "blob"}), r"unknown primitive type 'blob'"),
        (lambda p: _with_object(transform={"scale": 0}), r"scale must not be zero"),
        (lambda p: {**GOOD, "objects": [{"name": "o", "kind": "solid", "material": "concrete", "mesh": _open_box_obj(p)}]}, r"'o': a solid must be a closed mesh"),
        (lambda p: {**GOOD, "tag_height_m": 0}, r"tag_height_m must be positive"),
        (lambda p: {**GOOD, "objects": []}, r"'objects' must be a non-empty list"),
        (lambda p: {**GOOD, "regions": [{"name": "r", "type": "evaluation", "polygon": [[0, 0], [1, 1], [2, 2]]}]}, r"zero area"),
        (lambda p: {**GOOD, "units": "ft"}, r"units must be 'm'"),
    ],
)
def test_bad_descriptors_name_the_file_and_the_problem(tmp_path, make, message):
    path = write(tmp_path, make(tmp_path), name="bad_scene.json")
    with pytest.raises(SceneError, match=r"bad_scene\.json.*" + message):
        load_scene_file(path)


def test_nan_vertex_in_a_mesh_file(tmp_path):
    (tmp_path / "nan.obj").write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")
    data = {**GOOD, "objects": [{"name": "n", "kind": "surface", "material": "concrete", "mesh": "nan.obj"}]}
    with pytest.raises(SceneError, match=r"scene\.json.*'n'.*(NaN|no triangles)"):
        load_scene_file(write(tmp_path, data))


def test_degenerate_and_empty_meshes(tmp_path):
    (tmp_path / "flat.obj").write_text("v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\nf 1 3 2\n")
    (tmp_path / "empty.obj").write_text("v 0 0 0\nv 1 0 0\n")
    for mesh, message in (("flat.obj", "every triangle has zero area"), ("empty.obj", "no triangles")):
        data = {**GOOD, "objects": [{"name": "d", "kind": "surface", "material": "concrete", "mesh": mesh}]}
        with pytest.raises(SceneError, match=r"scene\.json.*" + message):
            load_scene_file(write(tmp_path, data))


def test_missing_scene_file(tmp_path):
    with pytest.raises(SceneError, match=r"nowhere\.json: scene file not found"):
        load_scene_file(tmp_path / "nowhere.json")
