"""The composition root: every registered feature's dock, actions and sections are placed, the order of
the registrations does not matter, a new feature plugs in by one registration, and closing the window
runs every feature's shutdown."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from fixtures_window import autosave_store, make_window, window_settings  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel

from twinloc.geometry.floor_layer import FloorLayer
from twinloc.geometry.grid import FloorGrid
from twinloc.gui.feature import DockPlacement, Feature, FeatureParts
from twinloc.gui.features import FEATURES

pytestmark = pytest.mark.gui

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


def placements(window) -> dict[str, tuple]:
    """Each feature dock's edge and the features whose docks share its tabs."""
    by_dock = {parts.dock: name for name, parts in window.features.items() if parts.dock is not None}
    return {
        name: (window.dockWidgetArea(dock), sorted(by_dock[other] for other in window.tabifiedDockWidgets(dock)))
        for dock, name in by_dock.items()
    }


def test_every_feature_is_placed_and_its_actions_are_in_the_menus(make_window):
    window = make_window(features=FEATURES)
    assert list(window.features) == [feature.name for feature in FEATURES]
    view = window.view_menu.actions()
    for name, parts in window.features.items():
        if parts.dock is not None:
            assert parts.dock.parent() is window and parts.dock.toggleViewAction() in view, name
        assert all(action in view for action in parts.view_actions), name
        assert all(action in window.tool_bar.actions() for action in parts.tool_actions), name
        for section in parts.sections:
            assert window.feature(section.host).dock.isAncestorOf(section.widget), name
    assert all(action in view for action in window.floor.actions())
    assert [action.text() for action in window.floor.actions()] == [
        "&LOS Map", "&Error Map", "&Mitigated Error Map", "&Radio Map", "Reference &Points", "Sur&vey Points", "RMSE &Heat Map",
    ]
    assert window.floor.active == "los"
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    assert placements(window) == {
        "scene": (left, []),
        "anchors": (RIGHT, []),
        "error_map": (RIGHT, ["calibration", "fingerprint", "ray_launch", "training"]),
        "ray_launch": (RIGHT, ["calibration", "error_map", "fingerprint", "training"]),
        "training": (RIGHT, ["calibration", "error_map", "fingerprint", "ray_launch"]),
        "fingerprint": (RIGHT, ["calibration", "error_map", "ray_launch", "training"]),
        "calibration": (RIGHT, ["error_map", "fingerprint", "ray_launch", "training"]),
    }
    assert window.feature("error_map").dock.geometry().top() > window.feature("anchors").dock.geometry().top()


def test_the_order_of_the_registrations_does_not_matter(make_window):
    forward = placements(make_window(features=FEATURES))
    backward = make_window(features=tuple(reversed(FEATURES)))
    assert placements(backward) == forward
    assert backward.floor.active == "los" and backward.floor.action("los").isChecked()


def test_a_new_feature_plugs_in_and_closing_runs_every_shutdown(make_window):
    """A probe feature added by one registration gets its dock, its action and a floor layer;
    every feature's shutdown runs once when the window closes."""
    shut_down = []

    def recording(feature: Feature) -> Feature:
        def build_recorded(context) -> FeatureParts:
            parts = feature.build(context)

            def shutdown() -> None:
                shut_down.append(feature.name)
                if parts.shutdown is not None:
                    parts.shutdown()

            return replace(parts, shutdown=shutdown)

        return Feature(feature.name, build_recorded)

    grid = FloorGrid(np.arange(4) + 0.5, np.arange(3) + 0.5, 1.0, np.ones((3, 4), dtype=bool), 1.0)

    def build_probe(context) -> FeatureParts:
        dock = QDockWidget("Probe", context.window)
        dock.setObjectName("ProbeDock")
        dock.setWidget(QLabel("probe"))
        action = QAction("&Probe", context.window)
        context.floor.register("probe", "&Probe Map")
        context.floor.publish("probe", FloorLayer(grid, np.arange(12.0), "Probe (m)"), context.floor.revise("probe"))
        return FeatureParts(dock=dock, placement=DockPlacement(tab_with="training"), view_actions=(action,))

    probe = Feature("probe", build_probe)
    window = make_window(features=tuple(recording(feature) for feature in (*FEATURES, probe)))
    parts = window.feature("probe")
    assert window.dockWidgetArea(parts.dock) == RIGHT and window.feature("training").dock in window.tabifiedDockWidgets(parts.dock)
    assert parts.view_actions[0] in window.view_menu.actions()
    window.floor.action("probe").trigger()
    assert window.floor.active == "probe" and not window.floor.action("los").isChecked()
    np.testing.assert_array_equal(window.viewport.floor_map_values(), np.arange(12.0).reshape(3, 4))

    assert shut_down == []
    window.close()
    assert sorted(shut_down) == sorted(feature.name for feature in (*FEATURES, probe))
    assert window.runner.is_idle
