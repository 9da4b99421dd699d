"""Mounting regions the user draws: where the layout optimizer may put anchors.

A scene ships its own mounting regions (:class:`twinloc.geometry.scene.Region` of type
MOUNTING); these are the project's additions, kept with the project and drawn in the GUI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MountingRegion:
    """A user-drawn mounting region.

    name : unique among the project's and the scene's mounting regions.
    polygon : ((x, y), ...) metres; a closed polygon on a horizontal plane (ceiling, floor;
        K >= 3 vertices), or a polyline along walls (K >= 2) when ``is_polyline`` is set.
    z_range_m : (zmin, zmax) metres; anchors are mounted at the middle of the range.
    is_polyline : True for a wall band, False for an area.

    Raises
    ------
    ValueError
        An empty name, too few vertices, a non-finite coordinate or an inverted height range.
    """

    name: str
    polygon: tuple[tuple[float, float], ...]
    z_range_m: tuple[float, float]
    is_polyline: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("a mounting region needs a name")
        polygon = tuple((float(x), float(y)) for x, y in self.polygon)
        least = 2 if self.is_polyline else 3
        if len(polygon) < least:
            kind = "wall band" if self.is_polyline else "area"
            raise ValueError(f"mounting region {self.name!r}: a {kind} needs at least {least} vertices, got {len(polygon)}")
        if not all(math.isfinite(c) for point in polygon for c in point):
            raise ValueError(f"mounting region {self.name!r}: vertices must be finite numbers of metres")
        low, high = (float(z) for z in self.z_range_m)
        if not (math.isfinite(low) and math.isfinite(high) and low <= high):
            raise ValueError(f"mounting region {self.name!r}: z range must be finite with zmin <= zmax, got {self.z_range_m!r}")
        object.__setattr__(self, "polygon", polygon)
        object.__setattr__(self, "z_range_m", (low, high))
        object.__setattr__(self, "is_polyline", bool(self.is_polyline))

    @property
    def height_m(self) -> float:
        """The mounting height: the middle of ``z_range_m``, metres."""
        return 0.5 * (self.z_range_m[0] + self.z_range_m[1])
