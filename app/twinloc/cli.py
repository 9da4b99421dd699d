"""The ``twinloc`` command: the GUI by default, batch verbs beside it.

Each verb group lives in its own module under :mod:`twinloc.cli_verbs` and registers
its sub-parser; add a module to ``VERB_GROUPS`` to add verbs. Batch verbs never import
Qt. A bad argument or file prints exactly one line, ``twinloc: error: ...``, on stderr
and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from twinloc import __version__
from twinloc.cli_verbs import errormap, gui, learn, los, optimize, rrt, scene
from twinloc.cli_verbs.common import CliError

VERB_GROUPS = (gui, scene, los, errormap, optimize, rrt, learn)

DEBUG_VARIABLE = "TWINLOC_DEBUG"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, reported by :func:`main` like any other."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(message)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command; sub-parsers set ``run(args) -> int``."""
    parser = _Parser(
        prog="twinloc",
        description="TwinLoc, a digital twin for indoor wireless positioning. Without a verb: open the GUI.",
    )
    parser.add_argument("--version", action="version", version=f"twinloc {__version__}")
    parser.set_defaults(run=gui.run_default)
    verbs = parser.add_subparsers(title="verbs", metavar="VERB")
    for group in VERB_GROUPS:
        group.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except CliError as error:
        _print_error(str(error))
        return error.exit_status
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``twinloc ... | head``); silence the flush at exit too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        _print_error(f"internal error: {type(error).__name__}: {error} (set {DEBUG_VARIABLE}=1 for details)")
        return 1


def _print_error(message: str) -> None:
    print(f"twinloc: error: {' '.join(message.splitlines())}", file=sys.stderr)
