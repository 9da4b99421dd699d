"""Survey CSV files: hand-made files read back to the values they hold, and every refusal."""

from __future__ import annotations

import os

import numpy as np
import pytest

from twinloc.fingerprint.survey import (
    Survey,
    SurveyError,
    read_survey_csv,
    require_reference_points,
    write_survey_csv,
)
from twinloc.geometry.materials import material_presets
from twinloc.geometry.primitives import plane_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.model.devices import AccessPoint, Anchor


@pytest.fixture
def scene() -> Scene:
    vertices, faces = plane_mesh((10.0, 10.0), (5.0, 5.0, 0.0))
    return Scene(
        name="survey room",
        objects=(SceneObject("floor", ObjectKind.SURFACE, "concrete", vertices, faces),),
        materials={"concrete": material_presets()["concrete"]},
        tag_height_m=1.25,
        access_points=(AccessPoint("AP1", (1.0, 1.0, 3.0)), AccessPoint("AP2", (9.0, 9.0, 3.0))),
        anchors=(Anchor("A1", (0.0, 5.0, 2.0)),),
    )


def write(tmp_path, text: str, name: str = "survey.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_full_survey_reads_to_its_values(tmp_path, scene):
    path = write(tmp_path, (
        "x_m,y_m,z_m,point,t_s,rss_dbm:AP1,rss_dbm:AP2,range_m:A1\n"
        "1.0,2.0,1.1,7,0.0,-50.5,,3.25\n"
        "1.0,2.0,1.1,7,1.0,-51,-80,\n"
        "\n"
        "4.5,2.0,1.1,9,2.5,,-77.25,2.0\n"
    ))
    survey = read_survey_csv(path, scene)
    assert survey.transmitters == ("AP1", "AP2", "A1")
    np.testing.assert_array_equal(survey.positions, [[1.0, 2.0, 1.1], [1.0, 2.0, 1.1], [4.5, 2.0, 1.1]])
    np.testing.assert_array_equal(survey.point_ids, [7, 7, 9])
    np.testing.assert_array_equal(survey.times_s, [0.0, 1.0, 2.5])
    np.testing.assert_array_equal(
        survey.rss_dbm, [[-50.5, np.nan, np.nan], [-51.0, -80.0, np.nan], [np.nan, -77.25, np.nan]]
    )
    np.testing.assert_array_equal(
        survey.range_m, [[np.nan, np.nan, 3.25], [np.nan, np.nan, np.nan], [np.nan, np.nan, 2.0]]
    )
    assert survey.samples == 3 and survey.reference_points == 2


def test_optional_columns_take_their_defaults(tmp_path, scene):
    # No z_m: the scene's tag height. No point: samples at one position are one point, numbered
    # in order of first appearance. No t_s: no times. No range column: an RSS-only survey.
    path = write(tmp_path, "x_m,y_m,rss_dbm:AP2\n3,3,-60\n1,1,-70\n3,3,-61\n")
    survey = read_survey_csv(path, scene)
    np.testing.assert_array_equal(survey.positions[:, 2], [1.25, 1.25, 1.25])
    np.testing.assert_array_equal(survey.point_ids, [0, 1, 0])
    assert survey.times_s is None and survey.range_m is None


def test_point_labels_that_are_not_numbers_are_numbered_in_order(tmp_path, scene):
    path = write(tmp_path, "x_m,y_m,point,rss_dbm:AP1\n0,0,north,-60\n1,0,south,-61\n0,0,north,-62\n")
    np.testing.assert_array_equal(read_survey_csv(path, scene).point_ids, [0, 1, 0])


def test_a_written_survey_reads_back_equal(tmp_path, scene):
    survey = Survey(
        positions=np.array([[1.0, 2.0, 1.0], [3.0, 4.0, 1.0]]),
        point_ids=np.array([0, 1]),
        times_s=np.array([0.1, 1.0 / 3.0]),
        transmitters=("AP1", "A1"),
        rss_dbm=np.array([[-60.123456789, np.nan], [-70.0, -90.5]]),
        range_m=np.array([[np.nan, 4.0], [2.0, np.nan]]),
    )
    path = tmp_path / "out.csv"
    write_survey_csv(survey, path)
    assert path.read_text().splitlines()[0] == "x_m,y_m,z_m,point,t_s,rss_dbm:AP1,rss_dbm:A1,range_m:AP1,range_m:A1"
    back = read_survey_csv(path, scene)
    for field in ("positions", "point_ids", "times_s", "rss_dbm", "range_m"):
        np.testing.assert_array_equal(getattr(back, field), getattr(survey, field))
    assert back.transmitters == survey.transmitters


def test_select_keeps_the_chosen_samples(scene, tmp_path):
    path = write(tmp_path, "x_m,y_m,point,t_s,rss_dbm:AP1\n0,0,1,0,-60\n1,0,2,1,-61\n2,0,3,2,-62\n")
    chosen = read_survey_csv(path, scene).select([2, 0])
    np.testing.assert_array_equal(chosen.point_ids, [3, 1])
    np.testing.assert_array_equal(chosen.times_s, [2.0, 0.0])
    np.testing.assert_array_equal(chosen.rss_dbm[:, 0], [-62.0, -60.0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x_m,y_m,rss_dbm:AP9\n0,0,-60\n", r"line 1: none of the survey's transmitters \(AP9\) is a transmitter of the scene \(AP1, AP2, A1\)"),
        ("x_m,y_m,rss_dbm:AP1,rss_dbm:AP9\n0,0,-60,-61\n", "line 1: unknown transmitter 'AP9'"),
        ("x_m,y_m,rss_dbm:AP1\n0,0,-60\n1,0,loud\n", "line 3: rss_dbm:AP1: 'loud' is not a number"),
        ("x_m,y_m,rss_dbm:AP1\n0,0,-60\nnan,0,-61\n", "line 3: x_m: 'nan' is not a finite number"),
        ("x_m,y_m,rss_dbm:AP1\n0,,-60\n", "line 2: y_m: '' is not a number"),
        ("x_m,y_m,rss_dbm:AP1\n0,0,-60,5\n", "line 2: 4 values, but the header has 3 columns"),
        ("x_m,y_m,rss_dbm:AP1\n0,0,-600\n", "line 2: rss_dbm:AP1: -600 dBm is outside -200 to 60 dBm"),
        ("x_m,y_m,range_m:A1\n0,0,-1\n", "line 2: range_m:A1: -1 m is outside"),
        ("x_m,y_m,point,rss_dbm:AP1\n0,0,,-60\n", "line 2: the point is empty"),
        ("x_m,y_m,height,rss_dbm:AP1\n0,0,1,-60\n", "line 1: unknown column 'height'"),
        ("x_m,rss_dbm:AP1\n0,-60\n", "line 1: no 'y_m' column"),
        ("x_m,y_m,z_m\n0,0,1\n", "line 1: no transmitter columns"),
        ("x_m,y_m,rss_dbm:AP1,rss_dbm:AP1\n0,0,-60,-60\n", "line 1: column\\(s\\) named twice: rss_dbm:AP1"),
        ("x_m,y_m,rss_dbm:AP1\n", "no samples"),
        ("x_m,y_m,rss_dbm:AP1,rss_dbm:AP2\n0,0,,\n1,1,,\n", "no transmitter was heard"),
        ("", "no samples"),
    ],
)
def test_bad_surveys_are_refused_with_the_file_and_line(tmp_path, scene, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SurveyError, match=message) as caught:
        read_survey_csv(path, scene)
    assert str(caught.value).startswith(str(path))


def test_a_single_reference_point_is_refused_where_two_are_needed(tmp_path, scene):
    path = write(tmp_path, "x_m,y_m,rss_dbm:AP1\n0,0,-60\n0,0,-61\n")
    assert read_survey_csv(path, scene).reference_points == 1
    with pytest.raises(SurveyError, match="1 reference point; at least 2 are needed"):
        read_survey_csv(path, scene, min_points=2)
    with pytest.raises(SurveyError, match="train.csv: the survey has 1 reference point"):
        require_reference_points(read_survey_csv(path, scene), 2, "train.csv")


def test_a_project_may_name_its_own_transmitters(tmp_path, scene):
    path = write(tmp_path, "x_m,y_m,rss_dbm:B7\n0,0,-60\n")
    assert read_survey_csv(path, scene, transmitters=["B7"]).transmitters == ("B7",)


def test_unreadable_files_are_refused_without_hanging(tmp_path, scene, monkeypatch):
    with pytest.raises(SurveyError, match="cannot read the survey"):
        read_survey_csv(tmp_path / "missing.csv", scene)
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(SurveyError, match="not a regular file"):
        read_survey_csv(fifo, scene)
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SurveyError, match="not UTF-8"):
        read_survey_csv(tmp_path / "binary.csv", scene)
    monkeypatch.setattr("twinloc.fingerprint.survey.SURVEY_FILE_LIMIT_BYTES", 10)
    with pytest.raises(SurveyError, match="larger than"):
        read_survey_csv(write(tmp_path, "x_m,y_m,rss_dbm:AP1\n0,0,-60\n"), scene)


def test_the_value_limit_is_checked_while_reading(tmp_path, scene, monkeypatch):
    monkeypatch.setattr("twinloc.fingerprint.survey.MAX_SURVEY_VALUES", 7)
    path = write(tmp_path, "x_m,y_m,rss_dbm:AP1\n0,0,-60\n1,0,-61\n2,0,-62\n")
    with pytest.raises(SurveyError, match="line 4: more than 7 values"):
        read_survey_csv(path, scene)
