"""Atomic replacement of a file: readers and crashes see the old content or the new, never half.

The new content is written to a hidden temporary file ``.NAME.PID.RANDOM.tmp`` beside the
target (PID: the writing process). A writer killed mid-save leaves that file behind; the next
save of NAME, or the next time a project file is opened, removes it once it is stale (see
:func:`remove_stale_temp_files`).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from twinloc.model.processes import process_alive

_NEW_FILE_MODE = 0o644

#: A temporary file whose writer may still run (its process id is alive, or unknown) is removed
#: only after this long without a change: longer than any save takes, so no live save loses it.
STALE_TEMP_SECONDS = 10 * 60

# What follows ".NAME." in a temporary file's name: "PID.RANDOM.tmp", or "RANDOM.tmp" as TwinLoc
# wrote before it recorded the writer (RANDOM is tempfile's: lower-case letters, digits, "_").
_TEMP_TAIL = re.compile(r"(?:(?P<pid>[0-9]+)\.)?[a-z0-9_]+\.tmp")


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically and durably (see :func:`write_atomic`)."""
    write_atomic(path, lambda stream: stream.write(text.encode("utf-8")))


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Replace ``path`` with what ``write(stream)`` writes to a binary stream, atomically and durably.

    The content goes to a temporary file in the same folder (so that the rename stays on
    one file system), is flushed and fsynced, renamed over ``path`` with ``os.replace``,
    and the folder is fsynced so that the rename itself survives a power cut. If
    anything fails, the temporary file is removed and ``path`` is untouched. Temporary files
    that earlier, killed saves of ``path`` left are removed first.

    Raises
    ------
    OSError
        When the folder is not writable, the disk is full, ...
    """
    path = Path(path)
    folder = _folder_of(path)
    remove_stale_temp_files(path)
    descriptor, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private (0600); keep the mode the file had, or a normal one.
        os.chmod(temp_name, _mode_of(path))
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def remove_stale_temp_files(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that interrupted saves of ``path`` left beside it.

    A temporary file of ``path`` is stale when the process that wrote it no longer runs, or
    when it has not changed for :data:`STALE_TEMP_SECONDS`. Temporary files of other files in
    the folder, and anything that is not a regular file, are never touched; a file that cannot
    be removed (read-only folder) is left as it is.

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    prefix = f".{path.name}."
    removed: list[Path] = []
    try:
        entries = [entry for entry in os.scandir(_folder_of(path)) if entry.name.startswith(prefix)]
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        tail = _TEMP_TAIL.fullmatch(entry.name[len(prefix):])
        if tail is None:
            continue
        try:
            status = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(status.st_mode):
                continue
            writer_gone = tail["pid"] is not None and not process_alive(int(tail["pid"]))
            if writer_gone or now - status.st_mtime > STALE_TEMP_SECONDS:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return _NEW_FILE_MODE


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder for fsync; NTFS journals the rename
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
