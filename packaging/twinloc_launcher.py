"""Entry script for the PyInstaller bundle: the same `twinloc` command as the installed one."""

import sys

from twinloc.cli import main

if __name__ == "__main__":
    sys.exit(main())
