"""Path gains of hand-worked scenes against free-space loss, Fresnel and slab formulas by hand."""

import cmath
import math

import numpy as np
import pytest
from radio_scenes import SPEED_OF_LIGHT, concrete_eta, scene_of, solid_box, surface_plane, surface_wall

from twinloc.geometry.ray_engine import RayEngine
from twinloc.radio.radiomap import NO_SIGNAL_DB, RadioSettings, compute_radio_map
from twinloc.radio.specular import PathTracer
from twinloc.radio.transmitters import Transmitter

F = 2.4e9
WAVELENGTH = SPEED_OF_LIGHT / F


def free_space_db(distance):
    return 20 * math.log10(WAVELENGTH / (4 * math.pi * distance))


def radio_map(scene, tx, points, depth=2, k=4):
    return compute_radio_map(scene, (Transmitter("T", tx, F, 20.0),), np.array(points, float),
                             RadioSettings(max_depth=depth, strongest_paths=k))


def test_free_space_path_gain_at_a_known_distance():
    # Friis with isotropic antennas: (lambda / 4 pi d)^2; 10 m at 2.4 GHz is -60.05 dB.
    scene = scene_of(surface_plane("far away", (1, 1), (50, 50, 0)))
    result = radio_map(scene, (0, 0, 2), [(10, 0, 2), (3, 4, 2)])
    assert result.path_gain_db[:, 0] == pytest.approx([free_space_db(10), free_space_db(5)], abs=1e-9)
    assert free_space_db(10) == pytest.approx(-60.05, abs=0.01)
    assert result.rss_dbm[0, 0] == pytest.approx(20 + free_space_db(10))
    assert result.los.all() and result.range_m[:, 0] == pytest.approx([10, 5])
    assert result.paths.delay_s[0, 0, 0] == pytest.approx(10 / SPEED_OF_LIGHT)
    assert result.paths.phase_rad[0, 0, 0] == pytest.approx(math.remainder(-2 * math.pi * 10 / WAVELENGTH, 2 * math.pi))
    assert np.isnan(result.paths.delay_s[0, 0, 1])


def test_a_point_at_the_transmitter_gets_at_most_0_db():
    scene = scene_of(surface_plane("far away", (1, 1), (50, 50, 0)))
    result = radio_map(scene, (1, 2, 2), [(1, 2, 2)])
    assert result.path_gain_db[0, 0] == pytest.approx(0.0)


def test_reflection_off_a_half_space_against_fresnel_by_hand():
    # A solid concrete floor (top face z = 0): tx 2 m and rx 1 m above it, 6 m apart. The plane of
    # incidence is vertical, so the vertically polarised field is wholly TM.
    floor = solid_box("floor", (100, 100, 10), (0, 0, -5))
    tx, rx = (0.0, 0.0, 2.0), (6.0, 0.0, 1.0)
    result = radio_map(scene_of(floor), tx, [rx], depth=1)
    direct = math.dist(tx, rx)
    reflected = math.hypot(6.0, 3.0)
    cos_theta = 3.0 / reflected
    eta = concrete_eta(F)
    root = cmath.sqrt(eta - (1 - cos_theta**2))
    r_tm = (eta * cos_theta - root) / (eta * cos_theta + root)
    expected = (WAVELENGTH / (4 * math.pi * direct)) ** 2 + (WAVELENGTH / (4 * math.pi * reflected)) ** 2 * abs(r_tm) ** 2
    assert result.path_gain_db[0, 0] == pytest.approx(10 * math.log10(expected), abs=1e-9)
    second = 20 * math.log10(WAVELENGTH / (4 * math.pi * reflected) * abs(r_tm))
    assert result.paths.power_db[0, 0, :2] == pytest.approx([free_space_db(direct), second], abs=1e-9)
    assert result.paths.aoa_elevation_rad[0, 0, 1] == pytest.approx(-math.atan2(1.0, 2.0))
    assert result.paths.aod_elevation_rad[0, 0, 1] == pytest.approx(-math.atan2(2.0, 4.0))


def test_penetration_of_one_slab_against_the_slab_formula_by_hand():
    # A 0.2 m concrete wall (a surface in the plane x = 0) met at normal incidence.
    wall = surface_wall("wall", (0, -20), (0, 20), height=10)
    tx, rx = (-2.0, 0.0, 1.5), (3.0, 0.0, 1.5)
    result = radio_map(scene_of(wall), tx, [rx], depth=0)
    eta = concrete_eta(F)
    n = cmath.sqrt(eta)
    r = (1 - n) / (1 + n)
    q = 2 * math.pi * 0.2 / WAVELENGTH * n
    t = (1 - r**2) * cmath.exp(-1j * q) / (1 - r**2 * cmath.exp(-2j * q))
    assert result.path_gain_db[0, 0] == pytest.approx(free_space_db(5.0) + 20 * math.log10(abs(t)), abs=1e-9)
    assert not result.los[0, 0]
    assert result.crossings[0, 0, result.material_names.index("concrete")] == 1
    # The range carries the excess of the wall: thickness * (sqrt(eps') - 1).
    assert result.range_m[0, 0] == pytest.approx(5.0 + 0.2 * (math.sqrt(5.24) - 1))


def test_a_solid_wall_transmits_like_a_surface_of_its_thickness():
    surface = scene_of(surface_wall("wall", (0, -20), (0, 20), height=10))
    solid = scene_of(solid_box("wall", (0.2, 40, 10), (0, 0, 5)))
    tx, rx = (-2.0, -1.0, 1.5), (3.0, 2.0, 2.5)
    oblique = [radio_map(scene, tx, [rx], depth=0).path_gain_db[0, 0] for scene in (surface, solid)]
    assert oblique[0] == pytest.approx(oblique[1], abs=1e-6)
    assert oblique[0] < free_space_db(math.dist(tx, rx)) - 3.0


def test_metal_blocks():
    wall = surface_wall("wall", (0, -20), (0, 20), height=10, material="metal")
    result = radio_map(scene_of(wall), (-2.0, 0.0, 1.5), [(3.0, 0.0, 1.5)], depth=1)
    assert result.path_gain_db[0, 0] == NO_SIGNAL_DB and np.isnan(result.range_m[0, 0])


def test_one_mirror_has_no_second_reflection_however_deep_the_search():
    # A single metal wall (plane x = 0): the direct path and one reflection, whatever the depth.
    wall = surface_wall("wall", (0, -20), (0, 20), height=10, material="metal")
    tx, rx = (2.0, 0.0, 1.5), (3.0, 4.0, 1.5)
    shallow = radio_map(scene_of(wall), tx, [rx], depth=1)
    deep = radio_map(scene_of(wall), tx, [rx], depth=3)
    assert deep.path_gain_db[0, 0] == pytest.approx(shallow.path_gain_db[0, 0], abs=1e-12)
    assert np.count_nonzero(np.isfinite(deep.paths.delay_s[0, 0])) == 2


def test_paths_of_depth_two_in_a_hand_worked_corner():
    # Walls x = 0 (y 0..10) and y = 0 (x 0..10). Images of tx (1, 2): (-1, 2), (1, -2), and (-1, -2)
    # twice; only x-then-y reaches rx (3, 1) with both reflection points on the walls: (0, 1.25),
    # then (5/3, 0).
    scene = scene_of(surface_wall("x0", (0, 0), (0, 10)), surface_wall("y0", (0, 0), (10, 0)))
    tracer = PathTracer(scene, RayEngine(scene), F)
    paths, direct = tracer.trace((1.0, 2.0, 1.5), np.array([[3.0, 1.0, 1.5]]), max_depth=2)
    order = np.argsort(paths.length_m)
    assert paths.depth[order].tolist() == [0, 1, 1, 2]
    assert paths.length_m[order] == pytest.approx([math.sqrt(5), math.sqrt(13), math.sqrt(17), 5.0])
    assert paths.departure[order][3] == pytest.approx(np.array([-1.0, -0.75, 0.0]) / 1.25)
    assert paths.arrival[order][3] == pytest.approx(np.array([4 / 3, 1.0, 0.0]) / (5 / 3))
    assert direct.los.all()


def test_a_surface_reflects_and_transmits_and_a_solid_reflects_off_its_face():
    # A concrete sheet (surface, z = 3) above a solid block (top face z = 2, x and y within 1 m).
    # rx0 above the sheet: off the sheet (image of tx at z = 2) and off the block through the
    # sheet (image at z = 0); rx1 between them: off the block only, through the sheet.
    block = solid_box("block", (2, 2, 2), (0, 0, 1))
    sheet = surface_plane("sheet", (4, 4), (0, 0, 3))
    scene = scene_of(block, sheet)
    tracer = PathTracer(scene, RayEngine(scene), F)
    paths, direct = tracer.trace((0.0, -0.5, 4.0), np.array([[0.0, 0.5, 4.0], [0.0, 0.5, 2.5]]), max_depth=1)
    reflected = paths.depth == 1
    found = sorted(zip(paths.point[reflected].tolist(), paths.length_m[reflected].round(9).tolist()))
    assert found == [(0, round(math.sqrt(5), 9)), (0, round(math.sqrt(17), 9)), (1, round(math.sqrt(7.25), 9))]
    assert direct.los.tolist() == [True, False]


def test_second_order_paths_in_a_metal_room_with_a_crate_match_the_analytic_image_tree():
    # A closed 6 x 4 x 3 m metal room (six surfaces) with a 1 m metal crate: with everything
    # opaque, the paths found are exactly the image-tree sequences whose reflection points lie
    # on their faces and whose legs meet nothing. Checked against an independent brute force
    # over every sequence of two planes, tested point by point against the analytic planes.
    from twinloc.geometry.primitives import box_mesh, plane_mesh, wall_mesh
    from twinloc.geometry.scene import ObjectKind, SceneObject

    width, depth, height = 6.0, 4.0, 3.0
    objects = [
        SceneObject("floor", ObjectKind.SURFACE, "metal", *plane_mesh((width, depth), (3, 2, 0))),
        SceneObject("ceiling", ObjectKind.SURFACE, "metal", *plane_mesh((width, depth), (3, 2, height))),
        SceneObject("y0", ObjectKind.SURFACE, "metal", *wall_mesh((0, 0), (width, 0), 0.0, height)),
        SceneObject("x6", ObjectKind.SURFACE, "metal", *wall_mesh((width, 0), (width, depth), 0.0, height)),
        SceneObject("y4", ObjectKind.SURFACE, "metal", *wall_mesh((width, depth), (0, depth), 0.0, height)),
        SceneObject("x0", ObjectKind.SURFACE, "metal", *wall_mesh((0, depth), (0, 0), 0.0, height)),
        SceneObject("crate", ObjectKind.SOLID, "metal", *box_mesh((1, 1, 1), (3, 2, 0.5))),
    ]
    scene = scene_of(*objects)
    engine = RayEngine(scene)
    tx, rx = np.array([1.2, 0.9, 1.1]), np.array([4.7, 3.1, 2.2])
    paths, _ = PathTracer(scene, engine, F).trace(tx, rx[None], max_depth=2)
    found = sorted(paths.length_m[paths.depth == 2].round(9).tolist())

    # Planes as (normal, offset, box low, box high, solid); the crate's faces (outward normals)
    # reflect on their outside only.
    walls = [((0, 0, 1), 0.0), ((0, 0, 1), height), ((0, 1, 0), 0.0), ((1, 0, 0), width), ((0, 1, 0), depth), ((1, 0, 0), 0.0)]
    crate = [((0, 0, 1), 1.0), ((-1, 0, 0), -2.5), ((1, 0, 0), 3.5), ((0, -1, 0), -1.5), ((0, 1, 0), 2.5)]
    planes = [(np.array(n, float), o, (0, 0, 0), (width, depth, height), False) for n, o in walls]
    planes += [(np.array(n, float), o, (2.5, 1.5, 0), (3.5, 2.5, 1), True) for n, o in crate]

    def mirror(point, plane):
        normal, offset = plane[0], plane[1]
        return point - 2 * (normal @ point - offset) * normal

    def clear(a, b):
        vector = b - a
        length = np.linalg.norm(vector)
        hits = engine.first_hit((a + 1e-6 * vector / length)[None], vector[None], length - 2e-6)
        return not hits.hit[0]

    expected = []
    for i, first in enumerate(planes):
        for j, second in enumerate(planes):
            if i == j:
                continue
            image1 = mirror(tx, first)
            image2 = mirror(image1, second)
            points = [rx]
            for image, plane in ((image2, second), (image1, first)):
                normal, offset, low, high, _ = plane
                start = points[-1]
                t = (offset - normal @ start) / (normal @ (image - start))
                point = start + t * (image - start)
                inside = 0 < t < 1 and np.all(point >= np.array(low) - 1e-9) and np.all(point <= np.array(high) + 1e-9)
                points.append(point if inside else None)
                if not inside:
                    break
            if points[-1] is None or len(points) < 3:
                continue
            chain = [tx, points[2], points[1], rx]
            outward_ok = all(not plane[4] or (plane[0] @ chain[k] - plane[1]) > 0
                             for k, plane in ((0, first), (1, second)))
            if outward_ok and all(clear(chain[k], chain[k + 1]) for k in range(3)):
                expected.append(round(float(sum(np.linalg.norm(chain[k + 1] - chain[k]) for k in range(3))), 9))
    assert found == sorted(expected)
    assert len(found) == 12
