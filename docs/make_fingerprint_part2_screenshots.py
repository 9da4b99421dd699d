"""Regenerate the screenshots of the user guide's channel dataset, few labels and site change:
``xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_fingerprint_part2_screenshots.py``.

Runs the real window on the shipped "wifi_hall" scene (20 m x 40 m, 18 access points):
a CSI dataset of AP01 (1 x 8 antennas, 64 subcarriers over 40 MHz at 3.5 GHz, one sample per
0.5 m cell), supervised-only then consistency learning from 10 % of its labels (angle-delay
CNN, 20 epochs, 2 rounds), a kNN trained on the twin only (a virtual survey of Area 1's plan
for its test points), then Area 1's machine moved 3 m along −x: the change map and the stale banner, and
the update. Writes docs/images/fingerprint_few_labels.png (the window with the test errors on
the floor), fingerprint_change_map.png (the window with the change map and the banner) and
fingerprint_part2_dock.png (the three sections after the update, unscrolled).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fingerprint_screenshots import AREA_1_MARKERS  # noqa: E402
from make_screenshots import IMAGES, open_window, save, settle, wait_until  # noqa: E402


def main() -> int:
    app, window = open_window("wifi_hall", 1560, 980)
    dock, controller = window.feature("fingerprint").dock, window.feature("fingerprint").controller
    dock.raise_()
    window.viewport.view_top()
    settle(app, 500)

    channel = dock.channel_section
    channel.station.setCurrentText("AP01")
    channel.columns.setValue(8)
    channel.subcarriers.setValue(64)
    channel.bandwidth.setValue(40.0)
    channel.resolution.setValue(0.5)
    channel.out_path.setText(str(Path(tempfile.mkdtemp()) / "wifi_hall_ap01.npz"))
    channel.generate_button.click()
    wait_until(app, lambda: not controller.channel.generating and controller.channel.dataset is not None, 600.0)
    print(channel.summary.text())

    few = dock.few_labels_section
    few.epochs.setValue(20)
    few.rounds.setValue(2)
    for method in ("supervised", "consistency"):
        few.method.setCurrentIndex(few.method.findData(method))
        few.run_button.click()
        wait_until(app, lambda method=method: not controller.few_labels.running and controller.few_labels.result is not None
                   and controller.few_labels.result.method == method, 900.0)
        print(few.status.text())
    dock.widget().ensureWidgetVisible(few.rounds_table)
    few.loss_plot.canvas.draw()  # a plot scrolled into view has no canvas until painted
    settle(app, 800)
    save(window, "fingerprint_few_labels.png")

    dock.plan_section.loops.setValue(2)
    controller.editor.set_markers(AREA_1_MARKERS)
    wait_until(app, lambda: controller.plan.plan is not None, 120.0)
    dock.virtual_survey.run_button.click()
    wait_until(app, lambda: controller.surveys.virtual is not None, 300.0)
    model = dock.model_section
    model.data.setCurrentIndex(model.data.findData("only"))
    model.train_button.click()
    wait_until(app, lambda: not controller.positioning.training and controller.positioning.run is not None, 600.0)

    site = dock.site_change_section
    site.object.setCurrentText("area 1 machine")
    site.shift[0].setValue(-3.0)
    site.move_button.click()
    wait_until(app, lambda: controller.changes.changes is not None, 900.0)
    print(site.summary.text())
    print(site.banner_text.text())
    window.floor.set_active("change_map")
    dock.widget().ensureWidgetVisible(site)
    settle(app, 800)
    save(window, "fingerprint_change_map.png")

    site.update_button.click()
    wait_until(app, lambda: controller.changes.update is not None, 900.0)
    print(site.update_note.text())
    for plot in (few.loss_plot, few.cdf):
        plot.canvas.draw()  # plots out of the scrolled view have no canvas until painted
    settle(app, 500)
    column = dock.widget().widget()  # the three sections only, unscrolled
    column.grab(column.rect().adjusted(0, channel.geometry().top(), 0, 0)).save(str(IMAGES / "fingerprint_part2_dock.png"))
    print("wrote", IMAGES / "fingerprint_part2_dock.png")
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
