"""The "How many anchors?" part of the Optimize section: run on a tiny scene, click a point, preview, accept, undo."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixtures_window import autosave_store, make_window, window_settings  # noqa: F401
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def tiny_room(tmp_path) -> str:
    """A 4 m x 3 m room, concrete walls 3 m high, one ceiling mounting area at 2.5 m; no anchors."""
    corners = [[0.0, 0.0], [4.0, 0.0], [4.0, 3.0], [0.0, 3.0]]
    walls = [{"name": f"wall {k}", "kind": "surface", "material": "concrete",
              "primitive": {"type": "wall", "start": corners[k], "end": corners[(k + 1) % 4], "height": 3.0}} for k in range(4)]
    descriptor = {
        "format": "twinloc-scene", "version": 1, "name": "tiny room", "units": "m",
        "materials": {"concrete": {"preset": "concrete"}}, "objects": walls,
        "regions": [{"name": "floor", "type": "evaluation", "polygon": corners},
                    {"name": "ceiling", "type": "mounting", "polygon": [[0.3, 0.3], [3.7, 0.3], [3.7, 2.7], [0.3, 2.7]],
                     "z_range_m": [2.5, 2.5]}],
        "tag_height_m": 1.0,
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(descriptor))
    return str(path)


def click_count(plot, count: int) -> None:
    """Click the canvas where the point of ``count`` is drawn."""
    plot.canvas.draw()
    x, y = plot.axes.transData.transform(plot.point_of(count))
    ratio = plot.canvas.devicePixelRatioF()
    QTest.mouseClick(plot.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(x / ratio), round(plot.canvas.height() - y / ratio)))


def test_run_click_preview_accept_undo(make_window, tiny_room, qtbot, errors):  # noqa: F811
    window = make_window(tiny_room)
    window.resize(1500, 1000)
    tabs = window.feature("anchors").dock.widget()
    tabs.setCurrentIndex(tabs.count() - 1)
    section = window.feature("layout").sections[0].widget
    part = section.count_part
    section.population.setValue(8)
    section.iterations.setValue(4)
    section.min_distance.setValue(1.0)
    part.fewest.setValue(3)
    part.most.setValue(5)
    part.target.setValue(0.5)
    part.scheduler.setCurrentText("This process")
    window.feature("anchors").dock.widget().currentWidget().ensureWidgetVisible(part.plot)
    controller = part.controller
    with qtbot.waitSignal(controller.runEnded, timeout=RUN_TIMEOUT_MS) as ended:
        qtbot.mouseClick(part.run_button, Qt.MouseButton.LeftButton)
        assert part.cancel_button.isEnabled() and not part.run_button.isEnabled()
    assert ended.args[0] == "finished" and not errors
    study = controller.study
    assert [plan.anchor_count for plan in study.plans] == [3, 4, 5]
    assert list(part.plot.counts) == [3, 4, 5]
    line = part.plot.axes.lines[2]
    assert list(line.get_ydata()) == [0.5, 0.5]  # the target line

    qtbot.waitUntil(lambda: part.plot.canvas.isVisible(), timeout=5000)
    click_count(part.plot, 4)
    assert controller.previewed == 4
    plan = controller.plan(4)
    np.testing.assert_allclose(controller.ghost_positions, plan.positions)
    expected = plan.error_map.grid.to_image(np.where(plan.error_map.degenerate, np.nan, plan.error_map.cell_error))
    np.testing.assert_allclose(window.viewport.floor_map_values(), expected, equal_nan=True)
    assert part.accept_button.isEnabled()
    assert window.document.project.anchors == ()

    qtbot.mouseClick(part.accept_button, Qt.MouseButton.LeftButton)
    anchors = window.document.project.anchors
    assert [a.name for a in anchors] == ["A1", "A2", "A3", "A4"]
    np.testing.assert_allclose([a.position for a in anchors], plan.positions)
    assert controller.ghost_positions.shape == (0, 3)
    window.document.undo_stack.undo()
    assert window.document.project.anchors == ()
