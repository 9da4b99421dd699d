"""``twinloc scene info SCENE [--json]``: what a scene (or a project's scene) contains."""

from __future__ import annotations

import argparse
from typing import Any

from twinloc.cli_verbs.common import open_workspace, print_json


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("scene", help="inspect scenes")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="objects, materials, regions and devices of a scene")
    info.add_argument("source", metavar="SCENE", help="a shipped scene's name, a scene/mesh/XML file or a .twinloc project")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(run=run_info)


def run_info(args: argparse.Namespace) -> int:
    workspace = open_workspace(args.source)
    info = scene_info(workspace)
    if args.json:
        print_json(info)
    else:
        print(_as_text(info))
    return 0


def scene_info(workspace: Any) -> dict[str, Any]:
    """The JSON form of a workspace's effective scene, with the project's devices.

    Lengths in metres; ``bounds`` are ``[[xmin, ymin, zmin], [xmax, ymax, zmax]]``.
    """
    scene = workspace.scene
    return {
        "name": scene.name,
        "source": None if scene.source_path is None else str(scene.source_path),
        "objects": [
            {
                "name": obj.name,
                "kind": obj.kind.value,
                "envelope": obj.envelope,
                "material": obj.material,
                "triangles": obj.triangle_count,
                "bounds": obj.bounds.tolist(),
            }
            for obj in scene.objects
        ],
        "materials": [
            {
                "name": material.name,
                "relative_permittivity": material.relative_permittivity,
                "thickness_m": material.thickness_m,
                "preset": material.preset,
                "opaque": material.opaque,
            }
            for material in scene.materials.values()
        ],
        "bounds": scene.bounds.tolist(),
        "regions": [
            {
                "name": region.name,
                "type": region.type.value,
                "weight": region.weight,
                "main_area": region.main_area,
                "polygon": region.polygon.tolist(),
            }
            for region in scene.regions
        ],
        "tag_height_m": scene.tag_height_m,
        "anchors": [_device(anchor) for anchor in workspace.project.anchors],
        "base_stations": [_device(station) for station in workspace.project.base_stations],
        "access_points": [
            {**_device(point), "frequency_ghz": point.frequency_hz / 1e9, "power_dbm": point.power_dbm}
            for point in workspace.project.access_points
        ],
    }


def _device(device: Any) -> dict[str, Any]:
    return {"name": device.name, "position": list(device.position), "enabled": device.enabled}


def _as_text(info: dict[str, Any]) -> str:
    (x0, y0, z0), (x1, y1, z1) = info["bounds"]
    lines = [
        f"Scene {info['name']}" + (f" ({info['source']})" if info["source"] else ""),
        f"Bounds      x {x0:.2f} to {x1:.2f}  y {y0:.2f} to {y1:.2f}  z {z0:.2f} to {z1:.2f} m"
        f"  ({x1 - x0:.2f} x {y1 - y0:.2f} x {z1 - z0:.2f} m)",
        f"Tag height  {info['tag_height_m']:.2f} m",
        "",
        f"Objects ({len(info['objects'])})",
    ]
    lines += _table(
        ("name", "kind", "material", "triangles"),
        [
            (o["name"], o["kind"] + (" (room envelope)" if o["envelope"] else ""), o["material"], str(o["triangles"]))
            for o in info["objects"]
        ],
    )
    lines += ["", f"Materials ({len(info['materials'])})"]
    lines += _table(
        ("name", "preset", "rel. permittivity", "thickness m", "opaque"),
        [
            (m["name"], m["preset"] or "", f"{m['relative_permittivity']:.2f}", f"{m['thickness_m']:.4g}", "opaque" if m["opaque"] else "")
            for m in info["materials"]
        ],
    )
    lines += ["", f"Regions ({len(info['regions'])})"]
    lines += _table(
        ("name", "type", "weight", "main area", "vertices"),
        [
            (r["name"], r["type"], f"{r['weight']:g}", "yes" if r["main_area"] else "", str(len(r["polygon"])))
            for r in info["regions"]
        ],
    )
    for title, devices in (("Anchors", info["anchors"]), ("Base stations", info["base_stations"])):
        lines += ["", f"{title} ({len(devices)})"]
        lines += _table(
            ("name", "x m", "y m", "z m", "enabled"),
            [(d["name"], *(f"{c:.2f}" for c in d["position"]), "yes" if d["enabled"] else "no") for d in devices],
        )
    lines += ["", f"Access points ({len(info['access_points'])})"]
    lines += _table(
        ("name", "x m", "y m", "z m", "GHz", "dBm", "enabled"),
        [
            (p["name"], *(f"{c:.2f}" for c in p["position"]), f"{p['frequency_ghz']:g}", f"{p['power_dbm']:g}",
             "yes" if p["enabled"] else "no")
            for p in info["access_points"]
        ],
    )
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    if not rows:
        return ["  (none)"]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in (header, *rows)]
