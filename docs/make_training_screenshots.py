"""Regenerate the model-training screenshots of the user guide:
``xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_training_screenshots.py``.

Runs the real window on the shipped "uwb_hall" scene with the paper's three anchors:
virtual data on a 20 cm grid (20 groups per point), the SIMULATED site (50 points x 496
fixes), pre-training time-boxed to 60 s, fine-tuning until early stopping. Writes
docs/images/training_panel.png (the window with the Training dock), training_loss.png,
training_positions.png and training_errors.png (the dock's plots), and mitigated_map.png
(the per-point error after the network, drawn on the floor).
"""

from __future__ import annotations

import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import IMAGES, open_window, save, settle, wait_until  # noqa: E402

PRETRAIN_SECONDS = 60.0


def main() -> int:
    app, window = open_window("uwb_hall", 1480, 940)
    window.floor.action("los").setChecked(False)
    window.floor.action("error_map").setChecked(False)
    dock, trainer = window.feature("training").dock, window.feature("training").controller
    dock.raise_()
    settle(app, 500)

    dock.resolution_spin.setValue(0.2)
    dock.generate_virtual()
    wait_until(app, lambda: trainer.virtual is not None, 120.0)
    dock.simulate_site()
    wait_until(app, lambda: trainer.measured is not None, 120.0)
    dock.stage_spins["pretrain"]["epochs"].setValue(100)
    dock.stage_spins["pretrain"]["time_limit_s"].setValue(PRETRAIN_SECONDS)
    dock.train()
    wait_until(app, lambda: not trainer.training, 600.0)
    settle(app)
    print(dock.status_label.text())
    for area, row in trainer.result.errors.items():
        print(area, {name: None if value is None else round(100 * value, 1) for name, value in row.items()})

    dock.show_map_check.setChecked(True)
    wait_until(app, lambda: trainer.map is not None, 120.0)
    window.viewport.view_top()
    settle(app, 600)
    save(window, "mitigated_map.png")
    print(dock.map_label.text())

    dock.widget().verticalScrollBar().setValue(dock.widget().verticalScrollBar().maximum() // 2)
    window.viewport.view_iso()
    settle(app, 600)
    save(window, "training_panel.png")
    for plot, name in ((dock.loss_plot, "training_loss.png"), (dock.positions_plot, "training_positions.png"),
                       (dock.sample_errors_plot, "training_errors.png")):
        plot.figure.savefig(str(IMAGES / name), dpi=150)
        print("wrote", IMAGES / name)
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
