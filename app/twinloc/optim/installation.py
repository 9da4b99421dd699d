"""The loop with the site: installation sheets out, as-built positions back in.

An installation sheet lists each planned anchor (name, x, y, z in metres, mounting region)
as CSV for tools and as a printable HTML page with a top view of the scene (walls, columns,
anchors) drawn by matplotlib's Agg backend (no Qt). An as-built CSV of the same columns
(name,x_m,y_m,z_m) gives the positions actually installed; :func:`deviations` pairs them with
the plan by name.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinloc.geometry.scene import ObjectKind, Scene
from twinloc.model.devices import MAX_COORDINATE_M
from twinloc.model.input_files import MIB, read_input_text

#: Largest installation sheet or as-built file read, bytes, and most anchors it may list.
SHEET_LIMIT_BYTES = MIB
MAX_SHEET_ANCHORS = 1000


@dataclass(frozen=True)
class PlannedAnchor:
    """One anchor of a sheet: position (x, y, z) metres and the region it is mounted on."""

    name: str
    position: tuple[float, float, float]
    surface: str = ""


def planned_anchors(positions, surfaces=None, prefix: str = "A") -> list[PlannedAnchor]:
    """Name anchors A1, A2, ... for a layout (N, 3) metres with optional surface names (N,)."""
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    surfaces = list(surfaces) if surfaces is not None else [""] * len(positions)
    return [PlannedAnchor(f"{prefix}{i + 1}", tuple(float(c) for c in p), s) for i, (p, s) in enumerate(zip(positions, surfaces))]


def write_sheet_csv(anchors: list[PlannedAnchor], path) -> None:
    """``name,x_m,y_m,z_m,surface``, one row per anchor, millimetre precision."""
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["name", "x_m", "y_m", "z_m", "surface"])
        for anchor in anchors:
            writer.writerow([anchor.name, *(f"{c:.3f}" for c in anchor.position), anchor.surface])


def write_sheet_html(anchors: list[PlannedAnchor], scene: Scene, path, title: str | None = None) -> None:
    """A printable page: a table of the anchors and an embedded top-view PNG."""
    picture = base64.b64encode(top_view_png(scene, anchors)).decode("ascii")
    rows = "\n".join(
        f"<tr><td>{html.escape(a.name)}</td>"
        + "".join(f"<td>{c:.3f}</td>" for c in a.position)
        + f"<td>{html.escape(a.surface)}</td></tr>"
        for a in anchors
    )
    heading = html.escape(title or f"Anchor installation sheet: {scene.name}")
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{heading}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #888;padding:4px 10px;text-align:right}} td:first-child,td:last-child{{text-align:left}}
img{{max-width:100%;margin-top:1em}}</style></head>
<body><h1>{heading}</h1>
<p>Coordinates in metres in the scene's frame (z up, floor at z = 0).</p>
<table><tr><th>name</th><th>x (m)</th><th>y (m)</th><th>z (m)</th><th>mounting surface</th></tr>
{rows}
</table>
<img alt="top view" src="data:image/png;base64,{picture}">
</body></html>
"""
    Path(path).write_text(page, encoding="utf-8")


def top_view_png(scene: Scene, anchors: list[PlannedAnchor]) -> bytes:
    """PNG bytes of the scene from above: surfaces as lines, solids as filled outlines, anchors labelled."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for obj in scene.objects:
        low, high = obj.bounds
        if obj.kind is ObjectKind.SOLID:
            axes.fill([low[0], high[0], high[0], low[0]], [low[1], low[1], high[1], high[1]], color="#999999")
        elif np.ptp(obj.vertices[:, 2]) > 1e-6:  # vertical surfaces are walls; floors and ceilings are left out
            axes.plot([low[0], high[0]], [low[1], high[1]], color="#444444", linewidth=2)
    for anchor in anchors:
        x, y, _ = anchor.position
        axes.plot(x, y, marker="^", color="#1f5fbf", markersize=10)
        axes.annotate(anchor.name, (x, y), textcoords="offset points", xytext=(6, 6))
    axes.set_aspect("equal")
    axes.set_xlabel("x (m)")
    axes.set_ylabel("y (m)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def read_as_built_csv(path) -> dict[str, tuple[float, float, float]]:
    """Installed positions by anchor name from a CSV with columns name,x_m,y_m,z_m (others ignored).

    The file is read through :mod:`twinloc.model.input_files`: a regular file of at most
    SHEET_LIMIT_BYTES with at most MAX_SHEET_ANCHORS rows.

    Raises
    ------
    ValueError
        The file cannot be read, is not UTF-8 CSV, misses a column, has a non-numeric or
        non-finite coordinate or one beyond MAX_COORDINATE_M, a name given twice or too many
        rows; the message names the file, and the line where there is one.
    """
    try:
        text = read_input_text(path, SHEET_LIMIT_BYTES)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (UTF-8 expected)") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    positions: dict[str, tuple[float, float, float]] = {}
    try:
        header = [cell.strip() for cell in next(reader, [])]
        missing = {"name", "x_m", "y_m", "z_m"} - set(header)
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        columns = [header.index(key) for key in ("name", "x_m", "y_m", "z_m")]
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            try:
                name, *coordinates = (row[column] for column in columns)
                point = tuple(float(c) for c in coordinates)
            except (IndexError, ValueError):
                raise ValueError(f"{path}, line {line}: coordinates must be numbers") from None
            if not all(math.isfinite(c) for c in point):
                raise ValueError(f"{path}, line {line}: coordinates must be finite")
            if any(abs(c) > MAX_COORDINATE_M for c in point):
                raise ValueError(f"{path}, line {line}: a coordinate beyond ±{MAX_COORDINATE_M:,.0f} m is not a position in a building")
            name = name.strip()
            if name in positions:
                raise ValueError(f"{path}, line {line}: anchor {name!r} is listed twice")
            if len(positions) == MAX_SHEET_ANCHORS:
                raise ValueError(f"{path}, line {line}: more than {MAX_SHEET_ANCHORS} anchors")
            positions[name] = point
    except csv.Error as error:  # a field over csv.field_size_limit(), a NUL byte, a stray quote
        raise ValueError(f"{path}, line {reader.line_num}: unreadable CSV: {error}") from None
    return positions


def deviations(planned: list[PlannedAnchor], as_built: dict[str, tuple[float, float, float]]) -> list[dict]:
    """Per planned anchor: its as-built position and the deviation from plan, metres.

    Returns dicts with name, planned, as_built (None when not reported), dx_m, dy_m, dz_m and
    distance_m (None when not reported).
    """
    rows = []
    for anchor in planned:
        built = as_built.get(anchor.name)
        if built is None:
            rows.append({"name": anchor.name, "planned": anchor.position, "as_built": None, "dx_m": None, "dy_m": None, "dz_m": None, "distance_m": None})
            continue
        delta = np.subtract(built, anchor.position)
        rows.append(
            {
                "name": anchor.name,
                "planned": anchor.position,
                "as_built": built,
                "dx_m": float(delta[0]),
                "dy_m": float(delta[1]),
                "dz_m": float(delta[2]),
                "distance_m": float(np.linalg.norm(delta)),
            }
        )
    return rows
