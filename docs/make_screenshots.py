"""Regenerate the user guide's screenshots: ``xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_screenshots.py``.

Runs the real window on the shipped "uwb_hall" scene with throw-away settings and autosave
folders, and writes docs/images/{main_window,los_overlay,place_anchor}.png.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtGui import QImage, QPainter
from PySide6.QtTest import QTest

IMAGES = Path(__file__).resolve().parent / "images"


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="twinloc-shots-"))
    os.environ["TWINLOC_DATA_DIR"] = str(scratch / "data")
    # Imported after TWINLOC_DATA_DIR is set; _application applies the shipped stylesheet.
    from twinloc.compute.workspace import open_source
    from twinloc.gui.app import _application
    from twinloc.gui.main_window import MainWindow
    from twinloc.model.autosave import AutosaveStore

    app = _application()
    window = MainWindow(
        open_source("uwb_hall"),
        settings=QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat),
        autosave=AutosaveStore(scratch / "autosave"),
    )
    window.resize(1480, 900)
    window.move(20, 20)
    window.show()
    QTest.qWaitForWindowExposed(window)
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
    window.anchors_dock.add_button.click()
    name = window.document.project.anchors[-1].name
    window.document.move_anchor(name, (13.0, 6.5, window.document.project.settings.mounting_height_m))
    wait_for_los(window)
    point = window.viewport.world_to_widget((9.2, 4.2, 0.0))
    QTest.mouseMove(window.viewport.plotter, point)
    settle(app, 400)
    save(window, "place_anchor.png")

    window.document.undo_stack.setClean()
    window.close()
    return 0


def wait_for_los(window, timeout_ms: int = 30000) -> None:
    waited = 0
    QTest.qWait(50)
    while not (window.runner.is_idle and window.viewport.overlay_values() is not None) and waited < timeout_ms:
        QTest.qWait(50)
        waited += 50


def settle(app, ms: int = 300) -> None:
    QTest.qWait(ms)
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
