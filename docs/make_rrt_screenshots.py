"""Regenerate the reverse-ray-tracing screenshots of the user guide:
``xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_rrt_screenshots.py``.

Runs the real window on the shipped "industrial_hall" scene (its four base stations) and
writes docs/images/rrt_rays.png (3D, rays and true paths), docs/images/rrt_point_clouds.png
(2D, point clouds and mixture contours) and docs/images/rrt_cdf.png (a small evaluation's CDF).
"""

from __future__ import annotations

import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import IMAGES, open_window, save, settle, wait_until  # noqa: E402

UE = (5.0, 11.5, 1.2)
EVALUATION_DROPS = 40


def main() -> int:
    app, window = open_window("industrial_hall", 1480, 900)
    window.floor.action("los").setChecked(False)
    dock, overlay = window.feature("ray_launch").dock, window.feature("ray_launch").controller
    dock.raise_()
    settle(app, 500)

    dock.rays.setValue(2000)
    dock.bounces.setValue(3)
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("3d"))
    overlay.set_ue(UE)
    dock.run()
    wait_for_result(app, window)
    window.viewport.view_iso()
    zoom_on(window, UE, 1.3)
    settle(app)
    save(window, "rrt_rays.png")

    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("2d"))
    dock.draw_rays.setChecked(False)
    previous = overlay.result
    dock.run()
    wait_for_result(app, window, previous)
    window.viewport.view_top()
    zoom_on(window, UE, 3.2)
    settle(app)
    save(window, "rrt_point_clouds.png")

    dock.rays.setValue(1000)
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("3d"))
    dock.drops.setValue(EVALUATION_DROPS)
    dock.sigma_list.setText("0.25, 1")
    dock.evaluate()
    wait_until(app, lambda: overlay.evaluation is not None, 600.0)
    settle(app)
    dock.cdf_plot.save_png(IMAGES / "rrt_cdf.png")
    print("wrote", IMAGES / "rrt_cdf.png")
    for row in dock.cdf_plot.rows:
        print(row)
    window.document.undo_stack.setClean()
    window.close()
    return 0


def zoom_on(window, point, factor: float) -> None:
    """Keep the viewing direction, centre ``point`` and zoom in by ``factor``."""
    camera = window.viewport.plotter.camera
    shift = [p - f for p, f in zip(point, camera.focal_point)]
    camera.focal_point = tuple(point)
    camera.position = tuple(c + s for c, s in zip(camera.position, shift))
    camera.zoom(factor)
    window.viewport.plotter.renderer.ResetCameraClippingRange()
    window.viewport.plotter.render()


def wait_for_result(app, window, previous=None) -> None:
    overlay = window.feature("ray_launch").controller
    wait_until(app, lambda: window.runner.is_idle and overlay.result is not None and overlay.result is not previous, 60.0)


if __name__ == "__main__":
    sys.exit(main())
