"""Installation sheets and as-built positions."""

import csv

import numpy as np
import pytest

from optim_scenes import room
from twinloc.optim.installation import deviations, planned_anchors, read_as_built_csv, write_sheet_csv, write_sheet_html


def test_sheet_csv_round_trips_through_the_as_built_reader(tmp_path):
    anchors = planned_anchors(np.array([[1.0, 0.0, 2.0], [6.0, 2.5, 2.0], [3.0, 4.0, 2.0]]), ["band 0", "band 1", "band 2"])
    path = tmp_path / "sheet.csv"
    write_sheet_csv(anchors, path)
    rows = list(csv.DictReader(path.open()))
    assert [r["name"] for r in rows] == ["A1", "A2", "A3"]
    assert rows[1] == {"name": "A2", "x_m": "6.000", "y_m": "2.500", "z_m": "2.000", "surface": "band 1"}
    assert read_as_built_csv(path)["A3"] == (3.0, 4.0, 2.0)


def test_html_sheet_has_the_table_and_a_png(tmp_path):
    anchors = planned_anchors(np.array([[1.0, 0.0, 2.0]]), ["band 0"])
    path = tmp_path / "sheet.html"
    write_sheet_html(anchors, room(), path)
    page = path.read_text()
    assert "<td>A1</td><td>1.000</td><td>0.000</td><td>2.000</td><td>band 0</td>" in page
    assert "data:image/png;base64,iVBORw0KGgo" in page


def test_deviation_from_plan_per_anchor(tmp_path):
    anchors = planned_anchors(np.array([[1.0, 0.0, 2.0], [6.0, 2.5, 2.0]]))
    path = tmp_path / "built.csv"
    path.write_text("name,x_m,y_m,z_m\nA1,1.03,0.0,1.96\n")
    rows = deviations(anchors, read_as_built_csv(path))
    assert rows[0]["distance_m"] == pytest.approx(0.05)
    assert rows[0]["dx_m"] == pytest.approx(0.03) and rows[0]["dz_m"] == pytest.approx(-0.04)
    assert rows[1]["as_built"] is None and rows[1]["distance_m"] is None


@pytest.mark.parametrize("text,message", [("name,x_m,y_m\nA1,1,2\n", "missing column"), ("name,x_m,y_m,z_m\nA1,1,x,2\n", "numbers"),
                                          ("name,x_m,y_m,z_m\nA1,1,1,2\nA1,1,1,2\n", "twice"), ("name,x_m,y_m,z_m\nA1,1,nan,2\n", "finite")])
def test_bad_as_built_files_are_refused(tmp_path, text, message):
    path = tmp_path / "built.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_as_built_csv(path)


def test_an_as_built_pipe_or_over_long_field_is_refused_with_the_file(tmp_path):
    import os

    fifo = tmp_path / "plan.csv"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    with pytest.raises(ValueError, match="plan.csv: cannot read: is not a regular file"):
        read_as_built_csv(fifo)
    long_field = tmp_path / "long.csv"
    long_field.write_text("name,x_m,y_m,z_m\nA1,1,2," + "3" * 131_073 + "\n")
    with pytest.raises(ValueError, match="long.csv, line 2: unreadable CSV: field larger than field limit"):
        read_as_built_csv(long_field)
    far = tmp_path / "far.csv"
    far.write_text("name,x_m,y_m,z_m\nA1,3.8,0,2\nA2,9.4,1e9,2\n")
    with pytest.raises(ValueError, match="far.csv, line 3: a coordinate beyond ±100,000 m"):
        read_as_built_csv(far)
