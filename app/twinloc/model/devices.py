"""Radio devices placed in a scene: UWB anchors, base stations and (Wi-Fi, BLE) access points."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

#: Largest coordinate, metres, that scenes, projects and measurement files may give a
#: position (100 km of the origin). Rays are traced in single precision, which still
#: resolves 8 mm at 100 km; farther out a value is a mistake (or a georeferenced model
#: that must be moved near the origin), not a place in a building.
MAX_COORDINATE_M = 1e5
#: Longest name of a device, characters (a label in the 3D view and a cell of the anchor table).
MAX_NAME_LENGTH = 200
#: Carrier frequencies an access point may have, hertz: 100 MHz to 100 GHz (BLE, Wi-Fi, UWB and mmWave lie inside).
MIN_FREQUENCY_HZ, MAX_FREQUENCY_HZ = 1e8, 1e11
#: Transmit powers an access point may have, dBm (EIRP): -50 dBm (a whisper of a beacon) to 60 dBm (1 kW).
MIN_POWER_DBM, MAX_POWER_DBM = -50.0, 60.0


@dataclass(frozen=True)
class Anchor:
    """A UWB anchor.

    position : (x, y, z) metres, scene coordinates.
    """

    name: str
    position: tuple[float, float, float]
    enabled: bool = True

    def __post_init__(self) -> None:
        _check_device(self.name, self.position, "anchor")

    def moved_to(self, position: tuple[float, float, float]) -> Anchor:
        return replace(self, position=tuple(float(c) for c in position))


@dataclass(frozen=True)
class BaseStation:
    """A base station that measures angle of arrival (and propagation time).

    position : (x, y, z) metres, scene coordinates.
    """

    name: str
    position: tuple[float, float, float]
    enabled: bool = True

    def __post_init__(self) -> None:
        _check_device(self.name, self.position, "base station")

    def moved_to(self, position: tuple[float, float, float]) -> BaseStation:
        return replace(self, position=tuple(float(c) for c in position))


@dataclass(frozen=True)
class AccessPoint:
    """A transmitter whose signal strength is fingerprinted: a Wi-Fi access point, a BLE beacon.

    position : (x, y, z) metres, scene coordinates.
    frequency_hz : carrier frequency, hertz (MIN_FREQUENCY_HZ to MAX_FREQUENCY_HZ).
    power_dbm : transmit power into an isotropic antenna (EIRP), dBm (MIN_POWER_DBM to MAX_POWER_DBM).
    """

    name: str
    position: tuple[float, float, float]
    frequency_hz: float = 2.4e9
    power_dbm: float = 20.0
    enabled: bool = True

    def __post_init__(self) -> None:
        _check_device(self.name, self.position, "access point")
        if not _is_number(self.frequency_hz) or not MIN_FREQUENCY_HZ <= self.frequency_hz <= MAX_FREQUENCY_HZ:
            raise ValueError(
                f"access point {self.name!r}: frequency must be {MIN_FREQUENCY_HZ / 1e9:g} to "
                f"{MAX_FREQUENCY_HZ / 1e9:g} GHz, got {self.frequency_hz!r} Hz"
            )
        if not _is_number(self.power_dbm) or not MIN_POWER_DBM <= self.power_dbm <= MAX_POWER_DBM:
            raise ValueError(
                f"access point {self.name!r}: transmit power must be {MIN_POWER_DBM:g} to {MAX_POWER_DBM:g} dBm, "
                f"got {self.power_dbm!r}"
            )

    def moved_to(self, position: tuple[float, float, float]) -> AccessPoint:
        return replace(self, position=tuple(float(c) for c in position))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_device(name: str, position: tuple[float, float, float], what: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{what} name must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{what} name must have at most {MAX_NAME_LENGTH} characters, got {len(name):,}")
    if len(position) != 3 or not all(isinstance(c, (int, float)) and math.isfinite(c) for c in position):
        raise ValueError(f"{what} {name!r}: position must be three finite numbers, got {position!r}")
