"""Fixtures of the CLI tests: running ``twinloc`` in-process and a small scene file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from twinloc.cli import main

CliRun = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture) -> CliRun:
    """``cli(argv) -> (exit status, stdout, stderr)`` of ``twinloc argv`` run in this process."""

    def run(argv: list[str]) -> tuple[int, str, str]:
        status = main(argv)
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def room_scene(tmp_path: Path) -> str:
    """A 4 m x 2 m room with one brick wall across x = 2 from y = 0 to 1, no mounting regions."""
    descriptor = {
        "format": "twinloc-scene", "version": 1, "name": "test room", "units": "m",
        "materials": {"brick": {"preset": "brick"}},
        "objects": [{"name": "wall", "kind": "surface", "material": "brick",
                     "primitive": {"type": "wall", "start": [2.0, 0.0], "end": [2.0, 1.0], "height": 3.0}}],
        "regions": [{"name": "floor", "type": "evaluation", "polygon": [[0, 0], [4, 0], [4, 2], [0, 2]]}],
        "tag_height_m": 1.0,
    }
    path = tmp_path / "room.json"
    path.write_text(json.dumps(descriptor))
    return str(path)
