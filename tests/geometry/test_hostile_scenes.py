"""Hostile and broken scene files: each is one SceneError naming the file, never a crash.

Every case is a small generated file. Memory and time bombs (a cylinder of 1e8 sections,
30,000 objects, a PLY header promising 4e9 vertices) must be refused before anything large
is built; the tests assert the refusal, not the time it takes.
"""

from __future__ import annotations

import base64
import json
import os
import struct

import numpy as np
import pytest

from twinloc.geometry import meshes, mitsuba, scene_file
from twinloc.geometry.errors import MAX_MESSAGE_CHARS, SceneError
from twinloc.geometry.loaders import load_scene


def descriptor(objects=None, **fields) -> dict:
    """A valid one-room descriptor, with ``fields`` replacing the top-level ones."""
    scene = {
        "format": "twinloc-scene",
        "version": 1,
        "objects": objects
        or [{"name": "floor", "kind": "surface", "material": "concrete", "primitive": {"type": "plane", "size": [4, 3]}}],
    }
    scene.update(fields)
    return scene


def cylinder(sections) -> list[dict]:
    spec = {"type": "cylinder", "radius": 0.5, "height": 2.0, "sections": sections}
    return [{"name": "pillar", "kind": "solid", "material": "concrete", "primitive": spec}]


def moved_floor(translation) -> list[dict]:
    return [
        {
            "name": "floor",
            "kind": "surface",
            "material": "concrete",
            "primitive": {"type": "plane", "size": [4, 3]},
            "transform": {"translation": translation},
        }
    ]


def many_planes(count: int, repeated: str | None = None) -> list[dict]:
    objects = [
        {"name": f"tile {i}", "kind": "surface", "material": "concrete", "primitive": {"type": "plane", "size": [1, 1]}}
        for i in range(count)
    ]
    if repeated is not None:
        objects[-1]["name"] = repeated
    return objects


JSON_CASES = {
    "cylinder of 1e8 sections": (json.dumps(descriptor(cylinder(10**8))), "sections must be a whole number from 3 to 1024"),
    "cylinder of 1e308 sections": (json.dumps(descriptor(cylinder(1e308))), "sections"),
    "cylinder of infinite sections": (json.dumps(descriptor(cylinder(float("inf")))), "sections"),
    "cylinder of 2.5 sections": (json.dumps(descriptor(cylinder(2.5))), "sections"),
    "30,000 objects, one name twice": (
        json.dumps(descriptor(many_planes(30_000, repeated="tile 7"))),
        "object names must be unique, repeated: 'tile 7'",
    ),
    "integer of 401 digits as a coordinate": (json.dumps(descriptor(moved_floor([10**400, 0, 0]))), "must be finite"),
    "integer of 401 digits as the version": (json.dumps(descriptor(version=10**400)), "version an integer of 401 digits"),
    "integer of 5000 digits": ('{"format": "twinloc-scene", "version": ' + "9" * 5000 + "}", "malformed JSON (a number with thousands of digits)"),
    "200,000-deep nesting": ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
    "translation of 1e308 m": (json.dumps(descriptor(moved_floor([1e308, 0, 0]))), "beyond the 100000 m"),
    "translation of 2e5 m": (json.dumps(descriptor(moved_floor([2e5, 0, 0]))), "beyond the 100000 m"),
    "anchor at 1e308 m": (
        json.dumps(descriptor(anchors=[{"name": "A1", "position": [0, 1e308, 2]}])),
        "anchor 'A1' position: 1e+308 m from the origin",
    ),
    "region corner at 1e308 m": (
        json.dumps(descriptor(regions=[{"type": "evaluation", "polygon": [[0, 0], [1e308, 0], [0, 1]]}])),
        "beyond the 100000 m",
    ),
    "tag height of 1e308 m": (json.dumps(descriptor(tag_height_m=1e308)), "tag_height_m must be positive and at most"),
    "enabled written as a string": (
        json.dumps(descriptor(anchors=[{"name": "A1", "position": [0, 1, 2], "enabled": "false"}])),
        "enabled must be true or false, got 'false'",
    ),
    "two anchors of one name": (
        json.dumps(descriptor(anchors=[{"name": "A1", "position": [0, 1, 2]}, {"name": "A1", "position": [1, 1, 2]}])),
        "anchor names must be unique",
    ),
    "anchors not a list": (json.dumps(descriptor(anchors={"name": "A1"})), "'anchors' must be a list"),
    "a format of a million characters": (json.dumps(descriptor(format="x" * 1_000_000)), "not a TwinLoc scene"),
}


@pytest.mark.parametrize("text, message", JSON_CASES.values(), ids=JSON_CASES.keys())
def test_hostile_descriptors_are_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "hostile.json"
    path.write_text(text)
    with pytest.raises(SceneError) as caught:
        load_scene(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text
    assert len(text) <= MAX_MESSAGE_CHARS and "\n" not in text


def test_thirty_thousand_distinct_objects_load(tmp_path):
    path = tmp_path / "tiles.json"
    path.write_text(json.dumps(descriptor(many_planes(30_000))))
    assert len(load_scene(path).objects) == 30_000


# ---- meshes ------------------------------------------------------------------------------


def gltf_with_nodes(nodes: list[dict], roots: list[int]) -> str:
    """A glTF of one triangle shared by ``nodes``, the scene listing ``roots``."""
    data = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32).tobytes() + np.array([0, 1, 2, 0], dtype=np.uint16).tobytes()
    return json.dumps(
        {
            "asset": {"version": "2.0"},
            "scene": 0,
            "scenes": [{"nodes": roots}],
            "nodes": nodes,
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
            "buffers": [{"byteLength": len(data), "uri": "data:application/octet-stream;base64," + base64.b64encode(data).decode()}],
            "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 36}, {"buffer": 0, "byteOffset": 36, "byteLength": 6}],
            "accessors": [
                {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
                {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"},
            ],
        }
    )


PLY_HEADER = "ply\nformat {format} 1.0\nelement vertex 4000000000\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"

MESH_CASES = {
    "glTF nodes in a cycle": ("cycle.gltf", gltf_with_nodes([{"mesh": 0, "children": [1]}, {"mesh": 0, "children": [0]}], [0]).encode(), "cannot read mesh file"),
    "glTF cycle through an empty node": (
        "cycle3.gltf",
        gltf_with_nodes([{"children": [1]}, {"mesh": 0, "children": [2]}, {"children": [0]}], [0]).encode(),
        "cannot read mesh file",
    ),
    "binary PLY promising 4e9 vertices": ("bomb.ply", PLY_HEADER.format(format="binary_little_endian").encode() + bytes(100), "bomb.ply"),
    "ASCII PLY promising 4e9 vertices": ("bomb_ascii.ply", (PLY_HEADER.format(format="ascii") + "0 0 0\n").encode(), "bomb_ascii.ply"),
    "STL promising 4e9 triangles": ("bomb.stl", bytes(80) + struct.pack("<I", 4_000_000_000) + bytes(50), "bomb.stl"),
    "OBJ with a NaN vertex": ("nan.obj", b"v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n", "NaN or infinite vertex"),
    "OBJ with a vertex at 1e308 m": ("far.obj", b"v 0 0 0\nv 1 0 0\nv 1e308 1e308 0\nv 0 1 0\nf 1 2 3\nf 1 2 4\n", "beyond the 100000 m"),
    "OBJ of garbage": ("junk.obj", bytes(range(256)) * 40, "junk.obj"),
    "glTF that is not JSON": ("junk.gltf", b"{not json", "is not a glTF file"),
}


@pytest.mark.parametrize("name, content, message", MESH_CASES.values(), ids=MESH_CASES.keys())
def test_hostile_meshes_are_refused_without_warnings(tmp_path, recwarn, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SceneError) as caught:
        load_scene(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []


def test_a_gltf_buffer_outside_its_folder_or_too_large_is_refused(tmp_path, monkeypatch):
    outside = tmp_path / "secret.bin"
    outside.write_bytes(bytes(42))
    folder = tmp_path / "model"
    folder.mkdir()
    text = json.loads(gltf_with_nodes([{"mesh": 0}], [0]))
    text["buffers"][0]["uri"] = "../secret.bin"
    (folder / "escape.gltf").write_text(json.dumps(text))
    with pytest.raises(SceneError, match="escape.gltf"):
        load_scene(folder / "escape.gltf")

    (folder / "big.bin").write_bytes(bytes(42))
    text["buffers"][0]["uri"] = "big.bin"
    (folder / "big.gltf").write_text(json.dumps(text))
    monkeypatch.setattr(meshes, "MAX_MESH_FILE_BYTES", 41)
    with pytest.raises(SceneError, match="big.gltf.*larger than"):
        load_scene(folder / "big.gltf")


# ---- files that are not files, or too large ---------------------------------------------


@pytest.mark.parametrize("name", ["scene.json", "room.obj", "scene.xml", "room.glb"])
def test_a_fifo_is_refused_instead_of_hanging(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    with pytest.raises(SceneError, match="not a regular file"):
        load_scene(path)


@pytest.mark.parametrize(
    "name, module, limit",
    [("scene.json", scene_file, "MAX_SCENE_FILE_BYTES"), ("room.obj", meshes, "MAX_MESH_FILE_BYTES"), ("scene.xml", mitsuba, "MAX_XML_FILE_BYTES")],
)
def test_files_over_their_size_limit_are_refused(tmp_path, monkeypatch, name, module, limit):
    path = tmp_path / name
    path.write_bytes(b" " * 101)
    monkeypatch.setattr(module, limit, 100)
    with pytest.raises(SceneError, match=rf"{name}.*larger than"):
        load_scene(path)


# ---- Mitsuba / Sionna XML ---------------------------------------------------------------


def sionna_xml(thickness: str = "0.1", translate: str = "0 0 0") -> str:
    return f"""<scene version="2.1.0">
    <bsdf type="itu-radio-material" id="wall-mat">
        <string name="type" value="concrete"/>
        <float name="thickness" value="{thickness}"/>
    </bsdf>
    <shape type="rectangle" id="wall">
        <transform name="to_world"><translate value="{translate}"/></transform>
        <ref id="wall-mat" name="bsdf"/>
    </shape>
</scene>"""


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]><scene>&lol9;</scene>"
)

XML_CASES = {
    "thickness 'thick'": (sionna_xml(thickness="thick"), "radio material 'wall-mat' has thickness 'thick'"),
    "thickness -1": (sionna_xml(thickness="-1"), "has thickness '-1'"),
    "thickness NaN": (sionna_xml(thickness="nan"), "has thickness 'nan'"),
    "translation of 1e400": (sionna_xml(translate="1e400 0 0"), "not finite"),
    "translation of 1e308 m": (sionna_xml(translate="1e308 0 0"), "beyond the 100000 m"),
    "billion laughs": (BILLION_LAUGHS, "scene.xml"),
    "10,000-deep nesting": ("<scene>" + "<a>" * 10_000 + "</a>" * 10_000 + "</scene>", "malformed XML"),
}


@pytest.mark.parametrize("text, message", XML_CASES.values(), ids=XML_CASES.keys())
def test_hostile_mitsuba_scenes_are_refused(tmp_path, recwarn, text, message):
    path = tmp_path / "scene.xml"
    path.write_text(text)
    with pytest.raises(SceneError) as caught:
        load_scene(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []


def test_a_good_sionna_thickness_is_kept(tmp_path):
    path = tmp_path / "scene.xml"
    path.write_text(sionna_xml(thickness="0.3"))
    scene = load_scene(path)
    material = scene.materials[scene.objects[0].material]
    assert material.thickness_m == 0.3 and material.preset == "concrete" and material.relative_permittivity == 5.24


# ---- the command line -----------------------------------------------------------------------


@pytest.mark.parametrize("name, content", [("far.obj", MESH_CASES["OBJ with a vertex at 1e308 m"][1]), ("cycle.gltf", MESH_CASES["glTF nodes in a cycle"][1])])
def test_scene_info_says_one_line_and_exits_2(tmp_path, capsys, name, content):
    from twinloc.cli import main

    path = tmp_path / name
    path.write_bytes(content)
    assert main(["scene", "info", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"twinloc: error: {path}: ")
