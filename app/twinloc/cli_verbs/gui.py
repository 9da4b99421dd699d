"""``twinloc`` (no verb) and ``twinloc open FILE``: start the GUI."""

from __future__ import annotations

import argparse
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
    # Imported here: batch verbs must never load Qt.
    try:
        from twinloc.gui.app import run_gui
    except ImportError as error:
        raise CliError(f"cannot start the GUI: {error}", exit_status=1) from None
    return run_gui(source)
