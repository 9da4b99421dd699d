"""Radio devices placed in a scene: UWB anchors and base stations."""

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


def _check_device(name: str, position: tuple[float, float, float], what: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{what} name must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{what} name must have at most {MAX_NAME_LENGTH} characters, got {len(name):,}")
    if len(position) != 3 or not all(isinstance(c, (int, float)) and math.isfinite(c) for c in position):
        raise ValueError(f"{what} {name!r}: position must be three finite numbers, got {position!r}")
