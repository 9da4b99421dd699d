import numpy as np
import pytest

from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.faces import planar_faces
from twinloc.rrt.paths import PathFinder


@pytest.fixture(scope="session")
def hall():
    """The industrial hall, its path finder and its four base stations (4, 3) metres."""
    scene = load_scene("industrial_hall")
    finder = PathFinder(RayEngine(scene), planar_faces(scene))
    stations = np.array([b.position for b in scene.base_stations])
    return scene, finder, stations
