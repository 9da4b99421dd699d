"""A scene whose floor has no cell: the map verbs say why and what to do, in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHELL = {
    "format": "twinloc-scene",
    "version": 1,
    "objects": [
        {
            "name": "shell",
            "kind": "solid",
            "material": "metal",
            "primitive": {"type": "box", "size": [10, 10, 5]},
            "transform": {"translation": [0, 0, 2.5]},
        }
    ],
}


@pytest.mark.parametrize("verb", ["los", "errormap"])
def test_a_room_given_as_one_solid_is_explained(verb, tmp_path: Path, cli) -> None:
    path = tmp_path / "shell.json"
    path.write_text(json.dumps(SHELL))
    status, out, err = cli([verb, str(path), "--anchors=-4,-4,2;4,-4,2;4,4,2", "--resolution", "0.5"])
    assert status == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"twinloc: error: {path}: no floor cell: every cell at tag height 1 m lies inside a solid ('shell')")
    assert "declare its walls, floor and ceiling as surfaces" in err
