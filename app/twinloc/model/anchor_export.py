"""Writing a project's anchors for other tools: CSV for spreadsheets, JSON for scripts."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from twinloc.model.atomic import write_text_atomic
from twinloc.model.devices import Anchor

CSV_HEADER = ("name", "x_m", "y_m", "z_m", "enabled")


def anchors_to_csv(anchors: tuple[Anchor, ...]) -> str:
    """One row per anchor: ``name,x_m,y_m,z_m,enabled`` (metres, scene coordinates)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for anchor in anchors:
        writer.writerow([anchor.name, *(f"{c:.4f}" for c in anchor.position), str(anchor.enabled).lower()])
    return buffer.getvalue()


def anchors_to_json(anchors: tuple[Anchor, ...], scene_name: str) -> str:
    """``{"scene": ..., "units": "m", "anchors": [{"name", "position": [x, y, z], "enabled"}]}``."""
    document = {
        "scene": scene_name,
        "units": "m",
        "anchors": [{"name": a.name, "position": list(a.position), "enabled": a.enabled} for a in anchors],
    }
    return json.dumps(document, indent=2) + "\n"


def write_anchors(anchors: tuple[Anchor, ...], scene_name: str, path: str | os.PathLike) -> None:
    """Write ``anchors`` to ``path`` as JSON when it ends in ``.json``, else as CSV (atomically)."""
    path = Path(path)
    text = anchors_to_json(anchors, scene_name) if path.suffix.lower() == ".json" else anchors_to_csv(anchors)
    write_text_atomic(path, text)
