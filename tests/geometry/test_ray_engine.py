import math
import sys

import numpy as np
import pytest

from geometry_scenes import COLUMN_HIGH, COLUMN_LOW, make_scene, solid_box, surface_wall
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine


def slab_chord(start, end, low, high):
    """Length of the segment inside an axis-aligned box, by the slab method."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    d = end - start
    t0, t1 = 0.0, 1.0
    for axis in range(3):
        if d[axis] == 0.0:
            if not low[axis] <= start[axis] <= high[axis]:
                return 0.0
            continue
        a, b = (low[axis] - start[axis]) / d[axis], (high[axis] - start[axis]) / d[axis]
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
    return max(0.0, t1 - t0) * float(np.linalg.norm(d))


OBLIQUE = [
    ((3.0, 2.8, 1.0), (4.5, 2.8, 1.0)),  # straight through along x: 0.7 m
    ((0.0, 0.0, 2.0), (8.0, 6.0, 1.0)),
    ((3.8, 0.0, 2.0), (3.9, 8.4, 0.5)),
    ((1.0, 4.0, 3.5), (6.0, 1.5, 0.2)),
    ((3.5, 2.0, 0.3), (3.7, 3.9, 3.9)),
]


def test_engine_uses_embree(column_scene):
    assert RayEngine(column_scene).backend == "embree"


@pytest.mark.parametrize("start,end", OBLIQUE)
def test_chord_through_column_is_analytic(column_scene, start, end):
    crossings = RayEngine(column_scene).segment_crossings([start], [end])
    expected = slab_chord(start, end, COLUMN_LOW, COLUMN_HIGH)
    assert expected > 0.0
    assert crossings.inside_length_m[0, 0] == pytest.approx(expected, abs=1e-9)
    assert not crossings.clear[0]


def test_straight_chord_by_hand(column_scene):
    crossings = RayEngine(column_scene).segment_crossings([[3.0, 2.8, 1.0]], [[4.5, 2.8, 1.0]])
    assert crossings.inside_length_m[0, 0] == pytest.approx(0.7, abs=1e-12)


def test_segment_beside_the_column_crosses_nothing(column_scene):
    crossings = RayEngine(column_scene).segment_crossings([[0.0, 2.0, 1.0], [3.0, 3.3, 2.0]], [[8.0, 2.0, 1.0], [5.0, 3.3, 2.0]])
    assert np.all(crossings.inside_length_m == 0.0)
    assert crossings.clear.tolist() == [True, True]


@pytest.mark.parametrize(
    "start,end,expected",
    [
        ((3.66, 2.8, 1.0), (6.0, 2.8, 1.0), 0.35),  # starts at the centre, leaves through x = 4.01
        ((0.0, 2.8, 1.0), (3.66, 2.8, 1.0), 0.35),  # ends at the centre
        ((3.5, 2.6, 0.5), (3.9, 3.0, 3.5), math.sqrt(0.4**2 + 0.4**2 + 3.0**2)),  # wholly inside
        ((3.66, 2.8, 1.0), (3.66, 2.8, 5.0), 3.0),  # up through the top face at z = 4
    ],
)
def test_segments_starting_or_ending_inside_a_solid(column_scene, start, end, expected):
    crossings = RayEngine(column_scene).segment_crossings([start], [end])
    assert crossings.inside_length_m[0, 0] == pytest.approx(expected, abs=1e-9)


def test_segment_from_a_solid_face_counts_only_the_inside(column_scene):
    engine = RayEngine(column_scene)
    # Starts on the x = 3.31 face: into the column 0.7 m, away from it nothing.
    crossings = engine.segment_crossings([[3.31, 2.8, 1.0], [3.31, 2.8, 1.0]], [[5.0, 2.8, 1.0], [1.0, 2.8, 1.0]])
    np.testing.assert_allclose(crossings.inside_length_m[:, 0], [0.7, 0.0], atol=1e-9)


def test_diagonal_through_two_vertical_edges_is_counted_once(column_scene):
    # Through the edges (3.31, 2.45) and (4.01, 3.15): the column's diagonal, 0.7 * sqrt(2).
    starts = np.array([[2.31, 1.45, z] for z in np.linspace(0.25, 3.75, 15)])
    ends = starts + [3.0, 3.0, 0.0]
    crossings = RayEngine(column_scene).segment_crossings(starts, ends)
    np.testing.assert_allclose(crossings.inside_length_m[:, 0], 0.7 * math.sqrt(2.0), atol=1e-9)


def test_rays_through_face_diagonals_are_counted_once(column_scene):
    # The x faces are split along the line y = 2.45 + 0.7 s, z = 4 s; rays along x through it.
    s = np.linspace(0.0, 1.0, 101)[1:-1]
    starts = np.column_stack([np.full(s.size, 2.0), 2.45 + 0.7 * s, 4.0 * s])
    crossings = RayEngine(column_scene).segment_crossings(starts, starts + [4.0, 0.0, 0.0])
    np.testing.assert_allclose(crossings.inside_length_m[:, 0], 0.7, atol=1e-9)


def test_surface_crossed_through_its_diagonal_counts_once():
    # Wall x = 5, y 0..4, z 0..4, split along (5, s, s).
    engine = RayEngine(make_scene(surface_wall("wall", (5.0, 0.0), (5.0, 4.0))))
    s = np.linspace(0.0, 4.0, 401)[1:-1]
    points = np.column_stack([np.full(s.size, 5.0), s, s])
    for direction in ([1.0, 0.0, 0.0], [1.0, 0.3, -0.2], [1.0, -1.0, 1.0]):
        direction = np.asarray(direction)
        crossings = engine.segment_crossings(points - direction, points + direction)
        assert crossings.surface_crossings[:, 0].tolist() == [1] * s.size


def test_grid_links_through_a_wall_count_it_exactly_once():
    # Axis-aligned decimal grids land on triangle edges and vertices exactly.
    engine = RayEngine(make_scene(surface_wall("wall", (5.0, 0.0), (5.0, 4.0))))
    y, z = np.meshgrid(np.arange(0.1, 4.0, 0.1), np.arange(0.1, 4.0, 0.1))
    starts = np.column_stack([np.full(y.size, 4.0), y.ravel(), z.ravel()])
    crossings = engine.segment_crossings(starts, starts + [2.0, 0.0, 0.0])
    assert np.all(crossings.surface_crossings[:, 0] == 1)


@pytest.mark.parametrize(
    "start,end,secant",
    [
        ((4.0, 1.0, 1.0), (6.0, 1.0, 1.0), 1.0),
        ((4.0, 1.0, 1.0), (6.0, 3.0, 1.0), math.sqrt(2.0)),  # 45 degrees
        ((4.0, 1.0, 0.5), (6.0, 2.0, 1.5), math.sqrt(6.0) / 2.0),  # cos = 2 / sqrt(6)
    ],
)
def test_surface_secant_is_one_over_cos(start, end, secant):
    engine = RayEngine(make_scene(surface_wall("wall", (5.0, 0.0), (5.0, 4.0))))
    crossings = engine.segment_crossings([start], [end])
    assert crossings.surface_crossings[0, 0] == 1
    assert crossings.surface_secant_sum[0, 0] == pytest.approx(secant, rel=1e-12)
    assert crossings.inside_length_m[0, 0] == 0.0


def test_first_hits_in_a_box_room_are_exact(box_room):
    engine = RayEngine(box_room)
    origins = np.array([[2.0, 3.0, 1.0], [2.0, 3.0, 1.0], [10.0, 4.0, 2.0], [1.0, 1.0, 1.0], [9.0, 5.0, 3.5]])
    directions = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [3.0, 4.0, 0.0], [-1.0, 1.0, 1.0]])
    hits = engine.first_hit(origins, directions)
    # x = 18.3 at 16.3 m; y = 0 at 3 m; ceiling at 2 m; (3,4)/5 reaches y = 8.4 after 7.4 / 0.8 m;
    # (-1,1,1)/sqrt(3) reaches the ceiling after 0.5 sqrt(3) m.
    expected = [16.3, 3.0, 2.0, 7.4 / 0.8, 0.5 * math.sqrt(3.0)]
    np.testing.assert_allclose(hits.distance, expected, rtol=0, atol=1e-12)
    names = [engine.object_names[i] for i in hits.object_index]
    assert names == ["east", "south", "ceiling", "north", "ceiling"]
    np.testing.assert_allclose(np.linalg.norm(hits.normal, axis=1), 1.0)


def test_first_hit_misses_and_max_distance(box_room):
    engine = RayEngine(box_room)
    hits = engine.first_hit([[2.0, 3.0, 1.0], [-1.0, 3.0, 1.0]], [[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]], max_distance=10.0)
    assert hits.triangle.tolist() == [-1, -1]
    assert np.all(np.isinf(hits.distance)) and np.all(hits.normal == 0.0)
    assert not hits.hit.any()


def test_points_inside_solids(column_scene):
    engine = RayEngine(column_scene)
    points = [[3.66, 2.8, 1.0], [3.32, 2.46, 0.01], [3.0, 2.8, 1.0], [3.66, 2.8, 4.5], [3.31, 2.8, 1.0]]
    assert engine.points_inside_solids(points).tolist() == [True, True, False, False, False]


def test_points_inside_solids_that_touch_face_to_face():
    # Two unit cubes sharing the face x = 1 (each cast meets one's exit and the other's entry
    # in that plane) and a third on top sharing z = 1: every point inside is inside.
    scene = make_scene(
        solid_box("a", (1, 1, 1), (0.5, 0.5, 0.5)), solid_box("b", (1, 1, 1), (1.5, 0.5, 0.5)), solid_box("c", (2, 1, 1), (1.0, 0.5, 1.5))
    )
    ticks = np.arange(0.025, 2.0, 0.05)
    inside = np.array([[x, y, z] for x in ticks for y in ticks[ticks < 1.0] for z in ticks])
    outside = inside + [0.0, 1.0, 0.0]
    engine = RayEngine(scene)
    assert engine.points_inside_solids(inside).all()
    assert not engine.points_inside_solids(outside).any()


def test_wall_mounted_anchors_do_not_cross_their_wall():
    scene = load_scene("uwb_hall")
    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, 0.1, engine=engine)
    surfaces = [i for i, name in enumerate(engine.object_names) if not name.startswith("column")]
    for anchor in scene.anchors:
        starts = np.broadcast_to(anchor.position, grid.points.shape)
        crossings = engine.segment_crossings(starts, grid.points)
        # Every cell is inside the hall: a link may pass columns but never a wall, floor or ceiling.
        assert crossings.surface_crossings[:, surfaces].sum() == 0
        assert crossings.clear.any() and not crossings.clear.all()


def test_link_from_a1_behind_column_1_crosses_only_it():
    scene = load_scene("uwb_hall")
    engine = RayEngine(scene)
    a1 = np.array([3.8, 0.0, 2.0])
    tag = np.array([3.8, 5.0, 1.0])  # straight behind column 1 (x 3.31..4.01, y 2.45..3.15)
    crossings = engine.segment_crossings([a1], [tag])
    column = engine.object_names.index("column 1")
    assert crossings.inside_length_m[0, column] == pytest.approx(0.7 * math.sqrt(26.0) / 5.0, abs=1e-9)
    assert crossings.inside_length_m[0].sum() == pytest.approx(crossings.inside_length_m[0, column])
    assert crossings.surface_crossings.sum() == 0


def test_anchor_outside_a_wall_counts_it_once():
    scene = load_scene("uwb_hall")
    engine = RayEngine(scene)
    crossings = engine.segment_crossings([[5.0, -1.0, 2.0]], [[5.0, 1.0, 1.0]])
    south = engine.object_names.index("wall south")
    assert crossings.surface_crossings[0].tolist() == [1 if i == south else 0 for i in range(len(engine.object_names))]
    assert crossings.surface_secant_sum[0, south] == pytest.approx(math.sqrt(5.0) / 2.0)


def test_trimesh_fallback_gives_the_same_answers(monkeypatch):
    scene = load_scene("industrial_hall")
    embree = RayEngine(scene)
    for module in ("embreex", "embreex.rtcore_scene", "embreex.mesh_construction"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.warns(RuntimeWarning, match="embreex"):
        fallback = RayEngine(scene)
    assert fallback.backend == "trimesh"
    rng = np.random.default_rng(7)
    starts = rng.uniform([0.2, 0.2, 0.2], [7.8, 17.8, 2.3], (300, 3))
    ends = rng.uniform([0.2, 0.2, 0.2], [7.8, 17.8, 2.3], (300, 3))
    a, b = embree.segment_crossings(starts, ends), fallback.segment_crossings(starts, ends)
    np.testing.assert_allclose(a.inside_length_m, b.inside_length_m, atol=1e-9)
    np.testing.assert_array_equal(a.surface_crossings, b.surface_crossings)
    np.testing.assert_allclose(a.surface_secant_sum, b.surface_secant_sum, rtol=1e-9)
    assert 0 < a.clear.sum() < len(starts)
    directions = ends - starts
    ha, hb = embree.first_hit(starts, directions), fallback.first_hit(starts, directions)
    np.testing.assert_array_equal(ha.object_index, hb.object_index)
    np.testing.assert_allclose(ha.distance, hb.distance, atol=1e-9)
    np.testing.assert_array_equal(embree.points_inside_solids(starts), fallback.points_inside_solids(starts))


def test_random_chords_match_the_slab_method(column_scene):
    rng = np.random.default_rng(3)
    starts = rng.uniform([0.0, 0.0, 0.0], [8.0, 6.0, 4.0], (2000, 3))
    ends = rng.uniform([0.0, 0.0, 0.0], [8.0, 6.0, 4.0], (2000, 3))
    crossings = RayEngine(column_scene).segment_crossings(starts, ends)
    expected = [slab_chord(s, e, COLUMN_LOW, COLUMN_HIGH) for s, e in zip(starts, ends)]
    np.testing.assert_allclose(crossings.inside_length_m[:, 0], expected, atol=1e-9)


def test_solid_box_material_object_indices(column_scene):
    scene = make_scene(solid_box("a", (1, 1, 1), (0, 0, 0.5)), solid_box("b", (1, 1, 1), (3, 0, 0.5), "metal"))
    engine = RayEngine(scene)
    crossings = engine.segment_crossings([[-1.0, 0.0, 0.5]], [[5.0, 0.0, 0.5]])
    np.testing.assert_allclose(crossings.inside_length_m[0], [1.0, 1.0], atol=1e-12)
    assert engine.object_names == ("a", "b")


def test_weighted_crossings_sum_chords_and_oblique_surface_crossings():
    # A 1 m cube centred at (2, 0, 1) and a wall in the plane x = 4. The segment along +x from
    # (0, 0, 1) to (6, 0, 1) has a 1 m chord in the cube and crosses the wall at normal
    # incidence; the segment from (3, -1, 1) to (5, 1, 1) crosses the wall at 45 degrees.
    from twinloc.geometry.materials import Material
    from twinloc.geometry.primitives import box_mesh, wall_mesh
    from twinloc.geometry.scene import ObjectKind, Scene, SceneObject

    cube = SceneObject("cube", ObjectKind.SOLID, "m", *box_mesh((1.0, 1.0, 1.0), (2.0, 0.0, 1.0)))
    wall = SceneObject("wall", ObjectKind.SURFACE, "m", *wall_mesh((4.0, -5.0), (4.0, 5.0), 0.0, 3.0))
    engine = RayEngine(Scene("t", (cube, wall), {"m": Material("m", 4.0)}))
    starts = np.array([[0.0, 0.0, 1.0], [3.0, -1.0, 1.0], [0.0, 3.0, 1.0]])
    ends = np.array([[6.0, 0.0, 1.0], [5.0, 1.0, 1.0], [3.0, 3.0, 1.0]])
    solid_weight, surface_weight = np.array([2.0, 0.0]), np.array([0.0, 0.5])
    plain = engine.weighted_crossings(starts, ends, solid_weight, surface_weight, np.array([False, True]))
    np.testing.assert_allclose(plain.weighted, [2.0 * 1.0 + 0.5, 0.5, 0.0], atol=1e-9)
    assert plain.clear.tolist() == [False, False, True]
    assert plain.blocked.tolist() == [True, True, False]
    oblique = engine.weighted_crossings(starts, ends, solid_weight, surface_weight, np.zeros(2, bool), use_secant=True)
    np.testing.assert_allclose(oblique.weighted, [2.5, 0.5 * np.sqrt(2.0), 0.0], atol=1e-9)
    assert not oblique.blocked.any()


def test_crossing_events_name_the_faces_crossed():
    # A wall in the plane x = 1 and a 1 m box x 3..4: the segment along +x crosses the wall
    # once and enters the box through its face x = 3 (outward normal -x), 1 m of chord.
    scene = make_scene(surface_wall("wall", (1, -5), (1, 5)), solid_box("box", (1, 1, 1), (3.5, 0, 1)))
    engine = RayEngine(scene)
    events = engine.crossing_events(np.array([[0.0, 0.0, 1.0]]), np.array([[6.0, 0.0, 1.0]]))
    assert events.count == 1 and events.surface_ray.tolist() == [0] and events.solid_ray.tolist() == [0]
    assert np.abs(engine.triangle_normals[events.surface_triangle[0]]).tolist() == [1.0, 0.0, 0.0]
    assert engine.triangle_normals[events.solid_triangle[0]].tolist() == [-1.0, 0.0, 0.0]
    assert events.chord[0] == pytest.approx(1.0)
    assert engine.object_names[events.solid_owner[0]] == "box" and engine.object_names[events.surface_owner[0]] == "wall"
