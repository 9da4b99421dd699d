"""The error raised for a scene file that cannot be loaded, and reading the files scenes come from."""

from __future__ import annotations

from pathlib import Path

from twinloc.model.input_files import read_input_bytes

#: Longest message kept: a value quoted from a hostile file can be any length.
MAX_MESSAGE_CHARS = 1000


class SceneError(ValueError):
    """A scene file is malformed or describes impossible geometry.

    The message always names the file and the problem, so it can be shown to the user
    as it is: one line (line breaks of quoted text become spaces), cut to
    ``MAX_MESSAGE_CHARS`` characters.
    """

    def __init__(self, message: str) -> None:
        message = " ".join(str(message).splitlines())
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 3] + "..."
        super().__init__(message)


def read_scene_input(path: Path, limit_bytes: int, where: str, what: str) -> bytes:
    """The content of a file a scene is read from (see ``twinloc.model.input_files``).

    Raises
    ------
    SceneError
        ``"{where}: {what} not found"``, or ``"{where}: cannot read {what} (reason)"`` for a
        folder, a pipe, a file over ``limit_bytes`` or an unreadable one.
    """
    try:
        return read_input_bytes(path, limit_bytes)
    except FileNotFoundError:
        raise SceneError(f"{where}: {what} not found") from None
    except OSError as error:
        raise SceneError(f"{where}: cannot read {what} ({error})") from None
