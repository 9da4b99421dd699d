"""Regenerate the user guide's screenshots: ``xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_screenshots.py``.

Runs the real window on the shipped "uwb_hall" scene with throw-away settings and autosave
folders, and writes docs/images/{main_window,los_overlay,place_anchor}.png and the error-map
pictures docs/images/{error_map,error_vectors,survey_plan,measured_vs_predicted}.png. The
measured points of the last one are simulated (noisy fixes from the twin itself, with a
stronger NLOS bias standing in for the real site) and written to
docs/data/simulated-measured-uwb_hall.csv.
"""

from __future__ import annotations

import os
import sys
import time
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication
from PySide6.QtTest import QTest

IMAGES = Path(__file__).resolve().parent / "images"
DATA = Path(__file__).resolve().parent / "data"
#: Where the simulated survey measured, metres (uwb_hall), and how many fixes per point.
SIMULATED_POINTS = [(x, y) for x in (2.0, 5.5, 9.0, 12.5, 16.0) for y in (1.8, 4.2, 6.6)]
SIMULATED_FIXES = 20


def open_window(source: str, width: int, height: int):
    """(app, window): a shown MainWindow on ``source``, ``width`` x ``height`` pixels, whose
    settings, autosave and data folders lie in a scratch folder (the user's stay untouched)."""
    scratch = Path(tempfile.mkdtemp(prefix="twinloc-shots-"))
    os.environ["TWINLOC_DATA_DIR"] = str(scratch / "data")
    # Imported after TWINLOC_DATA_DIR is set; _application applies the shipped stylesheet.
    from twinloc.workspace import open_source
    from twinloc.gui.app import _application
    from twinloc.gui.main_window import MainWindow
    from twinloc.model.autosave import AutosaveStore

    app = _application()
    window = MainWindow(
        open_source(source),
        settings=QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat),
        autosave=AutosaveStore(scratch / "autosave"),
    )
    window.resize(width, height)
    window.move(20, 20)
    window.show()
    QTest.qWaitForWindowExposed(window)
    return app, window


def main() -> int:
    app, window = open_window("uwb_hall", 1480, 900)
    wait_for_los(window)
    window.viewport.view_iso()
    settle(app)
    save(window, "main_window.png")

    window.viewport.view_top()
    window.document.set_selection([window.document.project.anchors[1].name])
    wait_for_los(window)
    settle(app)
    save(window, "los_overlay.png")

    window.action_place.trigger()
    window.feature("anchors").dock.add_button.click()
    name = window.document.project.anchors[-1].name
    window.document.move_anchor(name, (13.0, 6.5, window.document.project.settings.mounting_height_m))
    wait_for_los(window)
    point = window.viewport.world_to_widget((9.2, 4.2, 0.0))
    QTest.mouseMove(window.viewport.plotter, point)
    settle(app, 400)
    save(window, "place_anchor.png")

    window.action_place.trigger()
    window.document.undo_stack.undo()  # back to the three anchors of the paper's hall
    window.document.undo_stack.undo()
    window.document.undo_stack.clear()
    error_map_shots(app, window)

    window.document.undo_stack.setClean()
    window.close()
    return 0


def error_map_shots(app, window) -> None:
    """The Error Map dock's display modes on uwb_hall with its three anchors."""
    dock = window.feature("error_map").dock
    window.floor.action("error_map").setChecked(True)
    window.viewport.view_top()
    wait_for_error_map(window)
    point = window.viewport.world_to_widget((6.2, 4.6, 0.0))
    QTest.mouseMove(window.viewport.plotter, point)
    settle(app, 500)
    save(window, "error_map.png")

    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("vectors"))
    settle(app)
    save(window, "error_vectors.png")

    dock.resolution.setValue(0.4)
    dock.survey_error.setValue(1.0)
    dock.survey_change.setValue(2.0)
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("survey"))
    wait_for_error_map(window)
    settle(app)
    save(window, "survey_plan.png")

    dock.resolution.setValue(0.1)
    wait_for_error_map(window)
    measured = write_simulated_measurements(window)
    window.feature("error_map").controller.load_measured(measured)
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("measured"))
    settle(app)
    save(window, "measured_vs_predicted.png")


def write_simulated_measurements(window) -> Path:
    """Noisy fixes at :data:`SIMULATED_POINTS` from the twin with a 5 cm stronger NLOS bias (a stand-in
    for a real site); wide CSV layout ``true_x,true_y,x1,y1,...``."""
    from dataclasses import replace

    from twinloc.geometry.ray_engine import RayEngine
    from twinloc.uwb.multilateration import locate
    from twinloc.uwb.ranging import noisy_ranges, trace_links

    scene, project = window.document.scene, window.document.project
    anchors = np.array([a.position for a in project.anchors if a.enabled])
    tag_height = project.settings.tag_height_m if project.settings.tag_height_m is not None else scene.tag_height_m
    points = np.array([(x, y, tag_height) for x, y in SIMULATED_POINTS])
    links = trace_links(RayEngine(scene), scene, anchors, points)
    site = replace(project.error_map.ranging, nlos_mean_m=project.error_map.ranging.nlos_mean_m + 0.05)
    ranges = noisy_ranges(links, site, SIMULATED_FIXES, np.random.default_rng(4))
    fixes = np.empty((SIMULATED_FIXES, len(points), 2))
    for draw in range(SIMULATED_FIXES):
        fixes[draw] = locate(anchors, ranges[draw], links.usable, tag_height_m=points[:, 2]).position[:, :2]
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "simulated-measured-uwb_hall.csv"
    header = ["true_x", "true_y"] + [f"{axis}{i + 1}" for i in range(SIMULATED_FIXES) for axis in ("x", "y")]
    rows = [",".join(header)]
    for index, (x, y, _z) in enumerate(points):
        rows.append(",".join([f"{x:.2f}", f"{y:.2f}", *(f"{v:.4f}" for v in fixes[:, index].ravel())]))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def wait_until(app, ready, timeout_s: float = 30.0) -> None:
    """Process events until ``ready()``. Not QTest.qWait: PySide's keeps the GIL while it
    waits, which starves the compute threads (an evaluation runs ~50 times slower)."""
    started = time.monotonic()
    while not ready() and time.monotonic() - started < timeout_s:
        app.processEvents()
        time.sleep(0.02)


def wait_for_error_map(window) -> None:
    wait_until(QApplication.instance(), lambda: window.runner.is_idle and window.feature("error_map").controller.error_map is not None)


def wait_for_los(window) -> None:
    wait_until(QApplication.instance(), lambda: window.runner.is_idle and window.viewport.floor_map_values() is not None)


def settle(app, ms: int = 300) -> None:
    """Process events for ``ms``. Not QTest.qWait: PySide's keeps the GIL while it waits,
    which starves the compute threads."""
    deadline = time.monotonic() + ms / 1000.0
    wait_until(app, lambda: time.monotonic() >= deadline)
    app.processEvents()


def save(window, name: str) -> None:
    """Grab the window and paint the rendered 3D view over the GL area (grab() leaves it blank)."""
    image = window.grab().toImage()
    render = np.ascontiguousarray(window.viewport.screenshot())
    height, width, _ = render.shape
    view = QImage(render.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    ratio = window.devicePixelRatioF()
    origin = window.viewport.plotter.mapTo(window, QPoint(0, 0))
    painter = QPainter(image)
    target = window.viewport.plotter.rect().translated(origin)
    painter.drawImage(target, view.scaled(round(target.width() * ratio), round(target.height() * ratio)))
    painter.end()
    IMAGES.mkdir(parents=True, exist_ok=True)
    image.save(str(IMAGES / name))
    print("wrote", IMAGES / name, image.width(), "x", image.height())


if __name__ == "__main__":
    sys.exit(main())
