"""Sectors of a base station and seed 003's sector rotation, against hand-worked geometry."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from twinloc.fingerprint.sectors import (
    local_azimuth, rotate_about, rotated_copies, sector_of, sector_rotation_applicability,
)
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.materials import material_presets
from twinloc.geometry.primitives import box_mesh, plane_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Region, RegionType, Scene, SceneObject
from twinloc.model.devices import BaseStation


def square_room(extra=()) -> Scene:
    """A 10 m x 10 m concrete room, 3 m high, its centre (5, 5) a base station: 4-fold symmetric."""
    corners = [(0, 0), (10, 0), (10, 10), (0, 10)]
    walls = [SceneObject(f"wall {i}", ObjectKind.SURFACE, "concrete", *wall_mesh(a, b, 0.0, 3.0))
             for i, (a, b) in enumerate(zip(corners, corners[1:] + corners[:1]))]
    floor = SceneObject("floor", ObjectKind.SURFACE, "concrete", *plane_mesh((10, 10), (5, 5, 0)))
    ceiling = SceneObject("ceiling", ObjectKind.SURFACE, "concrete", *plane_mesh((10, 10), (5, 5, 3)))
    presets = material_presets()
    return Scene(name="square room", objects=(floor, ceiling, *walls, *extra),
                 materials={"concrete": presets["concrete"], "metal": presets["metal"]},
                 regions=(Region("room", RegionType.EVALUATION, np.array(corners, dtype=float)),),
                 base_stations=(BaseStation("BS1", (5.0, 5.0, 2.5)),))


def test_the_shipped_sector_hall_is_three_fold_symmetric_about_its_base_station():
    found = sector_rotation_applicability(load_scene("sector_hall"), "BS1", 3)
    assert found.applies and found.sectors == 3
    assert "3-fold symmetric about BS1" in found.reason


@pytest.mark.parametrize("scene, station", [("wifi_hall", "AP01"), ("uwb_hall", "A1"), ("industrial_hall", "BS1")])
def test_halls_not_built_round_their_device_are_refused_with_the_share_that_differs(scene, station):
    found = sector_rotation_applicability(load_scene(scene), station, 3)
    assert not found.applies
    assert f"is not 3-fold symmetric about {station}" in found.reason
    assert "after a 120° turn" in found.reason
    share = float(found.reason.split("% of")[0].rsplit(" ", 1)[1])
    assert share > 50.0  # a corner device sees the hall turn away from it almost everywhere


def test_a_square_room_has_two_and_four_sectors_but_not_three():
    room = square_room()
    assert sector_rotation_applicability(room, "BS1", 2).applies
    assert sector_rotation_applicability(room, "BS1", 4).applies
    assert not sector_rotation_applicability(room, "BS1", 3).applies


def test_a_box_in_one_quarter_breaks_the_symmetry_its_copies_restore():
    def box(name, centre):
        return SceneObject(name, ObjectKind.SOLID, "metal", *box_mesh((1.0, 1.0, 2.0), (*centre, 1.0)))

    lone = square_room([box("box", (7.5, 5.0))])
    assert not sector_rotation_applicability(lone, "BS1", 4).applies
    # The same box turned by 90, 180 and 270 degrees about (5, 5) makes the room 4-fold symmetric again.
    four = square_room([box("box", (7.5, 5.0)), box("box 2", (5.0, 7.5)), box("box 3", (2.5, 5.0)),
                        box("box 4", (5.0, 2.5))])
    assert sector_rotation_applicability(four, "BS1", 4).applies
    # Materials count as well as shapes: the fourth box of wood is not the metal one turned.
    wooden = dataclasses.replace(four, objects=four.objects[:-1] + (dataclasses.replace(four.objects[-1], material="wood"),),
                                 materials={**four.materials, "wood": material_presets()["wood"]})
    assert not sector_rotation_applicability(wooden, "BS1", 4).applies


def test_unknown_station_and_one_sector_are_explained():
    room = square_room()
    assert sector_rotation_applicability(room, "BS9", 3).reason == "square room has no base station called 'BS9'"
    single = sector_rotation_applicability(room, "BS1", 1)
    assert not single.applies and "one sector" in single.reason
    with pytest.raises(ValueError, match="sectors must be"):
        sector_rotation_applicability(room, "BS1", 13)


def test_sectors_are_the_azimuths_within_half_a_sector_of_each_bisector():
    centre = (5.0, 5.0)
    # Bisectors of 3 sectors: 90, 210, 330 degrees; boundaries 30, 150, 270 degrees.
    azimuths = np.radians([90, 149, 151, 210, 269, 271, 330, 29, 31])
    points = np.column_stack([5 + 2 * np.cos(azimuths), 5 + 2 * np.sin(azimuths)])
    assert sector_of(points, centre, 3).tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 0]


def test_rotated_copies_turn_each_label_into_every_other_sector():
    centre = (1.0, 2.0)
    source, positions, sector = rotated_copies([[1.0, 5.0, 1.5]], [0], centre, 3)
    assert source.tolist() == [0, 0]
    assert sector.tolist() == [1, 2]
    # (0, 3) from the centre turned by 120 and 240 degrees: (-3 sin 120, 3 cos 120), (-3 sin 240, 3 cos 240).
    expected = [[1 - 3 * math.sin(math.radians(120)), 2 + 3 * math.cos(math.radians(120)), 1.5],
                [1 - 3 * math.sin(math.radians(240)), 2 + 3 * math.cos(math.radians(240)), 1.5]]
    np.testing.assert_allclose(positions, expected, atol=1e-12)
    assert sector_of(positions, centre, 3).tolist() == [1, 2]


def test_local_azimuth_turns_back_by_the_sector_and_wraps():
    turned = local_azimuth(np.array([[math.radians(200), np.nan]]), np.array([2]), 3)  # 200 - 240 = -40 degrees
    np.testing.assert_allclose(turned[0, 0], math.radians(-40))
    assert np.isnan(turned[0, 1])
    np.testing.assert_allclose(local_azimuth(np.array([[math.radians(-170)]]), np.array([1]), 3),
                               [[math.radians(70)]])  # -170 - 120 = -290 = 70 degrees
    np.testing.assert_allclose(rotate_about([[2.0, 0.0]], (0.0, 0.0), math.pi / 2), [[0.0, 2.0]], atol=1e-12)
