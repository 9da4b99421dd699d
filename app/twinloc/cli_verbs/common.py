"""What the verbs share: the one error type, argument types, opening a workspace, JSON output.

Heavy modules (numpy, the geometry package) are imported inside the functions so that
``twinloc`` without a verb reaches the GUI without paying for them twice.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twinloc.compute.workspace import Workspace


class CliError(Exception):
    """A problem the user can fix; reported as one line. exit_status : 2 for bad arguments or files."""

    def __init__(self, message: str, exit_status: int = 2) -> None:
        super().__init__(message)
        self.exit_status = exit_status


def open_workspace(source: str) -> Workspace:
    """:func:`twinloc.compute.workspace.open_source`, its errors turned into :class:`CliError`."""
    from twinloc.compute.workspace import open_source
    from twinloc.geometry.errors import SceneError
    from twinloc.model.project_file import ProjectFileError

    try:
        return open_source(source)
    except (SceneError, ProjectFileError) as error:
        raise CliError(str(error)) from None


def positions(text: str) -> list[tuple[float, float, float]]:
    """Argument type of ``"x,y,z;x,y,z"`` (metres): a list of finite points."""
    points = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        try:
            point = tuple(float(c) for c in item.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r} is not x,y,z (three numbers in metres)") from None
        if len(point) != 3:
            raise argparse.ArgumentTypeError(f"{item!r} is not x,y,z (three numbers in metres)")
        if not all(math.isfinite(c) for c in point):
            raise argparse.ArgumentTypeError(f"{item!r} has a coordinate that is not a finite number")
        points.append(point)
    if not points:
        raise argparse.ArgumentTypeError("no positions given; expected \"x,y,z;x,y,z;...\"")
    return points


def number_in(low: float, high: float, unit: str = "m"):
    """Argument type of a finite number in [low, high]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g} {unit} to {high:g} {unit}")
        return value

    parse.__name__ = "number"  # argparse names the type in its messages
    return parse


def print_json(data: Any) -> None:
    """Machine-readable output on stdout; NaN never appears (it is not JSON)."""
    json.dump(data, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def add_layout_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENE, --anchors, --resolution and --tag-height: what every floor-map verb takes."""
    parser.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    parser.add_argument(
        "--anchors",
        type=positions,
        metavar="X,Y,Z;...",
        help="anchor positions in metres (default: the project's enabled anchors, or the scene's)",
    )
    parser.add_argument(
        "--resolution",
        type=number_in(0.01, 5.0),
        metavar="M",
        help="grid cell size in metres (default: the project's, else adapted to the floor area: 0.1 m for a room)",
    )
    parser.add_argument(
        "--tag-height", type=number_in(0.0, 100.0), metavar="M", help="tag height in metres (default: the project's or scene's)"
    )


@dataclass(frozen=True)
class FloorLayout:
    """A workspace with the anchors, cell size and tag height a floor-map verb runs on.

    anchors : (A, 3) float64, metres.
    resolution_note : how the adaptive cell size was chosen; "" when the option or the project set it.
    """

    workspace: Workspace
    anchors: Any
    resolution_m: float
    tag_height_m: float
    resolution_note: str = ""


def resolve_layout(args: argparse.Namespace) -> FloorLayout:
    """Open ``args.source`` and settle anchors, resolution and tag height (arguments over project)."""
    import numpy as np

    from twinloc.geometry.grid import adaptive_resolution_note, grid_resolution

    workspace = open_workspace(args.source)
    project, scene = workspace.project, workspace.scene
    if args.anchors is not None:
        anchors = np.array(args.anchors, dtype=np.float64)
    else:
        anchors = np.array([a.position for a in project.anchors if a.enabled], dtype=np.float64).reshape(-1, 3)
    if len(anchors) == 0:
        raise CliError(f"{args.source}: no enabled anchors; give some with --anchors \"x,y,z;x,y,z\"")
    chosen = args.resolution if args.resolution is not None else project.settings.grid_resolution_m
    resolution = grid_resolution(scene, chosen)
    note = adaptive_resolution_note(scene) if chosen is None else ""
    tag_height = args.tag_height
    if tag_height is None:
        tag_height = project.settings.tag_height_or(scene.tag_height_m)
    return FloorLayout(
        workspace=workspace, anchors=anchors, resolution_m=resolution, tag_height_m=tag_height, resolution_note=note
    )


def noted(note: str) -> str:
    """``note`` as an aside to append to a line of text (", note"), or "" when there is none."""
    return f", {note}" if note else ""


def check_writable(path: str | None) -> None:
    """Fail before a long computation when ``path``'s folder does not exist."""
    if path and not Path(path).absolute().parent.is_dir():
        raise CliError(f"{path}: cannot write: no such folder")
