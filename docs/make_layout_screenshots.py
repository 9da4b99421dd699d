"""Regenerate the layout-optimization screenshots of the user guide:
``xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_layout_screenshots.py``.

Runs the real window on "uwb_hall", optimizes 4 anchors through the Optimize tab (population
20, 15 iterations, seed 3), previews the best layout and writes docs/images/layout_panel.png
(panel, convergence plot, ghost layout and its map) and docs/images/layout_before_after.png
(the Compare dialog: current and optimized maps on one colour scale).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import IMAGES, open_window, save, settle, wait_for_los, wait_until  # noqa: E402


def main() -> int:
    app, window = open_window("uwb_hall", 1520, 940)
    from PySide6.QtWidgets import QDockWidget

    for dock in window.findChildren(QDockWidget):  # the Optimize tab gets the whole right column
        if dock not in (window.feature("scene").dock, window.feature("anchors").dock):
            dock.hide()
    window.resizeDocks([window.feature("anchors").dock], [470], Qt.Orientation.Horizontal)
    tabs = window.feature("anchors").dock.widget()
    tabs.setCurrentIndex(tabs.count() - 1)
    wait_for_los(window)

    panel = window.feature("layout").sections[0].widget
    panel.anchor_count.setValue(4)
    panel.population.setValue(20)
    panel.iterations.setValue(15)
    panel.seed.setValue(3)
    panel.min_distance.setValue(2.0)
    ended = []
    window.feature("layout").controller.runEnded.connect(ended.append)
    panel.run_button.click()
    wait_until(app, lambda: bool(ended), timeout_s=600.0)
    panel.results.selectRow(0)
    window.viewport.view_top()
    settle(app, 600)
    scroll = tabs.currentWidget()
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    settle(app, 300)
    save(window, "layout_panel.png")

    panel.compare_button.click()
    dialog = panel.compare_dialog
    QTest.qWaitForWindowExposed(dialog)
    settle(app, 500)
    IMAGES.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(IMAGES / "layout_before_after.png"))
    print("wrote", IMAGES / "layout_before_after.png")
    dialog.close()
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
