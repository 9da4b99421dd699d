import math

import pytest
from radio_scenes import EPSILON_0, concrete_eta

from twinloc.geometry.materials import Material, material_presets
from twinloc.radio.itu import check_frequency, complex_relative_permittivity, permittivity_and_conductivity


def test_concrete_at_2_4_ghz_from_the_table_by_hand():
    # sigma = 0.0462 * 2.4^0.7822 = 0.09163 S/m; eta'' = sigma / (eps0 * 2 pi * 2.4e9) = 0.6863
    eta = complex_relative_permittivity(material_presets()["concrete"], 2.4e9)
    assert eta == pytest.approx(concrete_eta(2.4e9), rel=1e-12)
    assert eta.real == 5.24
    assert eta.imag == pytest.approx(-0.6863, abs=1e-4)


def test_conductivity_follows_c_f_to_the_d():
    _, sigma = permittivity_and_conductivity(material_presets()["glass"], 5e9)
    assert sigma == pytest.approx(0.0036 * 5.0**1.3394, rel=1e-12)


def test_presets_keep_today_s_permittivity_as_a():
    for material in material_presets().values():
        assert material.itu is not None and material.relative_permittivity == material.itu[0]
        assert material.itu[1] == 0.0


def test_metal_is_a_very_good_conductor():
    eta = complex_relative_permittivity(material_presets()["metal"], 2.4e9)
    assert eta.imag == pytest.approx(-1e7 / (EPSILON_0 * 2 * math.pi * 2.4e9))


def test_material_by_numbers_has_no_conductivity():
    assert complex_relative_permittivity(Material("custom", 4.0), 2.4e9) == complex(4.0, 0.0)


def test_frequency_outside_the_validity_range_is_refused_naming_material_and_range():
    with pytest.raises(ValueError, match=r"material 'floorboard' is defined from 50 to 100 GHz .* not at 2\.4 GHz"):
        check_frequency([material_presets()["concrete"], material_presets()["floorboard"]], 2.4e9)
    with pytest.raises(ValueError, match="'brick' is defined from 1 to 40 GHz"):
        complex_relative_permittivity(material_presets()["brick"], 60e9)


def test_itu_parameters_need_their_range():
    with pytest.raises(ValueError, match="go together"):
        Material("odd", 2.0, itu=(2.0, 0.0, 0.1, 1.0))
