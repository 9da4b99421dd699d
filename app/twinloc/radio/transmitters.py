"""The transmitters of a radio map: a scene's access points and UWB anchors."""

from __future__ import annotations

import math
from dataclasses import dataclass

from twinloc.geometry.scene import Scene

#: Carrier frequency, Hz, of a UWB anchor unless overridden (channel 5 is centred at 6.4896 GHz).
ANCHOR_FREQUENCY_HZ = 6.5e9
#: Transmit power, dBm, of a UWB anchor unless overridden.
ANCHOR_POWER_DBM = 0.0


@dataclass(frozen=True)
class Transmitter:
    """One transmitter of a radio map.

    position : (x, y, z) metres. frequency_hz : carrier, Hz. power_dbm : transmit power, dBm.
    """

    name: str
    position: tuple[float, float, float]
    frequency_hz: float
    power_dbm: float

    def __post_init__(self) -> None:
        if len(self.position) != 3 or not all(math.isfinite(c) for c in self.position):
            raise ValueError(f"transmitter {self.name!r}: position must be three finite numbers, got {self.position!r}")
        if not (math.isfinite(self.frequency_hz) and self.frequency_hz > 0.0):
            raise ValueError(f"transmitter {self.name!r}: frequency must be positive, got {self.frequency_hz!r} Hz")
        if not math.isfinite(self.power_dbm):
            raise ValueError(f"transmitter {self.name!r}: power must be finite, got {self.power_dbm!r} dBm")


def transmitters_of(scene: Scene, frequency_hz: float | None = None, power_dbm: float | None = None) -> tuple[Transmitter, ...]:
    """The enabled access points of ``scene`` (their own frequency and power), then its enabled
    anchors (ANCHOR_FREQUENCY_HZ, ANCHOR_POWER_DBM); ``frequency_hz`` / ``power_dbm`` override
    every transmitter's when given."""
    found = [
        Transmitter(point.name, tuple(float(c) for c in point.position),
                    point.frequency_hz if frequency_hz is None else frequency_hz,
                    point.power_dbm if power_dbm is None else power_dbm)
        for point in getattr(scene, "access_points", ()) if point.enabled
    ]
    found += [
        Transmitter(anchor.name, tuple(float(c) for c in anchor.position),
                    ANCHOR_FREQUENCY_HZ if frequency_hz is None else frequency_hz,
                    ANCHOR_POWER_DBM if power_dbm is None else power_dbm)
        for anchor in scene.anchors if anchor.enabled
    ]
    return tuple(found)
