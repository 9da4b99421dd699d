"""Image-method paths against the analytic image method in a box room, and in the hall."""

import numpy as np
import pytest

from rrt_scenes import PLANES, angles_deg, block, box_room, mirror
from twinloc.geometry.ray_engine import RayEngine
from twinloc.geometry.faces import planar_faces
from twinloc.rrt import paths as paths_module
from twinloc.rrt.paths import SPEED_OF_LIGHT_M_S, PathFinder


def _finder(scene):
    return PathFinder(RayEngine(scene), planar_faces(scene))


def test_coplanar_triangles_of_an_object_are_one_plane():
    faces = planar_faces(box_room(block("crate", (1, 1, 1), (3, 2, 0.5))))
    assert faces.count == 6 + 6  # six one-plane surfaces (two triangles each), six box sides
    assert faces.two_sided.sum() == 6


def test_first_order_reflections_in_a_box_match_the_analytic_image_method():
    tx, rx = np.array([1.2, 0.9, 1.1]), np.array([4.7, 3.1, 2.2])
    paths = _finder(box_room()).paths(tx, rx, max_depth=1)
    assert [p.depth for p in paths].count(0) == 1
    reflected = {p.objects[0]: p for p in paths if p.depth == 1}
    assert set(reflected) == set(PLANES)
    for name, path in reflected.items():
        image_tx, image_rx = mirror(tx, name), mirror(rx, name)
        assert path.length_m == pytest.approx(np.linalg.norm(image_tx - rx), abs=1e-12)
        assert path.delay_s == pytest.approx(np.linalg.norm(image_tx - rx) / SPEED_OF_LIGHT_M_S, rel=1e-12)
        # Seen from the receiver the wave comes from the transmitter's image; it leaves
        # the transmitter toward the receiver's image.
        np.testing.assert_allclose(path.aoa_deg, angles_deg(image_tx - rx), atol=1e-9)
        np.testing.assert_allclose(path.aod_deg, angles_deg(image_rx - tx), atol=1e-9)
        normal, offset = PLANES[name]
        assert normal @ path.points[1] == pytest.approx(offset, abs=1e-12)
    los = paths[0]
    assert los.depth == 0 and los.length_m == pytest.approx(np.linalg.norm(rx - tx), abs=1e-12)


def test_higher_order_paths_obey_the_law_of_reflection_and_match_their_image_chain():
    tx, rx = np.array([1.0, 1.5, 0.8]), np.array([5.1, 2.7, 2.4])
    paths = [p for p in _finder(box_room()).paths(tx, rx, max_depth=3) if p.depth >= 2]
    assert len(paths) > 30
    for path in paths:
        image = tx
        for name in path.objects:
            image = mirror(image, name)
        assert path.length_m == pytest.approx(np.linalg.norm(image - rx), abs=1e-9)
        for k, name in enumerate(path.objects, start=1):
            normal, _ = PLANES[name]
            incoming = path.points[k] - path.points[k - 1]
            outgoing = path.points[k + 1] - path.points[k]
            reflected = incoming - 2 * (incoming @ normal) * normal
            np.testing.assert_allclose(reflected / np.linalg.norm(reflected), outgoing / np.linalg.norm(outgoing), atol=1e-9)


def test_a_blocked_line_of_sight_is_not_a_path_and_the_strongest_is_the_shortest_reflection():
    scene = box_room(block("pillar", (0.6, 0.6, 3.0), (3.0, 2.0, 1.5)))
    finder = _finder(scene)
    tx, rx = np.array([1.0, 2.0, 1.0]), np.array([5.0, 2.0, 1.0])
    paths = finder.paths(tx, rx, max_depth=2)
    assert all(p.depth > 0 for p in paths)
    strongest = finder.strongest(tx, rx, max_depth=2)
    assert strongest.length_m == pytest.approx(min(p.length_m for p in paths), abs=1e-12)
    assert "pillar" not in strongest.objects or strongest.depth > 0


def test_solid_faces_reflect_only_on_their_outside():
    scene = box_room(block("crate", (1.0, 1.0, 1.0), (3.0, 2.0, 0.5)))
    tx, rx = np.array([2.0, 2.0, 2.0]), np.array([4.0, 2.0, 2.0])
    top = [p for p in _finder(scene).paths(tx, rx, max_depth=1) if p.objects == ("crate",)]
    assert len(top) == 1
    assert top[0].points[1] == pytest.approx([3.0, 2.0, 1.0])


@pytest.mark.parametrize("ue", [(2.0, 4.2, 0.5), (5.5, 13.0, 0.4), (6.9, 6.0, 1.0)])
def test_the_bounded_strongest_search_agrees_with_the_full_search(hall, ue):
    _, finder, stations = hall
    for station in stations:
        paths = finder.paths(ue, station, 3)
        strongest = finder.strongest(ue, station, 3)
        if not paths:
            assert strongest is None
            continue
        expected = paths[0] if paths[0].depth == 0 else min((p for p in paths if p.depth), key=lambda p: p.length_m)
        assert strongest.length_m == pytest.approx(expected.length_m, abs=1e-12)


def test_the_image_tree_is_capped_per_depth_and_expanded_in_blocks(monkeypatch):
    # Inside the box every image mirrors in the five planes other than its last one:
    # 6, 30, 150 and 750 candidate sequences at depths 1 to 4.
    tx, rx = np.array([1.2, 0.9, 1.1]), np.array([4.7, 3.1, 2.2])
    finder = _finder(box_room())
    whole = finder.paths(tx, rx, max_depth=3)
    monkeypatch.setattr(paths_module, "_PARENTS_PER_BLOCK", 7)
    monkeypatch.setattr(paths_module, "MAX_CANDIDATES", 150)
    blocked = finder.paths(tx, rx, max_depth=3)
    assert [p.objects for p in blocked] == [p.objects for p in whole]
    assert [p.length_m for p in blocked] == pytest.approx([p.length_m for p in whole], abs=1e-12)
    with pytest.raises(ValueError, match="more than 150 candidate paths with 4 reflections"):
        finder.paths(tx, rx, max_depth=4)


def test_a_path_needs_two_distinct_points():
    with pytest.raises(ValueError, match="same point"):
        _finder(box_room()).paths((1.0, 1.0, 1.0), (1.0, 1.0, 1.0))
