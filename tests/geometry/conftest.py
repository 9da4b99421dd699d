"""Fixtures: small scenes built in code."""

from __future__ import annotations

import pytest

from geometry_scenes import make_scene, solid_box, surface_plane, surface_wall
from twinloc.geometry.scene import Scene


@pytest.fixture
def column_scene() -> Scene:
    return make_scene(solid_box("column", (0.7, 0.7, 4.0), (3.66, 2.8, 2.0)))


@pytest.fixture
def box_room() -> Scene:
    """A closed 18.3 m x 8.4 m x 4 m room of thin surfaces."""
    return make_scene(
        surface_plane("floor", (18.3, 8.4), (9.15, 4.2, 0.0)),
        surface_plane("ceiling", (18.3, 8.4), (9.15, 4.2, 4.0)),
        surface_wall("south", (0.0, 0.0), (18.3, 0.0)),
        surface_wall("east", (18.3, 0.0), (18.3, 8.4)),
        surface_wall("north", (18.3, 8.4), (0.0, 8.4)),
        surface_wall("west", (0.0, 8.4), (0.0, 0.0)),
    )
