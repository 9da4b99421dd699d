"""Fixtures shared by every test folder."""

import pytest

from twinloc.geometry.ray_engine import default_threads, set_default_threads


@pytest.fixture
def four_ray_threads():
    """Ray queries on up to four threads whatever the machine's cores; the setting is restored afterwards."""
    before = default_threads()
    set_default_threads(4)
    yield
    set_default_threads(before)
