"""Regenerate the fingerprinting screenshots of the user guide:
``xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_fingerprint_screenshots.py``.

Runs the real window on the shipped "wifi_hall" scene (18 access points at 2.4 GHz, 20 dBm):
the radio map at 0.5 m with reflections to depth 2, a reference-point plan of Area 1 (four
outer markers, two inner loops, 0.9 m spacing), a virtual survey of the plan (10 samples per
RP, 4 dB shadowing, 2 dB noise), a kNN and then an MLP (the seed's settings) trained on the
twin only. Writes
docs/images/fingerprint_radio_plan.png (the window: the Fingerprinting dock and the RSS of
AP01 with the plan over it), fingerprint_dock.png (the dock's sections after both runs, unscrolled) and
fingerprint_heat_map.png (the kNN's RMSE heat map).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import IMAGES, open_window, save, settle, wait_until  # noqa: E402

AREA_1_MARKERS = [(2.0, 2.5), (10.0, 2.5), (10.0, 9.5), (2.0, 9.5)]


def main() -> int:
    app, window = open_window("wifi_hall", 1560, 980)
    dock, controller = window.feature("fingerprint").dock, window.feature("fingerprint").controller
    dock.raise_()
    window.viewport.view_top()
    settle(app, 500)

    dock.radio_section.resolution.setValue(0.5)
    dock.radio_section.compute_button.click()
    wait_until(app, lambda: window.runner.is_idle and controller.radio.radio_map is not None, 300.0)
    dock.plan_section.loops.setValue(2)
    controller.editor.set_markers(AREA_1_MARKERS)
    wait_until(app, lambda: window.runner.is_idle and controller.plan.plan is not None, 60.0)
    window.floor.set_active("radio_map")
    settle(app, 800)
    print(dock.radio_section.summary.text())
    print(dock.plan_section.summary.text())
    save(window, "fingerprint_radio_plan.png")

    dock.virtual_survey.run_button.click()
    wait_until(app, lambda: window.runner.is_idle and controller.surveys.virtual is not None, 300.0)
    model = dock.model_section
    model.data.setCurrentIndex(model.data.findData("only"))
    model.train_button.click()
    wait_until(app, lambda: window.runner.is_idle and controller.positioning.heat_map is not None, 300.0)
    settle(app, 800)
    print(model.status.text())
    save(window, "fingerprint_heat_map.png")
    first = controller.positioning.run
    model.kind.setCurrentIndex(model.kind.findData("mlp"))
    model.train_button.click()
    wait_until(app, lambda: window.runner.is_idle and controller.positioning.run is not first
               and controller.positioning.heat_map is not None, 600.0)
    print(model.status.text())
    for plot in (model.loss_plot, model.cdf):
        plot.canvas.draw()  # plots out of the scrolled view have no canvas until painted
    settle(app, 500)
    dock.widget().widget().grab().save(str(IMAGES / "fingerprint_dock.png"))  # every section, not just the scrolled view
    print("wrote", IMAGES / "fingerprint_dock.png")
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
