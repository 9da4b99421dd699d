import cmath
import math

import numpy as np
import pytest

from twinloc.radio import fresnel


def test_half_space_at_normal_incidence_is_the_impedance_step():
    eta = complex(5.24, -0.69)
    r_te, r_tm = fresnel.half_space(np.array([1.0]), eta)
    n = cmath.sqrt(eta)
    assert r_te[0] == pytest.approx((1 - n) / (1 + n))
    assert r_tm[0] == pytest.approx(-(1 - n) / (1 + n))


def test_half_space_tm_vanishes_at_brewster_angle_of_a_lossless_material():
    eps = 4.0
    brewster = math.atan(math.sqrt(eps))
    _, r_tm = fresnel.half_space(np.array([math.cos(brewster)]), eps)
    assert abs(r_tm[0]) < 1e-12


def test_slab_of_zero_thickness_is_transparent():
    r_te, r_tm, t_te, t_tm = fresnel.slab(np.array([0.3, 1.0]), complex(3.0, -0.2), 0.0, 0.125)
    assert np.allclose(r_te, 0) and np.allclose(r_tm, 0)
    assert np.allclose(t_te, 1) and np.allclose(t_tm, 1)


def test_lossless_slab_conserves_power():
    cos_theta = np.array([1.0, 0.8, 0.3])
    r_te, r_tm, t_te, t_tm = fresnel.slab(cos_theta, 6.31, 0.05, 0.125)
    assert np.allclose(abs(r_te) ** 2 + abs(t_te) ** 2, 1.0)
    assert np.allclose(abs(r_tm) ** 2 + abs(t_tm) ** 2, 1.0)


def test_slab_at_normal_incidence_against_the_slab_formula_by_hand():
    eta, d, wavelength = complex(5.24, -0.69), 0.2, 0.125
    n = cmath.sqrt(eta)
    r = (1 - n) / (1 + n)
    q = 2 * math.pi * d / wavelength * n
    expected_t = (1 - r**2) * cmath.exp(-1j * q) / (1 - r**2 * cmath.exp(-2j * q))
    expected_r = r * (1 - cmath.exp(-2j * q)) / (1 - r**2 * cmath.exp(-2j * q))
    r_te, _, t_te, t_tm = fresnel.slab(np.array([1.0]), eta, d, wavelength)
    assert t_te[0] == pytest.approx(expected_t) and t_tm[0] == pytest.approx(expected_t)
    assert r_te[0] == pytest.approx(expected_r)
