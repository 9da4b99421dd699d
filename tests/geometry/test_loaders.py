import numpy as np
import pytest
import trimesh

from twinloc._paths import scenes_dir
from twinloc.geometry.errors import SceneError
from twinloc.geometry.loaders import SHIPPED_SCENES, import_mesh_objects, load_scene
from twinloc.geometry.scene import ObjectKind

MITSUBA = scenes_dir().parent / "tests" / "data" / "mitsuba" / "scene.xml"


@pytest.mark.parametrize("name", SHIPPED_SCENES)
def test_every_shipped_scene_loads_with_closed_outward_solids(name):
    scene = load_scene(name)
    assert scene.objects and scene.evaluation_regions() and scene.mounting_regions()
    for obj in scene.objects:
        assert obj.material in scene.materials
        if obj.kind is ObjectKind.SOLID:
            mesh = trimesh.Trimesh(obj.vertices, obj.faces, process=False)
            assert mesh.is_watertight, obj.name
            assert mesh.volume > 0.0, obj.name
    assert scene.tag_height_m == 1.0
    assert scene.source_path.name == f"{name}.json"


def test_uwb_hall_numbers():
    scene = load_scene("uwb_hall")
    np.testing.assert_allclose(scene.bounds, [[0, 0, 0], [18.3, 8.4, 4.0]])
    columns = [o for o in scene.objects if o.kind is ObjectKind.SOLID]
    assert len(columns) == 8
    centres = sorted(tuple(np.round(o.vertices.mean(axis=0), 9)) for o in columns)
    assert centres == sorted((x, y, 2.0) for x in (3.66, 7.32, 10.98, 14.64) for y in (2.8, 5.6))
    for column in columns:
        np.testing.assert_allclose(np.ptp(column.vertices, axis=0), [0.7, 0.7, 4.0])
    assert {o.material for o in scene.objects} == {"concrete"}
    assert [(a.name, a.position) for a in scene.anchors] == [
        ("A1", (3.8, 0.0, 2.0)), ("A2", (9.4, 7.2, 2.0)), ("A3", (14.4, 0.1, 2.0))
    ]
    (floor_region,) = scene.evaluation_regions()
    assert floor_region.main_area and floor_region.weight == 1.0
    np.testing.assert_allclose(floor_region.polygon, [[0, 0], [18.3, 0], [18.3, 8.4], [0, 8.4]])
    bands = [r for r in scene.mounting_regions() if r.is_polyline]
    assert len(bands) == 4 and all(r.z_range_m == (2.0, 2.0) for r in bands)


def test_industrial_hall_numbers():
    scene = load_scene("industrial_hall")
    np.testing.assert_allclose(scene.bounds, [[0, 0, 0], [8.0, 18.0, 2.5]])
    assert [b.position for b in scene.base_stations] == [(0.1, 0.1, 2.4), (7.9, 0.1, 2.4), (0.1, 17.9, 2.4), (7.9, 17.9, 2.4)]
    metal = [o for o in scene.objects if o.kind is ObjectKind.SOLID and o.material == "metal"]
    assert len(metal) >= 5
    assert scene.materials["metal"].opaque


def test_office_floor_doors_fill_wall_openings():
    scene = load_scene("office_floor")
    doors = [o for o in scene.objects if "door" in o.name]
    assert len(doors) == 8 and all(o.material == "wood" and o.kind is ObjectKind.SURFACE for o in doors)
    assert {"brick", "plasterboard", "glass", "wood"} <= {o.material for o in scene.objects}
    assert 4 <= len(scene.anchors) <= 6 and all(a.position[2] == 2.4 for a in scene.anchors)
    assert len(scene.evaluation_regions()) == 8


def test_unknown_source_names_the_file(tmp_path):
    with pytest.raises(SceneError, match="no_such_scene"):
        load_scene("no_such_scene")
    odd = tmp_path / "scene.dwg"
    odd.write_text("x")
    with pytest.raises(SceneError, match=r"scene\.dwg.*unsupported"):
        load_scene(odd)


@pytest.mark.parametrize("suffix", [".obj", ".stl", ".ply", ".glb"])
def test_mesh_import_makes_a_closed_box_a_solid(tmp_path, suffix):
    box = trimesh.creation.box(extents=[1.0, 2.0, 3.0])
    box.apply_translation([5.0, 6.0, 7.0])
    path = tmp_path / f"box{suffix}"
    box.export(path)
    (obj,) = import_mesh_objects(path)
    assert obj.kind is ObjectKind.SOLID and obj.material == "concrete"
    assert trimesh.Trimesh(obj.vertices, obj.faces).volume == pytest.approx(6.0)
    expected = np.array([[4.5, 5.0, 5.5], [5.5, 7.0, 8.5]])
    if suffix == ".glb":
        # glTF is y-up: (x, y, z) there is (x, -z, y) in the z-up scene.
        expected = np.array([[4.5, -8.5, 5.0], [5.5, -5.5, 7.0]])
    np.testing.assert_allclose(obj.bounds, expected, atol=1e-9)


def test_mesh_import_keeps_open_meshes_as_surfaces(tmp_path):
    path = tmp_path / "panel.obj"
    trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]], [[0, 1, 2], [0, 2, 3]]).export(path)
    (obj,) = import_mesh_objects(path, material="glass")
    assert obj.kind is ObjectKind.SURFACE and obj.material == "glass"


def test_mesh_import_of_a_multi_object_file(tmp_path):
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(extents=[1, 1, 1]), node_name="crate")
    scene.add_geometry(trimesh.creation.box(extents=[1, 1, 1]), node_name="moved", transform=trimesh.transformations.translation_matrix([0, 0, 5]))
    path = tmp_path / "two.glb"
    scene.export(path)
    objects = import_mesh_objects(path)
    assert sorted(o.name for o in objects) == ["crate", "moved"]
    moved = next(o for o in objects if o.name == "moved")
    np.testing.assert_allclose(moved.vertices.mean(axis=0), [0, -5, 0], atol=1e-9)  # glTF z -> scene -y


def test_mitsuba_scene_as_sionna_writes_it():
    scene = load_scene(MITSUBA)
    objects = {o.name: o for o in scene.objects}
    assert set(objects) == {"mesh-floor", "mesh-wall", "mesh-cabinet"}
    assert objects["mesh-floor"].material == "concrete" and objects["mesh-floor"].kind is ObjectKind.SURFACE
    assert objects["mesh-wall"].material == "brick"  # via the nested bsdf named itu-brick
    np.testing.assert_allclose(objects["mesh-wall"].bounds, [[0, 5, 0], [6, 5, 3]])
    cabinet = objects["mesh-cabinet"]
    assert cabinet.kind is ObjectKind.SOLID and cabinet.material == "metal"
    # Unit cube scaled (0.5, 1, 2), turned 90 degrees about z, moved to (3, 4, 1).
    np.testing.assert_allclose(cabinet.bounds, [[2.5, 3.75, 0.0], [3.5, 4.25, 2.0]], atol=1e-9)
    assert set(scene.materials) == {"concrete", "brick", "metal"}


def test_mitsuba_unknown_radio_material_is_named(tmp_path):
    meshes = MITSUBA.parent / "meshes"
    text = (
        MITSUBA.read_text()
        .replace("mat-itu_concrete", "mat-itu_unobtainium")
        .replace('value="$floor_file"', f'value="{meshes / "floor.ply"}"')
        .replace('value="meshes/', f'value="{meshes}/')
    )
    bad = tmp_path / "bad.xml"
    bad.write_text(text)
    with pytest.raises(SceneError, match=r"bad\.xml.*unknown radio material 'mat-itu_unobtainium'"):
        load_scene(bad)


def test_mitsuba_malformed_xml_names_file_and_line(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<scene>\n<shape type='ply'>\n</scene>\n")
    with pytest.raises(SceneError, match=r"broken\.xml: malformed XML at line"):
        load_scene(bad)


def test_wifi_hall_is_the_seed_002_site():
    scene = load_scene("wifi_hall")
    np.testing.assert_allclose(scene.bounds, [[0, 0, 0], [20.0, 40.0, 6.0]])
    assert [region.name for region in scene.evaluation_regions()] == ["Area 1", "Area 2", "Area 3"]
    assert len(scene.access_points) == 18
    assert {(p.frequency_hz, p.power_dbm, p.position[2]) for p in scene.access_points} == {(2.4e9, 20.0, 5.8)}
    fences = {o.material for o in scene.objects if "fence" in o.name}
    assert fences == {"metal", "glass"}
    # Every fence is 2 m high, and every area's fence leaves a gate.
    assert all(o.bounds[1, 2] == 2.0 for o in scene.objects if "fence" in o.name)
    for region in scene.evaluation_regions():
        number = region.name.split()[-1]
        fence = [o for o in scene.objects if o.name.startswith(f"area {number} fence")]
        length = sum(float(np.linalg.norm(np.ptp(o.vertices[:, :2], axis=0))) for o in fence)
        x, y = region.polygon[:, 0], region.polygon[:, 1]
        perimeter = 2 * (np.ptp(x) + np.ptp(y))
        assert length == pytest.approx(perimeter - 1.2)
