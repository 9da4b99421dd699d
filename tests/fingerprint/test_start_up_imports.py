"""Start-up does not pay for torch or scikit-learn: the fingerprint modules load them on first use."""

import subprocess
import sys

MODULES = ["twinloc.fingerprint.models", "twinloc.fingerprint.grid_search", "twinloc.fingerprint.evaluation",
           "twinloc.fingerprint.heatmap", "twinloc.fingerprint.files", "twinloc.fingerprint.experiment",
           "twinloc.fingerprint.twin", "twinloc.fingerprint.ssl", "twinloc.compute.fingerprint_jobs", "twinloc.cli"]


def test_fingerprint_modules_import_neither_torch_nor_scikit_learn():
    code = (f"import sys\nfor name in {MODULES!r}: __import__(name)\n"
            "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
