"""The error raised for a scene file that cannot be loaded."""

from __future__ import annotations

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
