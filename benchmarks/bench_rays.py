"""Ray throughput of RayEngine against trimesh's own ray interface on the same rays.

Links are every (anchor or base station) -> floor-grid cell of a shipped scene at 0.1 m.
trimesh gets one concatenated mesh of the scene and its default intersector (Embree via
embreex when installed): ``intersects_first`` + hit locations for first hits, and
``intersects_location`` with multiple hits for the crossings along each link (which is
what a segment query has to find).

Threads: ``first_hit`` and ``weighted_crossings`` on one thread and on two (the same rays,
alternating, medians of THREAD_REPEATS), and a bare single-threaded embreex call
(``EmbreeScene.run`` on float32 origins and unit directions prepared beforehand, primitive
index only) on the concatenated mesh.

Run: ``python benchmarks/bench_rays.py`` (writes benchmarks/results/rays.json).
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np
import trimesh
from embreex import rtcore_scene
from embreex.mesh_construction import TriangleMesh

from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.ray_engine import RayEngine, default_threads, set_default_threads

SCENES = ("uwb_hall", "industrial_hall")
REPEATS = 3
THREAD_REPEATS = 15


def run() -> dict:
    """Measure both scenes; returns the figures (rays per second and ratios)."""
    results = {"python": platform.python_version(), "trimesh": trimesh.__version__, "scenes": {}}
    for name in SCENES:
        results["scenes"][name] = _measure(name)
    return results


def _measure(name: str) -> dict:
    scene = load_scene(name)
    engine = RayEngine(scene)
    grid = FloorGrid.over_regions(scene, 0.1, engine=engine)
    devices = np.array([d.position for d in (scene.anchors or scene.base_stations)], dtype=np.float64)
    starts = np.repeat(devices, grid.cell_count, axis=0)
    ends = np.tile(grid.points, (len(devices), 1))
    directions = ends - starts
    lengths = np.linalg.norm(directions, axis=1)
    unit = directions / lengths[:, None]

    offsets = np.cumsum([0] + [len(o.vertices) for o in scene.objects[:-1]])
    mesh = trimesh.Trimesh(
        np.vstack([o.vertices for o in scene.objects]),
        np.vstack([o.faces + k for o, k in zip(scene.objects, offsets)]),
        process=False,
    )
    intersector = mesh.ray  # built lazily: warm it below, outside the timing

    def ours_first():
        return engine.first_hit(starts, unit)

    def trimesh_first():
        triangle = intersector.intersects_first(starts, unit)
        hit = triangle >= 0
        normals = mesh.face_normals[triangle[hit]]
        offsets_to_plane = np.einsum("ij,ij->i", normals, mesh.triangles[triangle[hit], 0] - starts[hit])
        return offsets_to_plane / np.einsum("ij,ij->i", normals, unit[hit])

    def trimesh_first_with_location():
        # trimesh's own first-hit query that reports what first_hit reports (triangle and where).
        return intersector.intersects_id(starts, unit, multiple_hits=False, return_locations=True)

    def ours_segments():
        return engine.segment_crossings(starts, ends)

    solid_weight = np.ones(len(scene.objects))
    surface_weight = np.ones(len(scene.objects))
    opaque = np.zeros(len(scene.objects), dtype=bool)

    def ours_weighted():
        # What the LOS and error maps call: per-link sums without per-object tables.
        return engine.weighted_crossings(starts, ends, solid_weight, surface_weight, opaque)

    def trimesh_segments():
        locations, index_ray, index_tri = intersector.intersects_location(starts, unit, multiple_hits=True)
        along = np.einsum("ij,ij->i", locations - starts[index_ray], unit[index_ray])
        inside = (along > 1e-4) & (along < lengths[index_ray] - 1e-4)
        return np.bincount(index_ray[inside], minlength=len(starts))

    for warm in (ours_first, trimesh_first, trimesh_first_with_location, ours_segments, ours_weighted, trimesh_segments):
        warm()
    figures = {"rays": int(len(starts)), "triangles": int(len(mesh.faces)), "backend": engine.backend,
               "trimesh_intersector": type(intersector).__module__}
    for label, function in (
        ("first_hit", ours_first), ("trimesh_intersects_first", trimesh_first),
        ("trimesh_intersects_id_locations", trimesh_first_with_location),
        ("segment_crossings", ours_segments), ("trimesh_intersects_location", trimesh_segments),
        ("weighted_crossings", ours_weighted),
    ):
        best = min(_timed(function) for _ in range(REPEATS))
        figures[f"{label}_rays_per_s"] = len(starts) / best
    figures["first_hit_ratio"] = figures["first_hit_rays_per_s"] / figures["trimesh_intersects_first_rays_per_s"]
    figures["first_hit_ratio_vs_intersects_id"] = (
        figures["first_hit_rays_per_s"] / figures["trimesh_intersects_id_locations_rays_per_s"]
    )
    figures["weighted_ratio"] = figures["weighted_crossings_rays_per_s"] / figures["trimesh_intersects_location_rays_per_s"]
    figures["segment_ratio"] = figures["segment_crossings_rays_per_s"] / figures["trimesh_intersects_location_rays_per_s"]
    figures["threads"] = _threads(scene, mesh, starts, ends, unit)
    return figures


def _threads(scene, mesh, starts, ends, unit) -> dict:
    """One thread against two on the same rays, and a bare embreex call; medians of alternating runs."""
    before = default_threads()
    set_default_threads(max(2, before))
    try:
        one, two = RayEngine(scene, threads=1), RayEngine(scene, threads=2)
        bare_scene = rtcore_scene.EmbreeScene()
        bare_mesh = TriangleMesh(bare_scene, mesh.vertices.astype(np.float32), mesh.faces.astype(np.int32))
        origins32, unit32 = np.ascontiguousarray(starts, np.float32), np.ascontiguousarray(unit, np.float32)
        weights = np.ones(len(scene.objects))
        opaque = np.zeros(len(scene.objects), dtype=bool)
        calls = {
            "bare_embreex": lambda: bare_scene.run(origins32, unit32),
            "first_hit_1_thread": lambda: one.first_hit(starts, unit),
            "first_hit_2_threads": lambda: two.first_hit(starts, unit),
            "weighted_crossings_1_thread": lambda: one.weighted_crossings(starts, ends, weights, weights, opaque),
            "weighted_crossings_2_threads": lambda: two.weighted_crossings(starts, ends, weights, weights, opaque),
        }
        times = {label: [] for label in calls}
        for call in calls.values():
            call()
        for _ in range(THREAD_REPEATS):
            for label, call in calls.items():
                times[label].append(_timed(call))
        del bare_mesh  # kept alive until here: the bare scene's triangles
    finally:
        set_default_threads(before)
    median = {label: float(np.median(values)) for label, values in times.items()}
    figures = {f"{label}_rays_per_s": len(starts) / seconds for label, seconds in median.items()}
    figures["first_hit_2_over_1_thread"] = median["first_hit_1_thread"] / median["first_hit_2_threads"]
    figures["weighted_crossings_2_over_1_thread"] = median["weighted_crossings_1_thread"] / median["weighted_crossings_2_threads"]
    figures["first_hit_2_threads_over_bare"] = median["bare_embreex"] / median["first_hit_2_threads"]
    figures["first_hit_1_thread_over_bare"] = median["bare_embreex"] / median["first_hit_1_thread"]
    return figures


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


if __name__ == "__main__":
    figures = run()
    out = Path(__file__).resolve().parent / "results" / "rays.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    for name, row in figures["scenes"].items():
        print(
            f"{name}: {row['rays']} links, {row['triangles']} triangles, backend {row['backend']}\n"
            f"  first_hit          {row['first_hit_rays_per_s']:>12,.0f} rays/s  "
            f"trimesh intersects_first    {row['trimesh_intersects_first_rays_per_s']:>12,.0f}  ratio {row['first_hit_ratio']:.2f}  "
            f"intersects_id+locations {row['trimesh_intersects_id_locations_rays_per_s']:>12,.0f}  ratio {row['first_hit_ratio_vs_intersects_id']:.2f}\n"
            f"  segment_crossings  {row['segment_crossings_rays_per_s']:>12,.0f} rays/s  "
            f"trimesh intersects_location {row['trimesh_intersects_location_rays_per_s']:>12,.0f}  ratio {row['segment_ratio']:.2f}\n"
            f"  weighted_crossings {row['weighted_crossings_rays_per_s']:>12,.0f} rays/s  ratio {row['weighted_ratio']:.2f}\n"
            f"  threads: first_hit 2/1 {row['threads']['first_hit_2_over_1_thread']:.2f}  "
            f"weighted_crossings 2/1 {row['threads']['weighted_crossings_2_over_1_thread']:.2f}  "
            f"first_hit (2 threads) / bare embreex {row['threads']['first_hit_2_threads_over_bare']:.2f}"
        )
    print(f"written to {out}")
