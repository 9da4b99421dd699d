"""Where the shipped resources and scenes live, in a source checkout, an install or a bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def _root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parents[2]


def resources_dir() -> Path:
    return _root() / "resources"


def scenes_dir() -> Path:
    return _root() / "scenes"
