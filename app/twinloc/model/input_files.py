"""Reading a user's file safely: only regular files, never more than a stated size.

Every loader of a file a user names (scenes, projects, surveys, checkpoints, datasets)
reads through here, so a FIFO named ``scene.json`` cannot hang the program and a
multi-gigabyte file is refused before it is read. The error is an :class:`OSError`,
which the loaders already turn into their one-line message naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIB = 1024 * 1024


class InputFileError(OSError):
    """The path is not a regular file, or is larger than the loader accepts.

    ``str(error)`` is the plain reason, without the path (loaders prefix the path);
    ``filename`` is the path, as for any OSError.
    """

    def __init__(self, reason: str, path: str | os.PathLike | None = None) -> None:
        super().__init__(reason)
        self.strerror = reason
        self.filename = None if path is None else os.fspath(path)

    def __str__(self) -> str:
        return self.strerror


def checked_input_file(path: str | os.PathLike, limit_bytes: int) -> Path:
    """``path`` as a Path, after checking it is a regular file of at most ``limit_bytes``.

    Raises
    ------
    FileNotFoundError
        Nothing exists at ``path``.
    InputFileError
        ``path`` is a folder, a FIFO, a device or a socket, it is larger than
        ``limit_bytes``, or it holds a NUL character.
    """
    path = Path(path)
    try:
        status = path.stat()  # follows links; raises FileNotFoundError
    except ValueError:  # no file name can hold a NUL character
        raise InputFileError("is not a file name (it holds a NUL character)", path) from None
    if stat.S_ISDIR(status.st_mode):
        raise InputFileError("is a folder, not a file", path)
    if not stat.S_ISREG(status.st_mode):
        raise InputFileError("is not a regular file (a pipe, device or socket cannot be opened)", path)
    if status.st_size > limit_bytes:
        raise InputFileError(
            f"is {status.st_size / MIB:,.1f} MiB, larger than the {limit_bytes / MIB:,.0f} MiB this file type may have",
            path,
        )
    return path


def read_input_bytes(path: str | os.PathLike, limit_bytes: int) -> bytes:
    """The content of a regular file of at most ``limit_bytes`` (see :func:`checked_input_file`)."""
    path = checked_input_file(path, limit_bytes)
    with path.open("rb") as stream:
        # Read one byte past the limit: the file may have grown since stat().
        content = stream.read(limit_bytes + 1)
    if len(content) > limit_bytes:
        raise InputFileError(f"is larger than the {limit_bytes / MIB:,.0f} MiB this file type may have", path)
    return content


def read_input_text(path: str | os.PathLike, limit_bytes: int) -> str:
    """UTF-8 text of a regular file of at most ``limit_bytes``.

    Raises
    ------
    FileNotFoundError, InputFileError
        As :func:`read_input_bytes`.
    UnicodeDecodeError
        The content is not UTF-8.
    """
    return read_input_bytes(path, limit_bytes).decode("utf-8")
