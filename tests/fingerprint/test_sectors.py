"""Sectors of a base station and seed 003's sector rotation, against hand-worked geometry."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from twinloc.cancellation import CancelToken
from twinloc.compute.csi_jobs import csi_dataset_job
from twinloc.fingerprint.csi_dataset import CsiSettings, open_csi_dataset, write_csi_dataset
from twinloc.fingerprint.sectors import (
    dataset_sectors, local_azimuth, rotate_about, rotated_copies, sector_of, sector_rotation_applicability,
)
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.materials import material_presets
from twinloc.geometry.primitives import box_mesh, plane_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Region, RegionType, Scene, SceneObject
from twinloc.model.devices import BaseStation
from twinloc.radio.channel import AntennaArray, OfdmBand
from twinloc.radio.radiomap import MultipathFeatures, RadioSettings
from twinloc.radio.transmitters import Transmitter

SPEED_OF_LIGHT = 299_792_458.0


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


def _direct_path(point, station) -> dict[str, float]:
    """The line-of-sight path from ``station`` to ``point`` by hand: delay, and the directions
    from the station (departure) and from the point back to the station (arrival)."""
    dx, dy, dz = (p - s for p, s in zip(point, station))
    across = math.hypot(dx, dy)
    return {"delay_s": math.dist(point, station) / SPEED_OF_LIGHT, "power_db": -62.0, "phase_rad": 0.7,
            "aoa_azimuth_rad": math.atan2(-dy, -dx), "aoa_elevation_rad": math.atan2(-dz, across),
            "aod_azimuth_rad": math.atan2(dy, dx), "aod_elevation_rad": math.atan2(dz, across)}


def test_a_single_path_turned_by_a_sector_has_the_same_channel_in_its_sectors_frame(tmp_path):
    """Closed form: the point (2, 5) seen from a station at the origin and its copy turned by 120
    degrees have the same delay and AoD azimuths 120 degrees apart; each sample's channel in its
    own sector's array frame is a e^{j phi} e^{-j 2 pi f_s tau} e^{j pi n cos(el) cos(az0)} with
    az0 = atan2(5, 2), the azimuth seen by sector 0, for both."""
    station = (0.0, 0.0, 3.0)
    point = (2.0, 5.0, 1.0)
    turned = (2.0 * math.cos(2 * math.pi / 3) - 5.0 * math.sin(2 * math.pi / 3),
              2.0 * math.sin(2 * math.pi / 3) + 5.0 * math.cos(2 * math.pi / 3), 1.0)
    paths = [_direct_path(point, station), _direct_path(turned, station)]
    assert paths[1]["delay_s"] == pytest.approx(paths[0]["delay_s"], rel=1e-12)
    features = MultipathFeatures(**{name: np.array([[p[name]] for p in paths]) for name in paths[0]})
    array, band = AntennaArray(1, 8), OfdmBand(3.5e9, 100e6, 32)
    out = tmp_path / "sectors.npz"
    settings = CsiSettings(array, band, delay_bins=8, keep_csi=True, sectors=3)
    write_csi_dataset(out, [point, turned], features, settings, {"base_station_position_m": list(station)},
                      sector=sector_of(np.array([point, turned]), station, 3))
    stored = open_csi_dataset(out).take([0, 1])
    assert stored["sector"].tolist() == [0, 1]

    delay, elevation, azimuth = paths[0]["delay_s"], paths[0]["aod_elevation_rad"], math.atan2(5.0, 2.0)
    spacing = band.bandwidth_hz / band.subcarriers
    by_hand = np.array([[10 ** (-62 / 20) * np.exp(1j * 0.7) * np.exp(-2j * math.pi * (s - 16) * spacing * delay)
                         * np.exp(1j * math.pi * n * math.cos(elevation) * math.cos(azimuth))
                         for s in range(32)] for n in range(8)])
    for sample in range(2):
        np.testing.assert_allclose(stored["csi"][sample], by_hand, rtol=0, atol=1e-6 * np.abs(by_hand).max())
    # The stored azimuths are the sector's own: departure az0, arrival az0 + 180 degrees.
    np.testing.assert_allclose(stored["multipath"][:, 0, 5], [azimuth, azimuth], atol=1e-6)
    np.testing.assert_allclose(stored["multipath"][:, 0, 3], [azimuth - math.pi, azimuth - math.pi], atol=1e-6)


def test_the_twins_channel_at_a_point_and_its_turned_copies_agree_in_sector_hall(tmp_path):
    """Traced in the shipped symmetric hall (reflections too), each sector sees the same channel."""
    centre = (12.0, 12.0)
    points = np.array([[13.0, 17.0, 1.0], [9.0, 14.5, 1.0]])
    every = np.vstack([points] + [rotate_about(points, centre, turn * 2 * math.pi / 3) for turn in (1, 2)])
    settings = CsiSettings(AntennaArray(1, 8), OfdmBand(3.5e9, 100e6, 64), delay_bins=16, sectors=3)
    job = csi_dataset_job(load_scene("sector_hall"), Transmitter("BS1", (*centre, 3.5), 3.5e9, 0.0),
                          str(tmp_path / "hall.npz"), settings, RadioSettings(max_depth=2), points=every)
    result = job.function(lambda fraction, text: None, CancelToken())
    assert result.sector_rotation["applies"]
    dataset = open_csi_dataset(tmp_path / "hall.npz")
    images = dataset.take(range(6))["angle_delay"]
    for first in range(2):
        for copy in (first + 2, first + 4):
            np.testing.assert_allclose(images[copy], images[first], atol=1e-2 * images[first].max())
    sectors = dataset_sectors(dataset)
    assert sectors.sector.tolist() == [0, 0, 1, 1, 2, 2]
    assert sectors.count == 3 and sectors.centre == centre and sectors.rotation.applies


def test_a_dataset_of_one_sector_has_no_sectors(tmp_path):
    point = (2.0, 5.0, 1.0)
    path = _direct_path(point, (0.0, 0.0, 3.0))
    features = MultipathFeatures(**{name: np.array([[value]]) for name, value in path.items()})
    write_csi_dataset(tmp_path / "one.npz", [point], features, CsiSettings(AntennaArray(1, 4), OfdmBand(3.5e9, 1e8, 8)), {})
    dataset = open_csi_dataset(tmp_path / "one.npz")
    assert "sector" not in dataset.names and dataset_sectors(dataset) is None
    with pytest.raises(ValueError, match="needs the sector of each"):
        write_csi_dataset(tmp_path / "three.npz", [point], features,
                          CsiSettings(AntennaArray(1, 4), OfdmBand(3.5e9, 1e8, 8), sectors=3), {})

