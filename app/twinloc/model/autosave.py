"""Autosave and crash recovery.

Each running TwinLoc writes a session marker ``session-<pid>.json`` when it starts and
removes it on a clean exit; its autosave snapshot (``autosave-<pid>.twinloc`` plus
``autosave-<pid>.json`` metadata) sits beside it. A marker whose process is gone
means that session crashed; if it left a snapshot, the next TwinLoc offers it for
recovery. Files are per process id, so several TwinLoc windows never overwrite each
other's snapshots.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import platformdirs

from twinloc.model.atomic import write_text_atomic
from twinloc.model.project import Project
from twinloc.model.project_file import load_project, save_project

DATA_DIR_VARIABLE = "TWINLOC_DATA_DIR"


def default_autosave_dir() -> Path:
    """``$TWINLOC_DATA_DIR/autosave`` when that variable is set (tests), else the user data folder's."""
    override = os.environ.get(DATA_DIR_VARIABLE)
    base = Path(override) if override else Path(platformdirs.user_data_dir("TwinLoc", appauthor=False))
    return base / "autosave"


@dataclass(frozen=True)
class RecoveryCandidate:
    """The autosave snapshot of a session that did not exit cleanly.

    original_path : the project file the user was editing (None: never saved).
    saved : ISO 8601 UTC time of the snapshot.
    """

    pid: int
    autosave_path: Path
    original_path: Path | None
    saved: str

    def load(self) -> Project:
        """The snapshot's project. Raises ProjectFileError when the snapshot is damaged."""
        return load_project(self.autosave_path)


class AutosaveStore:
    """The autosave folder seen from one running TwinLoc (this process).

    Parameters
    ----------
    directory : path or None, default: None
        Where markers and snapshots live; None uses :func:`default_autosave_dir`.
    """

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_autosave_dir()
        self.pid = os.getpid()

    def start_session(self) -> None:
        """Mark this process as running; forget dead sessions that left nothing to recover."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for pid in self._marked_pids():
            if pid != self.pid and not _process_alive(pid) and not self._snapshot(pid).exists():
                self._remove(pid)
        marker = {"pid": self.pid, "started": _now()}
        write_text_atomic(self._marker(self.pid), json.dumps(marker) + "\n")

    def write(self, project: Project, project_path: str | os.PathLike | None) -> None:
        """Snapshot ``project`` (being edited as ``project_path``, None when never saved)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        save_project(project, self._snapshot(self.pid))
        original = None if project_path is None else str(Path(project_path).absolute())
        metadata = {"pid": self.pid, "original_path": original, "saved": _now()}
        write_text_atomic(self._metadata(self.pid), json.dumps(metadata) + "\n")

    def end_session(self) -> None:
        """Clean exit: remove this process's marker and snapshot."""
        self._remove(self.pid)

    def recoverable(self) -> RecoveryCandidate | None:
        """The newest snapshot left by a crashed session (marker present, process gone), if any."""
        candidates = []
        for pid in self._marked_pids():
            if pid == self.pid or _process_alive(pid) or not self._snapshot(pid).exists():
                continue
            metadata = self._read_metadata(pid)
            original = metadata.get("original_path")
            candidates.append(
                RecoveryCandidate(
                    pid=pid,
                    autosave_path=self._snapshot(pid),
                    original_path=Path(original) if isinstance(original, str) else None,
                    saved=str(metadata.get("saved", "")),
                )
            )
        return max(candidates, key=lambda c: c.saved, default=None)

    def discard(self, candidate: RecoveryCandidate | None = None) -> None:
        """Forget ``candidate`` (recovered or declined); None forgets every crashed session's files."""
        if candidate is not None:
            self._remove(candidate.pid)
            return
        for pid in self._marked_pids():
            if pid != self.pid and not _process_alive(pid):
                self._remove(pid)

    def _marked_pids(self) -> list[int]:
        pids = []
        for marker in self.directory.glob("session-*.json"):
            suffix = marker.stem.removeprefix("session-")
            if suffix.isdigit():
                pids.append(int(suffix))
        return sorted(pids)

    def _read_metadata(self, pid: int) -> dict:
        # A snapshot whose metadata is missing or damaged is still worth offering.
        try:
            metadata = json.loads(self._metadata(pid).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return metadata if isinstance(metadata, dict) else {}

    def _remove(self, pid: int) -> None:
        for path in (self._snapshot(pid), self._metadata(pid), self._marker(pid)):
            path.unlink(missing_ok=True)

    def _marker(self, pid: int) -> Path:
        return self.directory / f"session-{pid}.json"

    def _snapshot(self, pid: int) -> Path:
        return self.directory / f"autosave-{pid}.twinloc"

    def _metadata(self, pid: int) -> Path:
        return self.directory / f"autosave-{pid}.json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _process_alive(pid: int) -> bool:
    """Whether a process with this id runs. A reused id reads as alive: no recovery is offered then."""
    if os.name == "nt":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _windows_process_alive(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows; ask the kernel instead.
    import ctypes

    query_limited_information, still_active = 0x1000, 259
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return ctypes.get_last_error() == 5  # access denied: it exists
    try:
        exit_code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(exit_code))
        return exit_code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
