"""What the verbs share: the one error type, argument types, opening a workspace, JSON output.

Heavy modules (numpy, the geometry package) are imported inside the functions so that
``twinloc`` without a verb reaches the GUI without paying for them twice.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
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
