"""``python -m twinloc``: the same as the ``twinloc`` command."""

import sys

from twinloc.cli import main

sys.exit(main())
