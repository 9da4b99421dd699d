"""The ``twinloc`` command: the GUI by default, batch verbs beside it.

Each verb group lives in its own module under :mod:`twinloc.cli_verbs` and registers
its sub-parser; add a module to ``VERB_GROUPS`` to add verbs. Batch verbs never import
Qt. A bad argument or file prints exactly one line, ``twinloc: error: ...``, on stderr
and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from collections.abc import Sequence

from twinloc import __version__
from twinloc.cli_verbs import calibration, channel, errormap, fingerprint, gui, learn, los, optimize, radio, rrt, scene, site, ssl
from twinloc.cli_verbs.common import CliError

VERB_GROUPS = (gui, scene, los, errormap, optimize, rrt, radio, channel, learn, fingerprint, ssl, site, calibration)

DEBUG_VARIABLE = "TWINLOC_DEBUG"


#: An argument that starts with "-" and a digit (or "-." and a digit) is a value, never an
#: option: "-3,1,1.5", "-4,-4,2;4,4,2" and "-1e3" as well as argparse's own "-3" and "-0.5".
_NEGATIVE_VALUE = re.compile(r"^-\.?\d.*$", re.DOTALL)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, reported by :func:`main` like any other.

    argparse takes "-3,1,1.5" for an unknown option (it only recognises plain negative
    numbers), so ``--tx -3,1,1.5`` would fail with "expected one argument". Every parser of
    the command, sub-parsers included (they are built with this class), treats any argument
    that starts like a negative number as a value instead. No option name of the command
    starts with "-" and a digit, so nothing is lost.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE

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
        with warnings.catch_warnings():
            if not os.environ.get(DEBUG_VARIABLE):
                # numpy's overflow and invalid-value notes would print before the one-line
                # error that explains them, or litter a successful run's output.
                warnings.simplefilter("ignore", RuntimeWarning)
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
