"""The geometry cache: one ray engine per geometry, one floor grid per floor, resolution and tag
height; the least recently used go first; safe from several threads."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from twinloc.geometry.cache import MAX_ENGINES, MAX_GRIDS, GeometryCache
from twinloc.geometry.loaders import load_scene


@pytest.fixture(scope="module")
def hall():
    return load_scene("uwb_hall")


def test_the_same_scene_loaded_twice_shares_one_engine(hall) -> None:
    geometry = GeometryCache()
    assert geometry.ray_engine(hall) is geometry.ray_engine(load_scene("uwb_hall"))


def test_a_material_edit_keeps_the_ray_engine_and_floor_grid_a_moved_object_does_not(hall) -> None:
    geometry = GeometryCache()
    concrete = hall.materials["concrete"]
    edited = hall.with_materials({"concrete": dataclasses.replace(concrete, relative_permittivity=6.0)})
    assert edited.content_hash() != hall.content_hash()  # results that use permittivity are recomputed
    assert geometry.ray_engine(edited) is geometry.ray_engine(hall)
    assert geometry.floor_grid(edited, 0.5, 1.0) is geometry.floor_grid(hall, 0.5, 1.0)
    moved = dataclasses.replace(hall, objects=hall.objects[:-1])  # one column fewer: new geometry
    assert moved.geometry_hash() != hall.geometry_hash()
    assert geometry.ray_engine(moved) is not geometry.ray_engine(hall)


def test_grids_differ_by_resolution_and_tag_height(hall) -> None:
    geometry = GeometryCache()
    coarse, fine, higher = geometry.floor_grid(hall, 1.0, 1.0), geometry.floor_grid(hall, 0.5, 1.0), geometry.floor_grid(hall, 1.0, 1.5)
    assert len({id(coarse), id(fine), id(higher)}) == 3
    assert (coarse.resolution_m, fine.resolution_m, higher.z_m) == (1.0, 0.5, 1.5)


def test_two_caches_share_nothing(hall) -> None:
    assert GeometryCache().ray_engine(hall) is not GeometryCache().ray_engine(hall)


def test_the_least_recently_used_engine_is_dropped_first(hall) -> None:
    geometry = GeometryCache(max_engines=2)
    scenes = [dataclasses.replace(hall, objects=hall.objects[: len(hall.objects) - k]) for k in range(3)]
    first, second = geometry.ray_engine(scenes[0]), geometry.ray_engine(scenes[1])
    assert geometry.ray_engine(scenes[0]) is first  # used again: the second is now the oldest
    geometry.ray_engine(scenes[2])
    assert geometry.ray_engine(scenes[0]) is first
    assert geometry.ray_engine(scenes[1]) is not second


def test_the_least_recently_used_grid_is_dropped_first(hall) -> None:
    geometry = GeometryCache(max_grids=2)
    first, second = geometry.floor_grid(hall, 1.0, 1.0), geometry.floor_grid(hall, 2.0, 1.0)
    geometry.floor_grid(hall, 1.0, 1.0)
    geometry.floor_grid(hall, 3.0, 1.0)
    assert geometry.floor_grid(hall, 1.0, 1.0) is first
    assert geometry.floor_grid(hall, 2.0, 1.0) is not second


def test_the_default_sizes_and_a_cleared_cache(hall) -> None:
    geometry = GeometryCache()
    assert (geometry.max_engines, geometry.max_grids) == (MAX_ENGINES, MAX_GRIDS) == (4, 8)
    engine = geometry.ray_engine(hall)
    geometry.clear()
    assert geometry.ray_engine(hall) is not engine
    with pytest.raises(ValueError, match="at least one"):
        GeometryCache(max_engines=0)


def test_threads_asking_at_once_all_get_the_engine_the_cache_keeps(hall) -> None:
    geometry = GeometryCache()
    start = threading.Barrier(4)
    engines = []

    def ask() -> None:
        start.wait()
        engines.append(geometry.ray_engine(hall))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Threads may build one each while none is kept yet; from then on every caller gets the kept one.
    kept = geometry.ray_engine(hall)
    assert len(engines) == 4 and kept in engines
