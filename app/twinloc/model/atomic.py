"""Atomic replacement of a file: readers and crashes see the old content or the new, never half."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_NEW_FILE_MODE = 0o644


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically and durably (see :func:`write_atomic`)."""
    write_atomic(path, lambda stream: stream.write(text.encode("utf-8")))


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Replace ``path`` with what ``write(stream)`` writes to a binary stream, atomically and durably.

    The content goes to a temporary file in the same folder (so that the rename stays on
    one file system), is flushed and fsynced, renamed over ``path`` with ``os.replace``,
    and the folder is fsynced so that the rename itself survives a power cut. If
    anything fails, the temporary file is removed and ``path`` is untouched.

    Raises
    ------
    OSError
        When the folder is not writable, the disk is full, ...
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    descriptor, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
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
