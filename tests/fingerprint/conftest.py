"""Surveys and scenes built by hand for the fingerprint tests (the CLI's and the GUI's too)."""

from __future__ import annotations

import json

import numpy as np

from twinloc.fingerprint.survey import Survey


def make_survey(positions, rss_dbm, transmitters, point_ids=None, times_s=None, range_m=None) -> Survey:
    """A survey of (S, 2) positions at 1 m height; point ids default to one per sample."""
    positions = np.asarray(positions, dtype=np.float64)
    positions = np.column_stack([positions, np.ones(len(positions))])
    point_ids = np.arange(len(positions)) if point_ids is None else np.asarray(point_ids)
    return Survey(positions, point_ids, None if times_s is None else np.asarray(times_s, dtype=np.float64),
                  tuple(transmitters), np.asarray(rss_dbm, dtype=np.float64),
                  None if range_m is None else np.asarray(range_m, dtype=np.float64))


def write_floor_scene(path, size_m: tuple[float, float], access_points: dict[str, tuple], name: str = "ap room") -> str:
    """Write a scene file: a concrete floor of ``size_m`` (x, y metres) from the origin, its
    evaluation region, and ``access_points`` {name: (x, y, z) metres} at 2.4 GHz and 20 dBm; no walls."""
    width, depth = size_m
    floor = {"name": "floor", "kind": "surface", "material": "concrete",
             "primitive": {"type": "plane", "size": [width, depth]},
             "transform": {"translation": [width / 2, depth / 2, 0.0]}}
    descriptor = {
        "format": "twinloc-scene", "version": 1, "name": name, "units": "m",
        "materials": {"concrete": {"preset": "concrete"}}, "objects": [floor],
        "regions": [{"name": "floor", "type": "evaluation",
                     "polygon": [[0, 0], [width, 0], [width, depth], [0, depth]]}],
        "access_points": [{"name": key, "position": list(position)} for key, position in access_points.items()],
        "tag_height_m": 1.0,
    }
    path.write_text(json.dumps(descriptor))
    return str(path)
