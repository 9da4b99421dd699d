"""``twinloc`` (no verb) and ``twinloc open FILE``: start the GUI."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from twinloc.cli_verbs.common import CliError

DEFAULT_SCENE = "uwb_hall"


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("open", help="open a project or a scene in the GUI")
    parser.add_argument("source", metavar="FILE", help="a .twinloc project, a scene file or a shipped scene's name")
    parser.set_defaults(run=run_open)


def run_default(args: argparse.Namespace) -> int:
    return _launch(DEFAULT_SCENE)


def run_open(args: argparse.Namespace) -> int:
    if not Path(args.source).exists():
        from twinloc.geometry.loaders import SHIPPED_SCENES

        if args.source not in SHIPPED_SCENES:
            raise CliError(f"{args.source}: no such file or shipped scene (shipped: {', '.join(SHIPPED_SCENES)})")
    return _launch(args.source)


def _launch(source: str) -> int:
    if _needs_virtual_display():
        return _relaunch_on_virtual_display()
    # Imported here: batch verbs must never load Qt.
    try:
        from twinloc.gui.app import run_gui
    except ImportError as error:
        raise CliError(f"cannot start the GUI: {error}", exit_status=1) from None
    return run_gui(source)


def _needs_virtual_display() -> bool:
    """On Linux with no X or Wayland display (a server, CI), Qt cannot open a window."""
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    )


def _relaunch_on_virtual_display() -> int:
    """Run the same command again under xvfb-run, so a machine without a screen still starts it."""
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        raise CliError("no display to open a window on (DISPLAY is not set) and xvfb-run is not installed", exit_status=1)
    print("twinloc: no display found; running on a virtual X display (Xvfb)", file=sys.stderr)
    command = [xvfb_run, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m", "twinloc", *sys.argv[1:]]
    return subprocess.call(command)
