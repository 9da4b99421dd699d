"""Temporary files of interrupted saves: named after their writer, removed once stale."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from twinloc.model import atomic
from twinloc.model.devices import Anchor
from twinloc.model.project import Project, SceneRef
from twinloc.model.project_file import load_project, save_project

# A child that starts saving PATH and is killed (SIGKILL: no clean-up runs) halfway through.
_KILLED_SAVE = """
import os, signal, sys
from twinloc.model.atomic import write_atomic

def write(stream):
    stream.write(b'{"half": ')
    stream.flush()
    os.kill(os.getpid(), signal.SIGKILL)

write_atomic(sys.argv[1], write)
"""


def _project() -> Project:
    return Project(scene=SceneRef("uwb_hall"), anchors=(Anchor("A1", (1.0, 2.0, 2.5)),))


def _killed_save(path: Path) -> int:
    """Run a save of ``path`` that is killed mid-write; the dead writer's process id."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(path)], env=env, check=False)
    assert child.returncode == -signal.SIGKILL
    return int(next(path.parent.glob(f".{path.name}.*.tmp")).name.split(".")[-3])


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_killed_save_leaves_a_temp_file_that_the_next_save_removes(tmp_path: Path) -> None:
    path = tmp_path / "a.twinloc"
    save_project(_project(), path)
    writer = _killed_save(path)
    leftovers = [name for name in _names(tmp_path) if name != "a.twinloc"]
    assert len(leftovers) == 1 and leftovers[0].startswith(f".a.twinloc.{writer}.") and leftovers[0].endswith(".tmp")
    assert load_project(path) == _project()  # the project itself is whole

    save_project(_project().with_anchors(()), path)
    assert _names(tmp_path) == ["a.twinloc"]


def test_opening_a_project_removes_its_stale_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "a.twinloc"
    save_project(_project(), path)
    _killed_save(path)
    assert load_project(path) == _project()
    assert _names(tmp_path) == ["a.twinloc"]


def test_only_stale_temp_files_of_the_same_file_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "a.twinloc"
    path.write_text("{}", encoding="utf-8")
    dead = _killed_save(tmp_path / "b.twinloc")  # a dead writer's id, used in the names below
    fresh = {
        f".a.twinloc.{os.getpid()}.abcd1234.tmp": "kept: its writer (this process) runs",
        f".a.twinloc.x.{dead}.abcd1234.tmp": "kept: a temp file of 'a.twinloc.x'",
        f".a.twinloc.{dead}.ab.cd.tmp": "kept: not a name TwinLoc writes",
        "a.twinloc.tmp": "kept: not hidden, not a temp file",
        ".a.twinloc.abcd1234.tmp": "kept: no writer recorded and recent",
        f".a.twinloc.{dead}.abcd1234.tmp": "removed: its writer is gone",
        ".a.twinloc.99999999999999999999.abcd1234.tmp": "removed: no process has that id",
    }
    for name in fresh:
        (tmp_path / name).write_text("partial", encoding="utf-8")
    (tmp_path / f".a.twinloc.{dead}.folder.tmp").mkdir()  # kept: not a regular file
    old = tmp_path / ".a.twinloc.old12345.tmp"  # no writer recorded, untouched for 11 minutes
    old.write_text("partial", encoding="utf-8")
    eleven_minutes_ago = time.time() - 11 * 60
    os.utime(old, (eleven_minutes_ago, eleven_minutes_ago))

    removed = atomic.remove_stale_temp_files(path)

    expected_removed = {name for name, why in fresh.items() if why.startswith("removed")} | {old.name}
    assert {p.name for p in removed} == expected_removed
    for name in fresh:
        assert (tmp_path / name).exists() == (name not in expected_removed), name
    assert (tmp_path / f".a.twinloc.{dead}.folder.tmp").is_dir()
    assert len(list(tmp_path.glob(f".b.twinloc.{dead}.*.tmp"))) == 1  # another file's leftover
