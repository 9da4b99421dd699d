"""User-drawn mounting regions in the project file: round trip and validation."""

from __future__ import annotations

import json

import pytest

from twinloc.model.mounting import MountingRegion
from twinloc.model.project import Project, SceneRef
from twinloc.model.project_file import ProjectFileError, load_project, project_from_dict, project_to_dict, save_project


def project_with_regions() -> Project:
    return Project(
        scene=SceneRef("uwb_hall"),
        mounting_regions=(
            MountingRegion("ceiling east", ((10.0, 0.5), (18.0, 0.5), (18.0, 8.0), (10.0, 8.0)), (3.95, 3.95)),
            MountingRegion("north band", ((0.0, 8.4), (18.3, 8.4)), (2.0, 2.4), is_polyline=True),
        ),
    )


def test_mounting_regions_round_trip(tmp_path):
    project = project_with_regions()
    path = tmp_path / "p.twinloc"
    save_project(project, path)
    loaded = load_project(path)
    assert loaded.mounting_regions == project.mounting_regions
    assert loaded.mounting_regions[1].height_m == pytest.approx(2.2)


def test_older_files_without_regions_load_with_none():
    data = project_to_dict(Project(scene=SceneRef("uwb_hall")))
    del data["mounting_regions"]
    assert project_from_dict(data).mounting_regions == ()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "a", "polygon": [[0, 0], [1, 0]], "z_range_m": [1, 1]}, "at least 3 vertices"),
        ({"name": "a", "polygon": [[0, 0], [1, 0], [1, 1]], "z_range_m": [2, 1]}, "zmin <= zmax"),
        ({"name": "a", "polygon": "square", "z_range_m": [1, 1]}, "expected [[x, y], ...]"),
        ({"name": "a", "polygon": [[0, 0], [1, 0], [1, "x"]], "z_range_m": [1, 1]}, "expected a number"),
        ({"name": "", "polygon": [[0, 0], [1, 0], [1, 1]], "z_range_m": [1, 1]}, "non-empty string"),
        ({"name": "a", "polygon": [[0, 0], [1, 0]], "z_range_m": [1, 1], "is_polyline": "yes"}, "true or false"),
    ],
)
def test_invalid_regions_are_refused_with_their_place(entry, message):
    data = project_to_dict(Project(scene=SceneRef("uwb_hall")))
    data["mounting_regions"] = [entry]
    with pytest.raises(ProjectFileError, match="mounting_regions\\[0\\]") as error:
        project_from_dict(json.loads(json.dumps(data)))
    assert message in str(error.value)


def test_a_name_used_twice_is_refused():
    data = project_to_dict(project_with_regions())
    data["mounting_regions"][1]["name"] = "ceiling east"
    with pytest.raises(ProjectFileError, match="used twice"):
        project_from_dict(data)
