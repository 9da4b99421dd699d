"""Opening scenes and projects into a workspace; material overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import trimesh

from twinloc.geometry.errors import SceneError
from twinloc.geometry.scene import RegionType
from twinloc.model.devices import Anchor
from twinloc.model.mounting import MountingRegion
from twinloc.model.project import MaterialOverride, Project, SceneRef, Settings
from twinloc.model.project_file import ProjectFileError, save_project
from twinloc.workspace import SceneFileMissing, effective_scene, new_project_for_scene, open_source, scene_with_mounting_regions


def test_a_shipped_scene_opens_as_a_new_project() -> None:
    workspace = open_source("uwb_hall")
    assert workspace.project.scene == SceneRef("uwb_hall", None)
    assert workspace.project.anchors == workspace.scene.anchors
    assert workspace.project.base_stations == workspace.scene.base_stations
    assert workspace.project_path is None and workspace.scene is workspace.base_scene


def test_a_mesh_file_opens_with_its_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trimesh.creation.box(extents=(2.0, 3.0, 1.0)).export(tmp_path / "box.obj")
    monkeypatch.chdir(tmp_path)
    workspace = open_source("box.obj")
    assert workspace.project.scene.path == str(tmp_path.resolve() / "box.obj")
    assert len(workspace.scene.objects) >= 1


def test_a_project_opens_with_its_overrides_applied(tmp_path: Path) -> None:
    base = open_source("uwb_hall").base_scene
    material = sorted(base.materials)[0]
    project = Project(
        scene=SceneRef("uwb_hall"),
        anchors=(Anchor("X1", (1.0, 1.0, 2.0)),),
        settings=Settings(grid_resolution_m=0.5),
        material_overrides={material: MaterialOverride(relative_permittivity=7.5, thickness_m=0.3)},
    )
    save_project(project, tmp_path / "p.twinloc")
    workspace = open_source(str(tmp_path / "p.twinloc"))
    assert workspace.project == project
    assert workspace.project_path == (tmp_path / "p.twinloc").resolve()
    assert workspace.scene.materials[material].relative_permittivity == 7.5
    assert workspace.scene.materials[material].thickness_m == 0.3
    assert workspace.scene.materials[material].color == base.materials[material].color
    assert workspace.base_scene.materials[material] == base.materials[material]
    assert workspace.scene.content_hash() != workspace.base_scene.content_hash()


def test_a_project_finds_its_scene_file_relative_to_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "site").mkdir()
    trimesh.creation.box(extents=(2.0, 3.0, 1.0)).export(tmp_path / "site" / "box.obj")
    save_project(Project(scene=SceneRef("box", str(tmp_path / "site" / "box.obj"))), tmp_path / "site" / "p.twinloc")
    moved = tmp_path / "moved"
    (tmp_path / "site").rename(moved)
    monkeypatch.chdir(tmp_path)
    workspace = open_source(str(moved / "p.twinloc"))
    assert Path(workspace.project.scene.path) == (moved / "box.obj").resolve()


def test_with_project_follows_material_overrides() -> None:
    workspace = open_source("uwb_hall")
    material = sorted(workspace.scene.materials)[0]
    moved = workspace.with_project(workspace.project.with_anchors(()))
    assert moved.scene is workspace.scene
    changed = workspace.with_project(workspace.project.with_material_override(material, MaterialOverride(thickness_m=0.5)))
    assert changed.scene.materials[material].thickness_m == 0.5


def test_an_override_of_an_unknown_material_names_the_project(tmp_path: Path) -> None:
    project = Project(scene=SceneRef("uwb_hall"), material_overrides={"unobtainium": MaterialOverride(thickness_m=1.0)})
    save_project(project, tmp_path / "p.twinloc")
    with pytest.raises(ProjectFileError, match=r"p\.twinloc: material override 'unobtainium'"):
        open_source(str(tmp_path / "p.twinloc"))


def test_effective_scene_without_overrides_is_the_scene_itself() -> None:
    base = open_source("uwb_hall").base_scene
    assert effective_scene(base, Project(scene=SceneRef("uwb_hall"))) is base


def test_a_project_whose_scene_is_gone_names_both_files(tmp_path: Path) -> None:
    save_project(Project(scene=SceneRef("gone", str(tmp_path / "gone.json"))), tmp_path / "p.twinloc")
    with pytest.raises(SceneFileMissing) as caught:
        open_source(str(tmp_path / "p.twinloc"))
    assert "p.twinloc" in str(caught.value) and "gone.json" in str(caught.value)
    assert isinstance(caught.value, SceneError)
    assert caught.value.scene_path == tmp_path / "gone.json" and caught.value.project_path == tmp_path / "p.twinloc"


def test_a_moved_scene_is_opened_from_where_it_is_now(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    trimesh.creation.box(extents=(2.0, 3.0, 1.0)).export(tmp_path / "site" / "box.obj")
    anchors = (Anchor("X1", (0.5, 0.5, 0.8)),)
    save_project(Project(scene=SceneRef("box", str(tmp_path / "site" / "box.obj")), anchors=anchors), tmp_path / "p.twinloc")
    (tmp_path / "site").rename(tmp_path / "elsewhere")
    with pytest.raises(SceneFileMissing):
        open_source(str(tmp_path / "p.twinloc"))
    workspace = open_source(str(tmp_path / "p.twinloc"), scene_path=str(tmp_path / "elsewhere" / "box.obj"))
    assert workspace.project.scene == SceneRef("box", str((tmp_path / "elsewhere" / "box.obj").resolve()))
    assert workspace.project.anchors == anchors
    assert workspace.base_scene.bounds[1, 1] - workspace.base_scene.bounds[0, 1] == pytest.approx(3.0)
    # A file that is no scene is refused with the project named, as any broken scene is.
    (tmp_path / "notes.txt").write_text("not a scene", encoding="utf-8")
    with pytest.raises(SceneError, match=r"p\.twinloc: cannot open the project's scene"):
        open_source(str(tmp_path / "p.twinloc"), scene_path=str(tmp_path / "notes.txt"))


def test_unknown_sources_and_broken_projects_raise_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="no_such_scene"):
        open_source("no_such_scene")
    (tmp_path / "b.twinloc").write_text("{", encoding="utf-8")
    with pytest.raises(ProjectFileError, match="b.twinloc: malformed JSON"):
        open_source(str(tmp_path / "b.twinloc"))


def test_new_project_takes_the_scene_defaults() -> None:
    scene = open_source("uwb_hall").scene
    project = new_project_for_scene(scene, SceneRef("uwb_hall"))
    assert project.anchors == scene.anchors and project.settings == Settings()


def test_drawn_regions_join_the_scene_and_clash_is_refused():
    scene = open_source("uwb_hall").scene
    drawn = MountingRegion("ceiling strip", ((2.0, 3.0), (16.0, 3.0), (16.0, 5.0), (2.0, 5.0)), (3.9, 3.9))
    merged = scene_with_mounting_regions(scene, (drawn,))
    added = merged.mounting_regions()[-1]
    assert [r.name for r in merged.mounting_regions()] == [r.name for r in scene.mounting_regions()] + ["ceiling strip"]
    assert added.type is RegionType.MOUNTING and added.z_range_m == (3.9, 3.9) and not added.is_polyline
    assert added.polygon.tolist() == [[2.0, 3.0], [16.0, 3.0], [16.0, 5.0], [2.0, 5.0]]
    assert merged.content_hash() != scene.content_hash()
    assert scene_with_mounting_regions(scene, ()) is scene
    with pytest.raises(ValueError, match="already used"):
        scene_with_mounting_regions(scene, (MountingRegion("ceiling", drawn.polygon, drawn.z_range_m),))
