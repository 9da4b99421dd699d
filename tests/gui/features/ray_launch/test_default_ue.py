"""The UE's default position is found in the background, never on the GUI thread."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures_window import autosave_store, make_window, window_settings  # noqa: F401

from twinloc.geometry.ray_engine import RayEngine
from twinloc.rrt.simulation import default_ue_position

pytestmark = pytest.mark.gui


def test_the_ue_moves_to_the_free_point_nearest_the_middle_once_found(make_window, qtbot):  # noqa: F811
    window = make_window("uwb_hall")
    controller = window.feature("ray_launch").controller
    scene = window.document.scene
    expected = default_ue_position(scene, RayEngine(scene))
    qtbot.waitUntil(lambda: np.allclose(controller.ue, expected) and window.runner.is_idle, timeout=30000)
    # The hall's middle, (9.15, 4.2) at tag height, is free: the default is that point.
    np.testing.assert_allclose(controller.ue, [9.15, 4.2, scene.tag_height_m], atol=0.05)


def test_a_ue_the_user_placed_is_not_moved_by_a_late_default(make_window, qtbot):  # noqa: F811
    window = make_window("uwb_hall")
    controller = window.feature("ray_launch").controller
    qtbot.waitUntil(lambda: window.runner.is_idle, timeout=30000)
    controller.set_ue((2.0, 2.0, 1.0))
    controller._on_default_ue(np.array([9.0, 4.0, 1.0]))  # a default arriving after the user's move
    np.testing.assert_allclose(controller.ue, [2.0, 2.0, 1.0])
