"""Start-up time: launching ``twinloc`` until its main window is shown and rendered.

Baseline, in the same run: a bare Qt main window holding a pyvistaqt interactor with one
cube (the cost of Python + Qt + VTK that no TwinLoc code can avoid). Both are measured as
the wall time of a fresh process that exits as soon as its window has been rendered.
Needs a display: under no DISPLAY it runs itself through ``xvfb-run``.

TwinLoc's modules are byte-compiled first, as ``pip install`` does for an installed copy
and had done for every library the baseline imports; an editable checkout under
``PYTHONDONTWRITEBYTECODE`` would otherwise recompile about 130 modules (0.14 s) per start.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import twinloc

REPEATS = 9

BASELINE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import pyvista
from pyvistaqt import QtInteractor
app = QApplication(sys.argv)
window = QMainWindow()
plotter = QtInteractor(window)
window.setCentralWidget(plotter.interactor)
plotter.add_mesh(pyvista.Cube())
window.resize(1400, 900)
window.show()
def done():
    plotter.render()
    app.processEvents()
    plotter.close()
    app.quit()
QTimer.singleShot(0, done)
app.exec()
"""


def _command(args: list[str]) -> list[str]:
    if os.environ.get("DISPLAY"):
        return args
    return [shutil.which("xvfb-run") or "xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *args]


def _time_process(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(_command(args), env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def run() -> dict:
    env = {**os.environ, "TWINLOC_QUIT_WHEN_SHOWN": "1"}
    package_dir = Path(twinloc.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package_dir)], check=True)
    baseline, started = [], []
    for _ in range(REPEATS):  # interleaved, so a slow spell of the machine hits both alike
        baseline.append(_time_process([sys.executable, "-c", BASELINE], env))
        started.append(_time_process([sys.executable, "-m", "twinloc"], env))
    baseline_s = statistics.median(baseline)
    twinloc_s = statistics.median(started)
    return {
        "what": f"process start to main window shown and rendered (uwb_hall, default anchors), median of {REPEATS}",
        "baseline": "bare QMainWindow + pyvistaqt QtInteractor + one cube, same measurement",
        "twinloc_startup_s": round(twinloc_s, 3),
        "baseline_startup_s": round(baseline_s, 3),
        "ratio_vs_baseline": round(twinloc_s / baseline_s, 2),
        "samples_s": {"twinloc": [round(s, 3) for s in started], "baseline": [round(s, 3) for s in baseline]},
    }
