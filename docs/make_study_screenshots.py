"""Regenerate the calibration and anchor-count screenshots of the user guide:
``xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_study_screenshots.py``.

Runs the real window on "uwb_hall". In the Calibration dock it measures the SIMULATED site,
fits every material with the NLOS bias and writes docs/images/calibration_dock.png (the fitted
against preset table and the residuals per anchor). In the Optimize tab it asks "How many
anchors?" for 3 to 6 anchors with a target p90 of 1.4 m (population 40, 30 iterations, seed 3,
in this process), picks the point of the fewest anchors that meet it and writes
docs/images/plan_count.png (the curve, and that layout's ghosts and error map on the floor).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import open_window, save, settle, wait_for_los, wait_until  # noqa: E402


def calibration_shot(app, window) -> None:
    window.floor.action("los").setChecked(False)
    window.floor.action("error_map").setChecked(False)
    dock, controller = window.feature("calibration").dock, window.feature("calibration").controller
    window.feature("anchors").dock.hide()  # the Calibration dock gets the whole right column
    dock.raise_()
    window.resizeDocks([dock], [520], Qt.Orientation.Horizontal)
    settle(app, 500)
    dock.simulate_site()
    wait_until(app, lambda: controller.measurements is not None, 300.0)
    dock.nlos_bias_check.setChecked(True)
    ended = []
    controller.calibrationEnded.connect(ended.append)
    dock.calibrate()
    wait_until(app, lambda: bool(ended), 600.0)
    print(ended[0], dock.biases_label.text())
    scroll = dock.widget()
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    window.viewport.view_top()
    settle(app, 600)
    save(window, "calibration_dock.png")


def count_shot(app, window) -> None:
    for dock in window.findChildren(QDockWidget):  # the Optimize tab gets the whole right column
        if dock not in (window.feature("scene").dock, window.feature("anchors").dock):
            dock.hide()
    window.feature("anchors").dock.show()
    window.resizeDocks([window.feature("anchors").dock], [470], Qt.Orientation.Horizontal)
    tabs = window.feature("anchors").dock.widget()
    tabs.setCurrentIndex(tabs.count() - 1)
    window.floor.action("error_map").setChecked(True)
    wait_for_los(window)

    section = window.feature("layout").sections[0].widget
    part = section.count_part
    section.population.setValue(40)
    section.iterations.setValue(30)
    section.seed.setValue(3)
    section.min_distance.setValue(2.0)
    part.fewest.setValue(3)
    part.most.setValue(6)
    part.target.setValue(1.4)
    part.scheduler.setCurrentText("This process")
    ended = []
    part.controller.runEnded.connect(ended.append)
    part.run_button.click()
    wait_until(app, lambda: bool(ended), 600.0)
    print(ended[0], part.status.text(), [(p.anchor_count, p.p90_error_m) for p in part.controller.study.plans])
    tabs.currentWidget().ensureWidgetVisible(part.accept_button)
    settle(app, 300)
    part.plot.countClicked.emit(part.controller.study.smallest_count)  # what a click on its point emits
    print(part.status.text())
    window.viewport.view_top()
    settle(app, 600)
    save(window, "plan_count.png")


def main() -> int:
    app, window = open_window("uwb_hall", 1520, 940)
    calibration_shot(app, window)
    count_shot(app, window)
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
