"""Complex relative permittivity of radio materials (ITU-R P.2040, Section 2.1.4).

A material with ITU parameters (a, b, c, d) has, at a frequency f in GHz, the real relative
permittivity eta' = a * f**b and the conductivity sigma = c * f**d S/m, and so the complex
relative permittivity eta = eta' - j * sigma / (eps0 * omega), as Sionna RT computes it. The
material's ``relative_permittivity`` stands for a (the presets keep both equal), so a
project that edits a material's permittivity changes its radio maps as it changes its UWB
maps. A material defined by numbers alone has its real permittivity and no conductivity,
except an opaque one, which conducts like ITU metal. Outside a material's validity range its
parameters are undefined and the frequency is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from scipy.constants import epsilon_0, speed_of_light

from twinloc.geometry.materials import Material

#: Conductivity, S/m, of an opaque material given by numbers alone: ITU-R P.2040's metal.
METAL_CONDUCTIVITY_S_PER_M = 1e7


def wavelength_m(frequency_hz: float) -> float:
    """Free-space wavelength, metres, at ``frequency_hz``."""
    return speed_of_light / frequency_hz


def permittivity_and_conductivity(material: Material, frequency_hz: float) -> tuple[float, float]:
    """(real relative permittivity, conductivity S/m) of ``material`` at ``frequency_hz``.

    Raises
    ------
    ValueError
        ``frequency_hz`` lies outside the material's validity range (the message names the
        material and the range).
    """
    check_frequency((material,), frequency_hz)
    if material.itu is None:
        return material.relative_permittivity, (METAL_CONDUCTIVITY_S_PER_M if material.opaque else 0.0)
    _, b, c, d = material.itu
    f_ghz = frequency_hz / 1e9
    return material.relative_permittivity * f_ghz**b, c * f_ghz**d


def complex_relative_permittivity(material: Material, frequency_hz: float) -> complex:
    """eta = eta' - j sigma / (eps0 omega) of ``material`` at ``frequency_hz`` (see the module)."""
    real, sigma = permittivity_and_conductivity(material, frequency_hz)
    return complex(real, -sigma / (epsilon_0 * 2.0 * math.pi * frequency_hz))


def check_frequency(materials: Iterable[Material], frequency_hz: float) -> None:
    """Refuse a frequency outside the validity range of any of ``materials``.

    Raises
    ------
    ValueError
        Naming the first such material and its range, e.g. "material 'floorboard' is
        defined from 50 to 100 GHz (ITU-R P.2040), not at 2.4 GHz".
    """
    if not (math.isfinite(frequency_hz) and frequency_hz > 0.0):
        raise ValueError(f"frequency must be a positive number of Hz, got {frequency_hz!r}")
    f_ghz = frequency_hz / 1e9
    for material in materials:
        if material.frequency_range_ghz is None:
            continue
        low, high = material.frequency_range_ghz
        if not low <= f_ghz <= high:
            raise ValueError(
                f"material {material.name!r} is defined from {low:g} to {high:g} GHz (ITU-R P.2040), "
                f"not at {f_ghz:g} GHz"
            )
