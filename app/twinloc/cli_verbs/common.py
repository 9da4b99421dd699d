"""What the verbs share: the one error type, argument types and their limits, checks of
positions against the scene, opening a workspace, text and JSON output.

Every limit a command-line option has is a constant here or beside the option, listed in
the README's table of limits. Heavy modules (numpy, the geometry package) are imported
inside the functions so that ``twinloc`` without a verb reaches the GUI without paying for
them twice.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twinloc.model.analysis import MAX_SEED

if TYPE_CHECKING:
    from twinloc.cancellation import ProgressFn
    from twinloc.studies import Runner
    from twinloc.workspace import Workspace
    from twinloc.geometry.scene import Scene

#: Seeds of every verb: numpy's legacy generators, scikit-learn and SciPy take no more.

#: Most positions one option or file may list (anchors, base stations).
MAX_POSITIONS = 100

#: How far outside the scene's bounding box a position may lie, metres: a device on the
#: outer face of a wall, or a box drawn without its ceiling. Farther out, a position is a
#: typing mistake (a wrong sign, a lost decimal point), not a place in the scene.
POSITION_MARGIN_M = 1.0

#: A scene lower than LOW_SCENE_M (a ground plane, a reflector plate) has no ceiling: its
#: extent reaches OPEN_SCENE_HEIGHT_M above its bottom, so devices can stand over it.
LOW_SCENE_M = 2.0
OPEN_SCENE_HEIGHT_M = 10.0

#: Positions closer than this are one point, metres.
SAME_POINT_M = 1e-3

#: Most anchor-to-cell links a floor map may trace (cells x anchors): about 200 bytes each,
#: so a map at the limit stays near 500 MB.
MAX_LINKS = 2_000_000


class CliError(Exception):
    """A problem the user can fix; reported as one line. exit_status : 2 for bad arguments or files."""

    def __init__(self, message: str, exit_status: int = 2) -> None:
        super().__init__(message)
        self.exit_status = exit_status


def open_workspace(source: str) -> Workspace:
    """:func:`twinloc.workspace.open_source`, its errors turned into :class:`CliError`."""
    from twinloc.geometry.errors import SceneError
    from twinloc.model.project_file import ProjectFileError
    from twinloc.workspace import open_source

    try:
        return open_source(source)
    except (SceneError, ProjectFileError) as error:
        raise CliError(str(error)) from None


# ------------------------------------------------------------------ argument types


def positions(text: str) -> list[tuple[float, float, float]]:
    """Argument type of ``"x,y,z;x,y,z"`` (metres): a list of 1 to MAX_POSITIONS finite points."""
    return _points(text, "x,y,z", MAX_POSITIONS)


def floor_positions(text: str) -> list[tuple[float, float]]:
    """Argument type of ``"x,y;x,y"`` (metres): finite floor positions; the caller limits their number."""
    return _points(text, "x,y", None)


def _points(text: str, form: str, most: int | None) -> list[tuple]:
    size = form.count(",") + 1
    points = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        try:
            point = tuple(float(c) for c in item.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r} is not {form} ({_NUMBER_WORDS[size]} numbers in metres)") from None
        if len(point) != size:
            raise argparse.ArgumentTypeError(f"{item!r} is not {form} ({_NUMBER_WORDS[size]} numbers in metres)")
        if not all(math.isfinite(c) for c in point):
            raise argparse.ArgumentTypeError(f"{item!r} has a coordinate that is not a finite number")
        points.append(point)
        if most is not None and len(points) > most:
            raise argparse.ArgumentTypeError(f"more than {most} positions")
    if not points:
        raise argparse.ArgumentTypeError(f"no positions given; expected \"{form};{form};...\"")
    return points


_NUMBER_WORDS = {2: "two", 3: "three"}


def one_position(text: str) -> tuple[float, float, float]:
    """Argument type of one ``"x,y,z"`` (metres)."""
    points = positions(text)
    if len(points) != 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not one position x,y,z")
    return points[0]


def number_in(low: float, high: float, unit: str = "m"):
    """Argument type of a finite number in [low, high]."""

    def parse(text: str) -> float:
        value = _finite(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g} {unit} to {high:g} {unit}")
        return value

    parse.__name__ = "number"  # argparse names the type in its messages
    return parse


def height(text: str) -> float:
    """Argument type of a height in metres, any finite number (:func:`check_tag_height` checks
    it against the scene)."""
    return _finite(text)


def count(low: int, high: int):
    """Argument type of a whole number in [low, high]; "1e3" and "2.0" are not whole numbers."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low} to {high}")
        return value

    parse.__name__ = "count"
    return parse


def add_seed_argument(parser: argparse.ArgumentParser, help: str, default: int | None = 0) -> None:
    """``--seed S``, 0 to MAX_SEED, the same in every verb."""
    parser.add_argument("--seed", type=count(0, MAX_SEED), default=default, metavar="S", help=f"{help} (0 to 2**32-1)")


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


# ------------------------------------------------------------------ checks against the scene


def scene_extent(scene: Scene):
    """(2, 3) float64 metres: the box of the scene's objects, widened in x and y to take in
    its regions (a floor outline may reach past the objects drawn), and upward to
    OPEN_SCENE_HEIGHT_M for a scene lower than LOW_SCENE_M."""
    import numpy as np

    box = np.array(scene.bounds, dtype=np.float64)
    outlines = [region.polygon for region in scene.regions]
    if outlines:
        corners = np.vstack(outlines)
        box[0, :2] = np.minimum(box[0, :2], corners.min(axis=0)) if scene.objects else corners.min(axis=0)
        box[1, :2] = np.maximum(box[1, :2], corners.max(axis=0)) if scene.objects else corners.max(axis=0)
    if box[1, 2] - box[0, 2] < LOW_SCENE_M:
        box[1, 2] = box[0, 2] + OPEN_SCENE_HEIGHT_M
    return box


def check_positions(where: str, points, scene: Scene, names=None) -> None:
    """Refuse positions outside the scene's extent (:func:`scene_extent`) grown by POSITION_MARGIN_M.

    where : the option or file the positions come from ("--anchors", "plan.csv").
    points : (N, 3) array_like, metres. names : (N,) names to quote, default: the positions.
    """
    import numpy as np

    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    low, high = scene_extent(scene) + [[-POSITION_MARGIN_M], [POSITION_MARGIN_M]]
    outside = np.flatnonzero(((points < low) | (points > high)).any(axis=1))
    if outside.size:
        index = int(outside[0])
        which = _point_text(points[index]) if names is None else f"{names[index]} {_point_text(points[index])}"
        raise CliError(
            f"{where}: {which} lies outside the scene {scene.name!r}, which spans {_extent_text(scene)}; "
            f"positions may lie at most {POSITION_MARGIN_M:g} m outside it"
        )


def check_tag_height(where: str, height_m: float, scene: Scene) -> None:
    """Refuse a tag height below the scene's lowest or above its highest point."""
    (_, _, bottom), (_, _, top) = scene_extent(scene)
    if not bottom <= height_m <= top:
        raise CliError(f"{where}: {height_m:g} m is outside the scene {scene.name!r}, whose heights span "
                       f"{bottom:g} to {top:g} m")


def check_distinct(where: str, points, names=None) -> None:
    """Refuse two positions of ``points`` (N, 3) metres closer than SAME_POINT_M."""
    import numpy as np

    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    if len(points) < 2:
        return
    distance = np.linalg.norm(points[:, None] - points[None], axis=2)
    first, second = np.nonzero(np.triu(distance < SAME_POINT_M, k=1))
    if first.size:
        i, j = int(first[0]), int(second[0])
        label = (lambda k: f"position {k + 1}") if names is None else (lambda k: str(names[k]))
        raise CliError(f"{where}: {label(i)} and {label(j)} are the same point {_point_text(points[i])}")


def check_anchor_count(where: str, anchors: int, dimensions: int) -> None:
    """Refuse fewer anchors than a fix in ``dimensions`` (2 or 3) needs."""
    from twinloc.uwb.multilateration import minimum_anchors

    need = minimum_anchors(dimensions)
    if anchors < need:
        raise CliError(f"{where}: {anchors} anchor{'s' if anchors != 1 else ''} cannot locate a tag: "
                       f"{dimensions}D fixes need at least {need} anchors")


def check_locatable(where: str, error_map) -> None:
    """Refuse an error map in which no cell has a fix (its numbers would all read 0)."""
    if error_map.degenerate.size and error_map.degenerate.all():
        dimensions = error_map.settings.dimensions
        shape = "on one line" if dimensions == 2 else "in one plane (for example all at one height)"
        raise CliError(f"{where}: no floor cell can be located: every cell has fewer usable anchors than "
                       f"{dimensions}D fixes need, or its anchors lie {shape}")


def check_map_size(where: str, scene: Scene, resolution_m: float, anchors: int) -> None:
    """Refuse a floor map of more than MAX_LINKS anchor-to-cell links, before its grid is built."""
    from twinloc.geometry.grid import grid_shape

    columns, rows = grid_shape(scene, resolution_m)
    links = columns * rows * max(anchors, 1)
    if links > MAX_LINKS:
        coarser = math.ceil(1000 * resolution_m * math.sqrt(links / MAX_LINKS)) / 1000  # in whole millimetres
        raise CliError(
            f"{where}: {columns} x {rows} cells at {resolution_m:g} m with {anchors} anchor(s) make {links:,} "
            f"anchor-to-cell links, more than the {MAX_LINKS:,} a map may have; use --resolution {coarser:g} "
            "or coarser, or fewer anchors"
        )


def _extent_text(scene: Scene) -> str:
    (x0, y0, z0), (x1, y1, z1) = scene_extent(scene)
    return f"x {x0:g} to {x1:g}, y {y0:g} to {y1:g}, z {z0:g} to {z1:g} m"


def _point_text(point) -> str:
    return "(" + ", ".join(f"{float(c):g}" for c in point) + ")"


# ------------------------------------------------------------------ floor-map verbs


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
    add_tag_height_argument(parser)


def add_tag_height_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tag-height", type=height, metavar="M",
        help="tag height in metres, within the scene's heights (default: the project's or scene's)",
    )


def tag_height_of(args: argparse.Namespace, workspace: Workspace) -> float:
    """``--tag-height`` checked against the scene, else the project's or the scene's tag height."""
    if args.tag_height is None:
        return workspace.project.settings.tag_height_or(workspace.scene.tag_height_m)
    check_tag_height("--tag-height", args.tag_height, workspace.scene)
    return args.tag_height


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
    """Open ``args.source`` and settle anchors, resolution and tag height (arguments over project).

    Positions and heights given as options are checked against the scene, and the map's size
    against MAX_LINKS. Without ``--resolution`` or a project's, the resolution adapts to the
    floor area and ``resolution_note`` says so.
    """
    import numpy as np

    from twinloc.geometry.grid import adaptive_resolution_note, grid_resolution

    workspace = open_workspace(args.source)
    project, scene = workspace.project, workspace.scene
    if args.anchors is not None:
        anchors = np.array(args.anchors, dtype=np.float64)
        check_positions("--anchors", anchors, scene)
        check_distinct("--anchors", anchors)
    else:
        anchors = np.array([a.position for a in project.anchors if a.enabled], dtype=np.float64).reshape(-1, 3)
    if len(anchors) == 0:
        raise CliError(f"{args.source}: no enabled anchors; give some with --anchors \"x,y,z;x,y,z\"")
    chosen = args.resolution if args.resolution is not None else project.settings.grid_resolution_m
    resolution = grid_resolution(scene, chosen)
    check_map_size(args.source, scene, resolution, len(anchors))
    return FloorLayout(workspace=workspace, anchors=anchors, resolution_m=resolution,
                       tag_height_m=tag_height_of(args, workspace),
                       resolution_note=adaptive_resolution_note(scene) if chosen is None else "")


def noted(note: str) -> str:
    """``note`` as an aside to append to a line of text (", note"), or "" when there is none."""
    return f", {note}" if note else ""


# ------------------------------------------------------------------ output


def length_text(metres: float | None) -> str:
    """A length as people write it: "1.23 m" from a metre up, "4.5 cm" below, "n/a" for None."""
    if metres is None:
        return "n/a"
    if abs(metres) >= 1.0:
        return f"{metres:.2f} m"
    return f"{100 * metres:.1f} cm"


def print_json(data: Any) -> None:
    """Machine-readable output on stdout.

    JSON has no NaN or infinity; a result holding one (an overflow from inputs of absurd
    magnitude) is refused in one line naming the field instead of printed.
    """
    where = _non_finite_field(data, "")
    if where is not None:
        raise CliError(f"the result's {where or 'value'} is not a finite number; are the inputs' magnitudes sensible?")
    json.dump(data, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def _non_finite_field(data: Any, where: str) -> str | None:
    """The dotted path of the first NaN or infinity in ``data``, or None."""
    if isinstance(data, float):
        return None if math.isfinite(data) else where
    if isinstance(data, dict):
        items = ((f"{where}.{key}" if where else str(key), value) for key, value in data.items())
    elif isinstance(data, (list, tuple)):
        items = ((f"{where}[{index}]", value) for index, value in enumerate(data))
    else:
        return None
    for path, value in items:
        found = _non_finite_field(value, path)
        if found is not None:
            return found
    return None


def check_writable(path: str | None) -> None:
    """Fail before a long computation when ``path``'s folder does not exist."""
    if path and not Path(path).absolute().parent.is_dir():
        raise CliError(f"{path}: cannot write: no such folder")


def save_model(fitted, path: str) -> None:
    """Write the fingerprint model ``fitted`` to ``path``; CliError naming it when that fails."""
    from twinloc.fingerprint.files import save_fingerprint_model

    try:
        save_fingerprint_model(fitted, path)
    except OSError as error:
        raise CliError(f"{path}: cannot write the model: {error.strerror or error}") from None


# ------------------------------------------------------------------ studies


def add_scheduler_argument(parser: argparse.ArgumentParser, default: str = "local", why: str = "") -> None:
    """``--scheduler {local,none,ADDRESS}``: where a study's tasks run (see docs/studies.md);
    ``why`` explains a ``default`` other than local."""
    parser.add_argument("--scheduler", default=default, metavar="{local,none,ADDRESS}",
                        help=f"local: worker processes on this machine, one per core; none: in this process; or a "
                             f"Dask scheduler's address such as tcp://host:8786 (default: {default}{why})")


@contextmanager
def study(args: argparse.Namespace, description: str) -> Iterator[tuple[Runner, ProgressFn]]:
    """The runner of ``args.scheduler`` and a progress function drawing a bar on stderr (none with
    --json, or when stderr is not a terminal).

    The dashboard's address, when the scheduler serves one, is printed above the bar (on a
    terminal only).
    """
    from twinloc.geometry.cache import prepare_study_worker
    from twinloc.studies import open_runner

    try:
        runner = open_runner(args.scheduler, worker_setup=prepare_study_worker)
    except ValueError as error:
        raise CliError(f"--scheduler {args.scheduler}: {error}") from None
    with runner:
        if runner.dashboard_link is not None and not args.json and sys.stderr.isatty():
            print(f"Dask dashboard: {runner.dashboard_link}", file=sys.stderr)
        with _progress_bar(description, shown=not args.json) as progress:
            yield runner, progress


@contextmanager
def _progress_bar(description: str, shown: bool) -> Iterator[ProgressFn]:
    from twinloc.cancellation import report_nothing

    if not shown:
        yield report_nothing
        return
    from tqdm import tqdm

    # Drawn on a terminal only (disable=None), and erased when done (leave=False), so that
    # a refusal found mid-run is still the one line on stderr that scripts read.
    with tqdm(total=1.0, desc=description, file=sys.stderr, disable=None, leave=False,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining} {postfix}") as bar:

        def report(fraction: float, text: str) -> None:
            bar.set_postfix_str(text, refresh=False)
            bar.update(fraction - bar.n)

        yield report
