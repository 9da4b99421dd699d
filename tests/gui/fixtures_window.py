"""Fixtures building a real main window with its settings and autosave folder under tmp_path.

Imported by the window tests (``from fixtures_window import ...``) rather than put in the
shared conftest.py, which the viewport tests own.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest

from twinloc.geometry.ray_engine import RayEngine
from twinloc.gui.main_window import MainWindow
from twinloc.model.autosave import AutosaveStore
from twinloc.workspace import open_source


@pytest.fixture
def window_settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def autosave_store(tmp_path):
    return AutosaveStore(tmp_path / "autosave")


@pytest.fixture
def make_window(qtbot, window_settings, autosave_store):
    """``make_window(source="uwb_hall", **options)`` -> a shown MainWindow (``options``: its ``lanes``,
    ``features``); closed (changes discarded) after the test."""
    windows = []

    def make(source: str = "uwb_hall", **options) -> MainWindow:
        window = MainWindow(open_source(source), settings=window_settings, autosave=autosave_store, **options)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make
    for window in windows:
        if window.isVisible():
            window.document.undo_stack.setClean()
            window.close()
    # The closed windows' Qt and VTK objects go now, with their task lanes stopped, rather than
    # whenever a later test triggers the collector (possibly while that test's workers run).
    windows.clear()
    gc.collect()


@pytest.fixture
def window(make_window):
    return make_window()


def wait_for_floor_map(qtbot, window, previous: np.ndarray | None = None, timeout: int = 20000) -> np.ndarray:
    """Wait until the viewport shows an LOS map (different from ``previous`` when given)."""

    def ready() -> bool:
        values = window.viewport.floor_map_values()
        if values is None or not window.runner.is_idle:
            return False
        return previous is None or values.shape != previous.shape or not np.array_equal(values, previous, equal_nan=True)

    qtbot.waitUntil(ready, timeout=timeout)
    return window.viewport.floor_map_values()


def click_world(window, point, button=Qt.MouseButton.LeftButton) -> None:
    """Click the viewport where the world point ``point`` (metres) is drawn."""
    interactor = window.viewport.plotter
    QTest.mouseClick(interactor, button, Qt.KeyboardModifier.NoModifier, window.viewport.world_to_widget(point))


def drag_world(window, start, end, steps: int = 8) -> None:
    """Press on the world point ``start``, move in steps to ``end`` and release there."""
    interactor = window.viewport.plotter
    viewport = window.viewport
    a, b = viewport.world_to_widget(start), viewport.world_to_widget(end)
    QTest.mousePress(interactor, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for step in range(1, steps + 1):
        point = QPoint(round(a.x() + (b.x() - a.x()) * step / steps), round(a.y() + (b.y() - a.y()) * step / steps))
        QTest.mouseMove(interactor, point, 20)
    QTest.mouseRelease(interactor, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b, 20)


def open_floor_point(scene) -> tuple[float, float]:
    """A point of the scene's floor with nothing above it up to just under the ceiling."""
    engine = RayEngine(scene)
    (xmin, ymin, _), (xmax, ymax, zmax) = scene.bounds
    top = zmax - 0.05
    for fx in np.linspace(0.4, 0.6, 9):
        for fy in np.linspace(0.3, 0.7, 9):
            x, y = xmin + fx * (xmax - xmin), ymin + fy * (ymax - ymin)
            around = np.array([[x + dx, y + dy, top] for dx in (-0.5, 0, 0.5) for dy in (-0.5, 0, 0.5)])
            if engine.points_inside_solids(around).any():
                continue
            hits = engine.first_hit(around, np.tile([0.0, 0.0, -1.0], (len(around), 1)))
            if np.all(~np.isfinite(hits.distance) | (hits.distance > top - 0.01)):
                return float(x), float(y)
    raise AssertionError("no open floor point in the scene")
