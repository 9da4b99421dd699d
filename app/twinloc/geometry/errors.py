"""The error raised for a scene file that cannot be loaded."""

from __future__ import annotations


class SceneError(ValueError):
    """A scene file is malformed or describes impossible geometry.

    The message always names the file and the problem, so it can be shown to the user
    as it is.
    """
