"""Radio materials: relative permittivity, ITU-R P.2040 parameters, thickness of thin surfaces, display colour."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: Thickest material a thin surface may stand for, metres: beyond it the surface is a
#: block and should be a solid.
MAX_THICKNESS_M = 100.0


@dataclass(frozen=True)
class Material:
    """A radio material.

    relative_permittivity : real part of the relative permittivity (ITU-R P.2040), >= 1.
    thickness_m : metres, 0 to MAX_THICKNESS_M; the thickness a thin surface of this material stands for.
    color : "#rrggbb" display colour.
    opaque : True for metal: a link through it carries no range.
    preset : the ITU-R P.2040 preset it was made from (``resources/materials.json``), or None
        for a material defined by its numbers alone.
    itu : (a, b, c, d) of ITU-R P.2040 Table 3: relative permittivity a * f_GHz**b, conductivity
        c * f_GHz**d S/m; None for a material defined by its numbers alone (real permittivity,
        no conductivity). See ``twinloc.radio.itu``.
    frequency_range_ghz : (lowest, highest) GHz over which ``itu`` is valid; given with ``itu``.
    """

    name: str
    relative_permittivity: float
    thickness_m: float = 0.1
    color: str = "#b0b0b0"
    opaque: bool = False
    preset: str | None = None
    itu: tuple[float, float, float, float] | None = None
    frequency_range_ghz: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("material name must not be empty")
        if not (math.isfinite(self.relative_permittivity) and self.relative_permittivity >= 1.0):
            raise ValueError(
                f"material {self.name!r}: relative permittivity must be a finite number >= 1, "
                f"got {self.relative_permittivity!r}"
            )
        if not (math.isfinite(self.thickness_m) and 0.0 <= self.thickness_m <= MAX_THICKNESS_M):
            raise ValueError(f"material {self.name!r}: thickness must be 0 to {MAX_THICKNESS_M:g} m, got {self.thickness_m!r}")
        if not (isinstance(self.color, str) and len(self.color) == 7 and self.color.startswith("#")):
            raise ValueError(f"material {self.name!r}: colour must be '#rrggbb', got {self.color!r}")
        if (self.itu is None) != (self.frequency_range_ghz is None):
            raise ValueError(f"material {self.name!r}: ITU parameters and their frequency range go together")
        if self.itu is not None:
            if len(self.itu) != 4 or not all(math.isfinite(value) for value in self.itu) or self.itu[0] < 1.0 or self.itu[2] < 0.0:
                raise ValueError(f"material {self.name!r}: ITU parameters must be four finite numbers (a >= 1, c >= 0), got {self.itu!r}")
            low, high = self.frequency_range_ghz
            if not (math.isfinite(low) and math.isfinite(high) and 0.0 < low < high):
                raise ValueError(f"material {self.name!r}: frequency range must be 0 < low < high GHz, got {self.frequency_range_ghz!r}")

    @property
    def excess_path_factor(self) -> float:
        """sqrt(eps_r) - 1: excess path per metre travelled through this material."""
        return math.sqrt(self.relative_permittivity) - 1.0


def presets_path() -> Path:
    """Path of the shipped ITU-R P.2040 materials table."""
    from twinloc._paths import resources_dir

    return resources_dir() / "materials.json"


@lru_cache(maxsize=1)
def material_presets() -> dict[str, Material]:
    """The ITU-R P.2040 presets shipped in resources/materials.json, by name."""
    data = json.loads(presets_path().read_text(encoding="utf-8"))
    return {
        entry["name"]: Material(
            name=entry["name"],
            relative_permittivity=float(entry["relative_permittivity"]),
            thickness_m=float(entry["thickness_m"]),
            color=entry["color"],
            opaque=bool(entry.get("opaque", False)),
            preset=entry["name"],
            itu=_itu_parameters(entry.get("itu")),
            frequency_range_ghz=tuple(float(v) for v in entry["frequency_ghz"]) if "frequency_ghz" in entry else None,
        )
        for entry in data["materials"]
    }


def _itu_parameters(entry: dict | None) -> tuple[float, float, float, float] | None:
    return None if entry is None else tuple(float(entry[key]) for key in "abcd")
