"""The twinloc command: batch verbs' output, GUI dispatch, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from twinloc.cli import main
from twinloc.model.devices import Anchor
from twinloc.model.project import Project, SceneRef, Settings
from twinloc.model.project_file import save_project


def run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def run_json(argv: list[str], capsys: pytest.CaptureFixture) -> dict:
    status, out, err = run(argv, capsys)
    assert status == 0, err
    return json.loads(out)


def test_scene_info_json_of_the_uwb_hall(capsys: pytest.CaptureFixture) -> None:
    info = run_json(["scene", "info", "uwb_hall", "--json"], capsys)
    assert set(info) >= {"objects", "materials", "bounds", "regions", "tag_height_m", "anchors", "base_stations"}
    (x0, y0, _), (x1, y1, _) = info["bounds"]
    assert (x1 - x0, y1 - y0) == pytest.approx((18.3, 8.4))
    columns = [o for o in info["objects"] if "column" in o["name"].lower()]
    assert len(columns) == 8 and all(o["material"] == "concrete" for o in columns)
    for obj in info["objects"]:
        assert set(obj) == {"name", "kind", "envelope", "material", "triangles", "bounds"}
        assert obj["envelope"] is False
        assert obj["triangles"] > 0 and obj["kind"] in ("solid", "surface")
    names = {m["name"] for m in info["materials"]}
    assert {o["material"] for o in info["objects"]} <= names
    assert all(set(m) == {"name", "relative_permittivity", "thickness_m", "preset", "opaque"} for m in info["materials"])
    assert all(m["preset"] == m["name"] and m["opaque"] is False for m in info["materials"])
    for region in info["regions"]:
        assert set(region) == {"name", "type", "weight", "main_area", "polygon"}
        assert all(len(vertex) == 2 for vertex in region["polygon"])
    assert all(len(a["position"]) == 3 for a in info["anchors"])


def test_scene_info_as_a_table(capsys: pytest.CaptureFixture) -> None:
    status, out, err = run(["scene", "info", "uwb_hall"], capsys)
    assert status == 0 and err == ""
    assert out.startswith("Scene UWB hall") and "18.30 x 8.40" in out and "Objects (" in out


def test_los_summary_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out_file = tmp_path / "los.csv"
    report = run_json(["los", "uwb_hall", "--resolution", "0.5", "--out", str(out_file), "--json"], capsys)
    assert report["cells"] > 0 and report["anchors"] >= 3
    assert 0.0 <= report["fraction_los_ge_3"] <= 1.0
    assert 0.0 <= report["mean_los_count"] <= report["anchors"]
    assert report["seconds"] >= 0.0 and report["resolution_m"] == 0.5
    lines = out_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "x_m,y_m,los_count" and len(lines) == report["cells"] + 1
    counts = [int(line.split(",")[2]) for line in lines[1:]]
    assert sum(counts) / len(counts) == pytest.approx(report["mean_los_count"])


def test_los_with_explicit_anchors(capsys: pytest.CaptureFixture) -> None:
    report = run_json(
        ["los", "uwb_hall", "--anchors", "1,1,2.5;17,1,2.5;1,7,2.5;17,7,2.5", "--resolution", "1", "--tag-height", "1.2", "--json"],
        capsys,
    )
    assert report["anchors"] == 4 and report["tag_height_m"] == 1.2
    assert report["anchor_positions"][1] == [17.0, 1.0, 2.5]


def test_los_uses_a_projects_anchors_and_settings(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    project = Project(
        scene=SceneRef("uwb_hall"),
        anchors=(Anchor("A1", (1.0, 1.0, 2.5)), Anchor("A2", (17.0, 7.0, 2.5)), Anchor("A3", (9.0, 4.0, 2.5), enabled=False)),
        settings=Settings(tag_height_m=0.8, grid_resolution_m=0.75),
    )
    save_project(project, tmp_path / "p.twinloc")
    report = run_json(["los", str(tmp_path / "p.twinloc"), "--json"], capsys)
    assert report["anchors"] == 2 and report["resolution_m"] == 0.75 and report["tag_height_m"] == 0.8
    assert report["fraction_los_ge_3"] == 0.0
    overridden = run_json(["los", str(tmp_path / "p.twinloc"), "--resolution", "1.0", "--json"], capsys)
    assert overridden["resolution_m"] == 1.0 and overridden["cells"] < report["cells"]


def test_the_default_resolution_adapts_to_the_floor_and_says_so(capsys: pytest.CaptureFixture) -> None:
    """A 600 m x 500 m yard: 300,000 cells at 1 m are over the 250,000-cell budget, 75,000 at 2 m are not."""
    yard = str(Path(__file__).parents[1] / "data" / "yard.json")
    report = run_json(["los", yard, "--json"], capsys)
    assert report["resolution_m"] == 2.0 and report["cells"] == 300 * 250
    assert report["resolution_note"] == "adapted to the 600 m × 500 m floor (at most 250,000 cells)"
    status, out, _err = run(["los", yard], capsys)
    assert status == 0 and "75000 cells at 2 m, adapted to the 600 m × 500 m floor" in out
    chosen = run_json(["los", yard, "--resolution", "5", "--json"], capsys)
    assert chosen["resolution_m"] == 5.0 and chosen["resolution_note"] == ""


def _broken_project(tmp_path: Path) -> str:
    path = tmp_path / "broken.twinloc"
    path.write_text('{"format": "twinloc-project", "version": 1, "scene": {"name": 3}}', encoding="utf-8")
    return str(path)


BAD_INPUTS = {
    "unknown scene": (["scene", "info", "no_such_scene"], "no_such_scene"),
    "unknown verb": (["frobnicate"], "invalid choice"),
    "missing scene": (["los"], "required"),
    "anchors of two": (["los", "uwb_hall", "--anchors", "1,2"], "'1,2' is not x,y,z"),
    "nan anchor": (["los", "uwb_hall", "--anchors", "nan,0,0"], "not a finite number"),
    "text anchor": (["los", "uwb_hall", "--anchors", "a,b,c"], "is not x,y,z"),
    "negative resolution": (["los", "uwb_hall", "--resolution", "-0.1"], "--resolution"),
    "text resolution": (["los", "uwb_hall", "--resolution", "fine"], "'fine' is not a number"),
    "open missing file": (["open", "missing.twinloc"], "missing.twinloc: no such file"),
    "bad out folder": (["los", "uwb_hall", "--resolution", "2", "--out", "/nonexistent/dir/x.csv"], "cannot write"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_and_status_2(case: str, capsys: pytest.CaptureFixture) -> None:
    argv, problem = BAD_INPUTS[case]
    status, out, err = run(argv, capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("twinloc: error: ") and problem in err, err


@pytest.mark.parametrize("verb", [["scene", "info"], ["los"]])
def test_a_broken_project_is_one_line_naming_the_file(verb: list[str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _broken_project(tmp_path)
    status, out, err = run([*verb, path], capsys)
    assert status == 2 and err.count("\n") == 1 and f"{path}: scene.name" in err
    assert Path(path).read_text(encoding="utf-8").startswith('{"format"')


def test_no_verb_starts_the_gui_on_the_default_scene(monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    fake = types.ModuleType("twinloc.gui.app")
    fake.run_gui = lambda source: opened.append(source) or 0
    monkeypatch.setitem(sys.modules, "twinloc.gui.app", fake)
    assert main([]) == 0
    assert main(["open", "uwb_hall"]) == 0
    assert opened == ["uwb_hall", "uwb_hall"]


def test_help_exits_cleanly(capsys: pytest.CaptureFixture) -> None:
    status, out, _ = run(["--help"], capsys)
    assert status == 0 and "los" in out and "scene" in out


def _twinloc(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twinloc", *argv], capture_output=True, text=True, timeout=120)


def test_python_dash_m_runs_batch_verbs_without_qt() -> None:
    script = (
        "import sys, runpy; sys.argv = ['twinloc', 'scene', 'info', 'uwb_hall', '--json'];"
        "\ntry: runpy.run_module('twinloc', run_name='__main__')"
        "\nexcept SystemExit as e: code = e.code"
        "\nqt = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyvista', 'pyvistaqt', 'vtk', 'vtkmodules')]"
        "\nprint(repr(qt), file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "UWB hall"
    assert done.stderr.strip() == "[]"


def test_subprocess_error_has_no_traceback(tmp_path: Path) -> None:
    done = _twinloc("los", "uwb_hall", "--anchors", "nan,0,0")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("twinloc: error: ") and done.stderr.count("\n") == 1
    done = _twinloc("scene", "info", _broken_project(tmp_path), "--json")
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_without_a_display_the_gui_reruns_itself_on_xvfb(monkeypatch: pytest.MonkeyPatch) -> None:
    from twinloc.cli_verbs import gui as gui_verb

    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(gui_verb.sys, "platform", "linux")
    monkeypatch.setattr(gui_verb.sys, "argv", ["twinloc", "open", "uwb_hall"])
    monkeypatch.setattr(gui_verb.shutil, "which", lambda name: "/usr/bin/xvfb-run")
    calls = []
    monkeypatch.setattr(gui_verb.subprocess, "call", lambda command: calls.append(command) or 0)
    assert main(["open", "uwb_hall"]) == 0
    assert calls[0][:2] == ["/usr/bin/xvfb-run", "-a"] and calls[0][-3:] == ["twinloc", "open", "uwb_hall"]

    monkeypatch.setattr(gui_verb.shutil, "which", lambda name: None)
    assert main(["open", "uwb_hall"]) == 1
