"""Where the shipped resources and scenes live, in a source checkout, an install or a bundle."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _candidate_roots() -> list[Path]:
    """Folders that may hold ``resources/`` and ``scenes/``, most specific first.

    - a PyInstaller bundle: its unpack folder;
    - a source checkout or an editable install: the repository root (``app/twinloc/..``);
    - a wheel install: ``share/twinloc`` under the install prefix, where pyproject's
      ``data-files`` put them. The prefix is found from the package's own location
      (``PREFIX/lib/pythonX.Y/site-packages/twinloc`` on POSIX, ``PREFIX/Lib/site-packages``
      on Windows), so ``--prefix`` and ``--user`` installs work too, then from sysconfig.
    """
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller
    roots = [Path(bundle)] if bundle else []
    roots.append(_PACKAGE.parents[1])
    roots += [_PACKAGE.parents[depth] / "share" / "twinloc" for depth in (3, 2)]
    roots.append(Path(sysconfig.get_path("data")) / "share" / "twinloc")
    return roots


def _root() -> Path:
    for root in _candidate_roots():
        if (root / "scenes").is_dir() and (root / "resources").is_dir():
            return root
    searched = ", ".join(str(root) for root in _candidate_roots())
    raise FileNotFoundError(f"TwinLoc's shipped scenes and resources are missing (looked in {searched}); reinstall TwinLoc")


def resources_dir() -> Path:
    return _root() / "resources"


def scenes_dir() -> Path:
    return _root() / "scenes"
