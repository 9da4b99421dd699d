"""Autosave and crash recovery.

Each running TwinLoc writes a session marker ``session-<pid>.json`` when it starts and
removes it on a clean exit; its autosave snapshot (``autosave-<pid>.twinloc`` plus
``autosave-<pid>.json`` metadata) sits beside it. A marker whose process is gone
means that session crashed; if it left a snapshot, the next TwinLoc offers it for
recovery. Files are per process id, so several TwinLoc windows never overwrite each
other's snapshots.

Nothing found in the folder can stop TwinLoc from starting: a marker whose name is not a
process id any system can have is removed, a snapshot that is not a regular file is not
offered, and metadata that cannot be read are ignored.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import platformdirs

from twinloc.model.atomic import write_text_atomic
from twinloc.model.input_files import checked_input_file, read_input_text
from twinloc.model.processes import MAX_PID, process_alive
from twinloc.model.project import Project
from twinloc.model.project_file import PROJECT_FILE_LIMIT_BYTES, load_project, save_project

DATA_DIR_VARIABLE = "TWINLOC_DATA_DIR"

#: Largest snapshot metadata file read (it holds a path and a time).
METADATA_LIMIT_BYTES = 64 * 1024

_MARKER_NAME = re.compile(r"session-(?P<pid>[0-9]+)\.json")


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
        """Mark this process as running; forget dead sessions that left nothing to recover.

        Raises
        ------
        OSError
            The folder cannot be created or the marker cannot be written (autosave cannot work).
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        for pid in self._marked_pids():
            if pid != self.pid and not process_alive(pid) and not self._has_snapshot(pid):
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
            if pid == self.pid or process_alive(pid) or not self._has_snapshot(pid):
                continue
            metadata = self._read_metadata(pid)
            original, saved = metadata.get("original_path"), metadata.get("saved")
            candidates.append(
                RecoveryCandidate(
                    pid=pid,
                    autosave_path=self._snapshot(pid),
                    original_path=Path(original) if _is_text(original) else None,
                    saved=saved if _is_text(saved) else "",
                )
            )
        return max(candidates, key=lambda c: c.saved, default=None)

    def discard(self, candidate: RecoveryCandidate | None = None) -> None:
        """Forget ``candidate`` (recovered or declined); None forgets every crashed session's files."""
        if candidate is not None:
            self._remove(candidate.pid)
            return
        for pid in self._marked_pids():
            if pid != self.pid and not process_alive(pid):
                self._remove(pid)

    def _marked_pids(self) -> list[int]:
        """Process ids of the markers; a marker no process can have written is removed."""
        pids = []
        for marker in self.directory.glob("session-*.json"):
            match = _MARKER_NAME.fullmatch(marker.name)
            if match is None:
                continue
            digits = match["pid"]
            # 255 digits at most (a file name): int() cannot fail.
            if digits.startswith("0") or int(digits) > MAX_PID:
                _unlink(marker)
                continue
            pids.append(int(digits))
        return sorted(pids)

    def _has_snapshot(self, pid: int) -> bool:
        """Whether ``pid`` left a snapshot that may be offered: a regular file of a project's size."""
        try:
            checked_input_file(self._snapshot(pid), PROJECT_FILE_LIMIT_BYTES)
        except OSError:
            return False
        return True

    def _read_metadata(self, pid: int) -> dict:
        # A snapshot whose metadata is missing or damaged is still worth offering.
        try:
            metadata = json.loads(read_input_text(self._metadata(pid), METADATA_LIMIT_BYTES))
        except (OSError, ValueError, RecursionError):
            return {}
        return metadata if isinstance(metadata, dict) else {}

    def _remove(self, pid: int) -> None:
        for path in (self._snapshot(pid), self._metadata(pid), self._marker(pid)):
            _unlink(path)

    def _marker(self, pid: int) -> Path:
        return self.directory / f"session-{pid}.json"

    def _snapshot(self, pid: int) -> Path:
        return self.directory / f"autosave-{pid}.twinloc"

    def _metadata(self, pid: int) -> Path:
        return self.directory / f"autosave-{pid}.json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _is_text(value: object) -> bool:
    """A short string: what metadata fields shown to the user must be."""
    return isinstance(value, str) and 0 < len(value) <= 4096


def _unlink(path: Path) -> None:
    """Remove ``path`` if it is a file or link; anything else (a folder) is left for the user."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
