"""Autosave snapshots, crash detection by session marker, clean exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from twinloc.model.autosave import AutosaveStore, default_autosave_dir
from twinloc.model.devices import Anchor
from twinloc.model.project import Project, SceneRef


@pytest.fixture
def project() -> Project:
    return Project(scene=SceneRef("uwb_hall"), anchors=(Anchor("A1", (1.0, 2.0, 2.5)),))


@pytest.fixture
def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(child.stdout)


def crashed_store(directory: Path, pid: int) -> AutosaveStore:
    """A store that pretends to be the process ``pid``, which then died without end_session."""
    store = AutosaveStore(directory)
    store.pid = pid
    return store


def test_default_directory_follows_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINLOC_DATA_DIR", str(tmp_path))
    assert default_autosave_dir() == tmp_path / "autosave"
    assert AutosaveStore().directory == tmp_path / "autosave"


def test_a_crashed_session_is_offered_for_recovery(tmp_path: Path, project: Project, dead_pid: int) -> None:
    crashed = crashed_store(tmp_path, dead_pid)
    crashed.start_session()
    crashed.write(project, tmp_path / "work" / "mine.twinloc")

    store = AutosaveStore(tmp_path)
    store.start_session()
    candidate = store.recoverable()
    assert candidate is not None
    assert candidate.pid == dead_pid
    assert candidate.original_path == tmp_path / "work" / "mine.twinloc"
    assert candidate.load() == project

    store.discard(candidate)
    assert store.recoverable() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"session-{os.getpid()}.json"]


def test_a_clean_exit_leaves_nothing_to_recover(tmp_path: Path, project: Project) -> None:
    store = AutosaveStore(tmp_path)
    store.start_session()
    store.write(project, None)
    store.end_session()
    assert list(tmp_path.iterdir()) == []
    assert AutosaveStore(tmp_path).recoverable() is None


def test_a_running_instance_is_not_recovered_nor_clobbered(tmp_path: Path, project: Project) -> None:
    # Our own parent process stands in for another live TwinLoc.
    other = crashed_store(tmp_path, os.getppid())
    other.start_session()
    other.write(project, None)

    store = AutosaveStore(tmp_path)
    store.start_session()
    store.write(project.with_anchors(()), None)
    assert store.recoverable() is None
    assert other._snapshot(other.pid).exists() and store._snapshot(store.pid).exists()
    store.discard()
    assert other._snapshot(other.pid).exists()


def test_a_dead_session_without_snapshot_is_forgotten_at_start(tmp_path: Path, dead_pid: int) -> None:
    crashed_store(tmp_path, dead_pid).start_session()
    store = AutosaveStore(tmp_path)
    assert store.recoverable() is None
    store.start_session()
    assert not (tmp_path / f"session-{dead_pid}.json").exists()


def test_a_snapshot_without_metadata_is_still_recoverable(tmp_path: Path, project: Project, dead_pid: int) -> None:
    crashed = crashed_store(tmp_path, dead_pid)
    crashed.start_session()
    crashed.write(project, None)
    (tmp_path / f"autosave-{dead_pid}.json").write_text("{broken", encoding="utf-8")
    candidate = AutosaveStore(tmp_path).recoverable()
    assert candidate is not None and candidate.original_path is None
    assert candidate.load() == project


def test_marker_records_pid_and_start_time(tmp_path: Path) -> None:
    store = AutosaveStore(tmp_path)
    store.start_session()
    marker = json.loads((tmp_path / f"session-{os.getpid()}.json").read_text(encoding="utf-8"))
    assert marker["pid"] == os.getpid() and marker["started"].endswith("+00:00")


@pytest.mark.parametrize(
    "marker",
    [
        "session-99999999999999999999.json",  # beyond any pid_t: os.kill would raise OverflowError
        "session-2147483648.json",  # 2**31, one past the largest process id
        "session-0.json",  # 0 signals the whole process group, so it would read as alive
        "session-007.json",  # not how TwinLoc writes an id
    ],
)
def test_a_marker_no_process_can_have_written_is_removed_at_start(tmp_path: Path, marker: str) -> None:
    (tmp_path / marker).write_text("{}", encoding="utf-8")
    store = AutosaveStore(tmp_path)
    store.start_session()
    assert store.recoverable() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"session-{os.getpid()}.json"]


def test_files_of_the_wrong_kind_never_stop_start_up(tmp_path: Path, dead_pid: int) -> None:
    # A dead session whose "snapshot" is a pipe (opening it would block) and whose marker of
    # another dead session is a folder (unlink fails); a marker named in other digits.
    os.mkfifo(tmp_path / f"autosave-{dead_pid}.twinloc")
    (tmp_path / f"session-{dead_pid}.json").write_text("{}", encoding="utf-8")
    (tmp_path / f"session-{dead_pid + 1}.json").mkdir()
    (tmp_path / "session-\u0661\u0662.json").write_text("{}", encoding="utf-8")  # Arabic-Indic "12"
    store = AutosaveStore(tmp_path)
    store.start_session()
    assert store.recoverable() is None
    store.end_session()
    # The dead session's files are gone; the folder and the foreign name are left as they were.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"session-{dead_pid + 1}.json", "session-\u0661\u0662.json"])


def test_metadata_of_the_wrong_types_still_offers_the_snapshot(tmp_path: Path, project: Project, dead_pid: int) -> None:
    crashed = crashed_store(tmp_path, dead_pid)
    crashed.start_session()
    crashed.write(project, None)
    (tmp_path / f"autosave-{dead_pid}.json").write_text(
        json.dumps({"original_path": ["not", "a", "path"], "saved": 12}), encoding="utf-8"
    )
    candidate = AutosaveStore(tmp_path).recoverable()
    assert candidate is not None and candidate.original_path is None and candidate.saved == ""
    assert candidate.load() == project


def test_an_unwritable_folder_is_an_os_error_for_the_window_to_report(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(OSError):
        AutosaveStore(blocker / "autosave").start_session()
