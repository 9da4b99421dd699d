"""Fresnel reflection and transmission coefficients, TE and TM, for a wave arriving from air.

``half_space`` is the reflection off a solid: an interface to a material filling the space
behind it. ``slab`` is a wall of given thickness with its multiple internal reflections
(ITU-R P.2040, Eqs. 43-44), exactly as Sionna RT computes it for every surface it meets
(``sionna.rt.utils.itu_coefficients_single_layer_slab``). TE is the field component
perpendicular to the plane of incidence, TM the one in it; the sign convention of the TM
coefficient is Sionna's (Eq. 37b): at normal incidence r_TM = -r_TE.
"""

from __future__ import annotations

import numpy as np


def half_space(cos_theta, eta) -> tuple[np.ndarray, np.ndarray]:
    """Reflection coefficients off a half-space of complex relative permittivity ``eta``.

    Parameters
    ----------
    cos_theta : (N,) float, cosine of the angle of incidence (to the normal), 0 to 1.
    eta : complex or (N,) complex, relative permittivity eta' - j sigma/(eps0 omega).

    Returns
    -------
    r_te, r_tm : (N,) complex128
    """
    cos_theta = np.asarray(cos_theta, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.complex128)
    root = np.sqrt(eta - (1.0 - cos_theta**2))
    r_te = (cos_theta - root) / (cos_theta + root)
    r_tm = (eta * cos_theta - root) / (eta * cos_theta + root)
    return r_te, r_tm


def slab(cos_theta, eta, thickness_m, wavelength_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reflection and transmission coefficients of a slab in air.

    Parameters
    ----------
    cos_theta : (N,) float, cosine of the angle of incidence, 0 to 1.
    eta : complex or (N,) complex, relative permittivity of the slab.
    thickness_m : float or (N,) float, metres, measured along the slab's normal.
    wavelength_m : float, free-space wavelength, metres.

    Returns
    -------
    r_te, r_tm, t_te, t_tm : (N,) complex128
        The transmitted field is referred to the same point as the incident one would reach
        without the slab (Sionna's convention: the path length through the slab is counted
        as through air, the slab's own phase and loss are in t).
    """
    cos_theta = np.asarray(cos_theta, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.complex128)
    q = 2.0 * np.pi * np.asarray(thickness_m, dtype=np.float64) / wavelength_m * np.sqrt(eta - (1.0 - cos_theta**2))
    r_te_face, r_tm_face = half_space(cos_theta, eta)
    once = np.exp(-1j * q)
    twice = once * once
    denominator_te = 1.0 - r_te_face**2 * twice
    denominator_tm = 1.0 - r_tm_face**2 * twice
    return (
        r_te_face * (1.0 - twice) / denominator_te,
        r_tm_face * (1.0 - twice) / denominator_tm,
        (1.0 - r_te_face**2) * once / denominator_te,
        (1.0 - r_tm_face**2) * once / denominator_tm,
    )
