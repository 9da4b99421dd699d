from dataclasses import replace

from radio_scenes import scene_of, surface_plane

from twinloc.model.devices import AccessPoint, Anchor
from twinloc.radio.transmitters import ANCHOR_FREQUENCY_HZ, ANCHOR_POWER_DBM, Transmitter, transmitters_of


def test_enabled_access_points_then_enabled_anchors_with_their_own_or_overridden_settings():
    scene = replace(
        scene_of(surface_plane("floor", (10, 10), (5, 5, 0))),
        anchors=(Anchor("A1", (1.0, 1.0, 2.0)), Anchor("off", (2.0, 1.0, 2.0), enabled=False)),
        access_points=(AccessPoint("AP1", (3.0, 3.0, 2.5), 5.2e9, 17.0), AccessPoint("AP2", (4.0, 3.0, 2.5), enabled=False)),
    )
    assert transmitters_of(scene) == (
        Transmitter("AP1", (3.0, 3.0, 2.5), 5.2e9, 17.0),
        Transmitter("A1", (1.0, 1.0, 2.0), ANCHOR_FREQUENCY_HZ, ANCHOR_POWER_DBM),
    )
    overridden = transmitters_of(scene, frequency_hz=2.4e9, power_dbm=10.0)
    assert [(t.frequency_hz, t.power_dbm) for t in overridden] == [(2.4e9, 10.0), (2.4e9, 10.0)]
