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


@pytest.fixture
def negative_room(tmp_path: Path) -> str:
    """A closed 6 m x 4 m x 3 m concrete room at negative coordinates: x -6..0, y -4..0,
    floor at z = -1, ceiling at z = 2; the floor as evaluation region and wall bands at
    z = 1.5 along y = 0 and y = -4 as mounting regions."""
    walls = [((-6, -4), (0, -4)), ((0, -4), (0, 0)), ((0, 0), (-6, 0)), ((-6, 0), (-6, -4))]
    objects = [{"name": f"wall {k}", "kind": "surface", "material": "concrete",
                "primitive": {"type": "wall", "start": list(a), "end": list(b), "height": 3.0, "base_z": -1.0}}
               for k, (a, b) in enumerate(walls)]
    for name, z in (("floor", -1.0), ("ceiling", 2.0)):
        objects.append({"name": name, "kind": "surface", "material": "concrete",
                        "primitive": {"type": "plane", "size": [6.0, 4.0]}, "transform": {"translation": [-3.0, -2.0, z]}})
    descriptor = {
        "format": "twinloc-scene", "version": 1, "name": "negative room", "units": "m",
        "materials": {"concrete": {"preset": "concrete"}}, "objects": objects,
        "regions": [
            {"name": "floor", "type": "evaluation", "polygon": [[-6, -4], [0, -4], [0, 0], [-6, 0]]},
            {"name": "north band", "type": "mounting", "polyline": [[-6, 0], [0, 0]], "z_range_m": [1.5, 1.5]},
            {"name": "south band", "type": "mounting", "polyline": [[-6, -4], [0, -4]], "z_range_m": [1.5, 1.5]},
        ],
        "tag_height_m": 0.5,
    }
    path = tmp_path / "negative_room.json"
    path.write_text(json.dumps(descriptor))
    return str(path)
