"""Start-up loads no heavy library before it is needed: building and showing the main window
imports neither torch, scikit-learn, SciPy, trimesh nor matplotlib's Qt canvas.

pyvista imports matplotlib's core (and its Agg backend) itself, so a bare pyvistaqt window pays
for those too; what TwinLoc adds on top is checked here. The window is built as ``run_gui``
builds it, its compute lanes held until it has been shown: the first maps' jobs then load
the ray engine's compiled loops (Numba, which imports SciPy). Run in a fresh process, since the test
session has imported everything already.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui

HEAVY = ("torch", "sklearn", "scipy", "trimesh", "networkx", "matplotlib.backends.backend_qtagg")

BUILD_AND_SHOW = """
import sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
from twinloc.gui.main_window import MainWindow
from twinloc.gui.tasks import default_lanes
from twinloc.model.autosave import AutosaveStore
from twinloc.workspace import open_source

folder = sys.argv[1]
lanes = default_lanes()
for pool in lanes.values():
    pool.hold()
window = MainWindow(open_source("uwb_hall"), settings=QSettings(folder + "/settings.ini", QSettings.Format.IniFormat),
                    autosave=AutosaveStore(folder + "/autosave"), lanes=lanes)
window.show()
app.processEvents()
print(" ".join(name for name in sys.argv[2:] if name in sys.modules) or "none")
window.document.undo_stack.setClean()
window.close()
"""


def test_building_and_showing_the_main_window_imports_no_heavy_library(tmp_path):
    result = subprocess.run([sys.executable, "-c", BUILD_AND_SHOW, str(tmp_path), *HEAVY],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["none"]


def test_the_check_would_see_a_heavy_import(tmp_path):
    """The same script reports a library once something has imported it (here: the trainer, torch)."""
    script = BUILD_AND_SHOW.replace("window.show()", "import twinloc.learn.trainer\nwindow.show()")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path), *HEAVY], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "torch" in result.stdout.split()
