"""The ``.twinloc`` project file: versioned JSON, validated on load, saved atomically.

Layout (version 1)::

    {"format": "twinloc-project", "version": 1,
     "scene": {"name": "uwb_hall", "path": null},
     "anchors": [{"name": "A1", "position": [x, y, z], "enabled": true}, ...],
     "base_stations": [... same fields as anchors ...],
     "access_points": [{"name": "AP1", "position": [x, y, z], "frequency_ghz": 2.4, "power_dbm": 20.0,
                        "enabled": true}],
     "settings": {"tag_height_m": null, "grid_resolution_m": null, "mounting_height_m": 2.0},
     "error_map": {"dimensions": 2, "physics_only": false, "monte_carlo_draws": 0, "seed": 0,
                   "refine_iterations": 0, "ranging": {"los_mean_m": 0.02, "los_std_m": 0.03,
                   "nlos_mean_m": 0.1, "nlos_std_m": 0.15, "incidence_correction": false}},
     "material_overrides": {"concrete": {"relative_permittivity": 6.0, "thickness_m": null, "color": null}},
     "results": [{"kind": "los_map", "created": "2024-01-01T00:00:00+00:00", "summary": {...}}],
     "mounting_regions": [{"name": "ceiling east", "polygon": [[x, y], ...], "z_range_m": [zmin, zmax],
                           "is_polyline": false}],
     "scene_edits": [{"action": "move", "object": "shelf", "vector_m": [0.0, 1.5, 0.0]}]}

``mounting_regions`` (user-drawn, optional), ``access_points`` (optional) and ``scene_edits``
(optional; the edits of docs/site-changes.md) were added within version 1: older files lack them.

The scene path is written relative to the project file's folder where possible (so
a project folder can be moved with its scene) and is absolute in memory after loading.

Limits (checked before anything is built; see docs/project-format.md): the file is at most
:data:`PROJECT_FILE_LIMIT_BYTES`, nested at most :data:`MAX_NESTING` levels, whole numbers
have at most 19 digits, every other number is within ±:data:`MAX_COORDINATE_M`, and names,
devices, regions and polygon points have the maxima below.
"""

from __future__ import annotations

import dataclasses

import json
import math
import os
from pathlib import Path
from typing import Any

from twinloc.model.atomic import remove_stale_temp_files, write_text_atomic
from twinloc.model.devices import MAX_COORDINATE_M, MAX_NAME_LENGTH, AccessPoint, Anchor, BaseStation
from twinloc.model.analysis import ErrorMapSettings, RangingModel
from twinloc.model.input_files import MIB, read_input_text
from twinloc.model.scene_edits import MAX_EDITS, SceneEditError, scene_edit_from_dict, scene_edit_to_dict
from twinloc.model.mounting import MountingRegion
from twinloc.model.project import MaterialOverride, Project, ResultRecord, SceneRef, Settings

FORMAT = "twinloc-project"
FORMAT_VERSION = 1
PROJECT_SUFFIX = ".twinloc"

#: Largest project file read (a project holds references and settings, not geometry).
PROJECT_FILE_LIMIT_BYTES = 16 * MIB
#: Deepest nesting of JSON lists and objects (result summaries are the only free-form part).
MAX_NESTING = 64
#: Most anchors, most base stations, and most access points a project may have.
MAX_DEVICES = 1000
#: Most user-drawn mounting regions, and most points of one region's outline.
MAX_REGIONS, MAX_REGION_POINTS = 1000, 10_000
# A whole number of more digits cannot be a count or a seed (2**63, past any count or seed, has 19 digits).
_MAX_DIGITS = 19


class ProjectFileError(ValueError):
    """A project file that cannot be read or written; the message names the file and the problem."""


def save_project(project: Project, path: str | os.PathLike) -> None:
    """Write ``project`` to ``path`` atomically: a crash mid-save leaves the previous file intact.

    Raises
    ------
    ProjectFileError
        When the file cannot be written (folder missing or read-only, disk full, ...).
    """
    path = Path(path)
    data = project_to_dict(project, base_dir=path.absolute().parent)
    text = json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    try:
        write_text_atomic(path, text)
    except OSError as error:
        raise ProjectFileError(f"{path}: cannot save the project: {error.strerror or error}") from error


def load_project(path: str | os.PathLike) -> Project:
    """Read and validate the project at ``path``; a relative scene path is resolved against its folder.

    Raises
    ------
    ProjectFileError
        Missing or unreadable file, malformed JSON (with line and column), not a TwinLoc
        project, a newer format version, wrong types, NaN or out-of-range values.
    """
    path = Path(path)
    remove_stale_temp_files(path)
    try:
        text = read_input_text(path, PROJECT_FILE_LIMIT_BYTES)
    except FileNotFoundError:
        raise ProjectFileError(f"{path}: no such project file") from None
    except UnicodeDecodeError as error:
        raise ProjectFileError(f"{path}: not a TwinLoc project (not UTF-8 text: {error.reason})") from None
    except OSError as error:
        raise ProjectFileError(f"{path}: cannot read the project: {error.strerror or error}") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_whole_number)
    except json.JSONDecodeError as error:
        raise ProjectFileError(
            f"{path}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except ValueError as error:
        raise ProjectFileError(f"{path}: {error}") from None
    except RecursionError:
        raise ProjectFileError(f"{path}: lists or objects nested more than {MAX_NESTING} levels deep") from None
    if _nesting(data) > MAX_NESTING:
        raise ProjectFileError(f"{path}: lists or objects nested more than {MAX_NESTING} levels deep")
    return project_from_dict(data, base_dir=path.absolute().parent, source=str(path))


def project_to_dict(project: Project, base_dir: Path | None = None) -> dict[str, Any]:
    """The JSON form of ``project``; the scene path is made relative to ``base_dir`` where possible."""
    settings = project.settings
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "scene": {"name": project.scene.name, "path": _relative_path(project.scene.path, base_dir)},
        "anchors": [_device_to_dict(anchor) for anchor in project.anchors],
        "base_stations": [_device_to_dict(station) for station in project.base_stations],
        "access_points": [
            {**_device_to_dict(point), "frequency_ghz": point.frequency_hz / 1e9, "power_dbm": point.power_dbm}
            for point in project.access_points
        ],
        "settings": {
            "tag_height_m": settings.tag_height_m,
            "grid_resolution_m": settings.grid_resolution_m,
            "mounting_height_m": settings.mounting_height_m,
        },
        "error_map": dataclasses.asdict(project.error_map),
        "material_overrides": {
            name: {
                "relative_permittivity": override.relative_permittivity,
                "thickness_m": override.thickness_m,
                "color": override.color,
            }
            for name, override in project.material_overrides.items()
        },
        "results": [
            {"kind": record.kind, "created": record.created, "summary": record.summary} for record in project.results
        ],
        "mounting_regions": [
            {
                "name": region.name,
                "polygon": [list(point) for point in region.polygon],
                "z_range_m": list(region.z_range_m),
                "is_polyline": region.is_polyline,
            }
            for region in project.mounting_regions
        ],
        "scene_edits": [scene_edit_to_dict(edit) for edit in project.scene_edits],
    }


def project_from_dict(data: Any, base_dir: Path | None = None, source: str = "project") -> Project:
    """Validate the JSON form ``data`` and build the project.

    base_dir : folder a relative scene path is resolved against (None: kept relative).
    source : names the file in error messages.

    Raises
    ------
    ProjectFileError
        ``"{source}: {where}: {problem}"``.
    """
    reader = _Reader(source)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectFileError(f"{source}: not a TwinLoc project (no \"format\": \"{FORMAT}\" entry)")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectFileError(f"{source}: version: expected a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ProjectFileError(
            f"{source}: written by a newer TwinLoc (project format version {version}); "
            f"this TwinLoc reads versions up to {FORMAT_VERSION}"
        )
    scene = reader.mapping(data, "scene", "scene")
    scene_path = reader.optional_string(scene, "path", "scene.path")
    if scene_path is not None and base_dir is not None and not Path(scene_path).is_absolute():
        scene_path = str((base_dir / scene_path).resolve())
    settings_data = reader.mapping(data, "settings", "settings", default={})
    try:
        settings = Settings(
            tag_height_m=reader.optional_number(settings_data, "tag_height_m", "settings.tag_height_m"),
            grid_resolution_m=reader.optional_number(settings_data, "grid_resolution_m", "settings.grid_resolution_m"),
            mounting_height_m=reader.number(settings_data, "mounting_height_m", "settings.mounting_height_m", 2.0),
        )
    except ValueError as error:
        raise ProjectFileError(f"{source}: settings: {error}") from None
    error_map = reader.error_map_settings(reader.mapping(data, "error_map", "error_map", default={}))
    overrides = {
        name: reader.material_override(entry, f"material_overrides[{name!r}]")
        for name, entry in reader.mapping(data, "material_overrides", "material_overrides", default={}).items()
    }
    try:
        scene_edits = tuple(scene_edit_from_dict(entry, f"scene_edits[{index}]")
                            for index, entry in enumerate(reader.items(data, "scene_edits", MAX_EDITS)))
    except SceneEditError as error:
        raise ProjectFileError(f"{source}: {error}") from None
    return Project(
        scene=SceneRef(name=reader.string(scene, "name", "scene.name"), path=scene_path),
        anchors=reader.devices(Anchor, data, "anchors"),
        base_stations=reader.devices(BaseStation, data, "base_stations"),
        access_points=reader.devices(AccessPoint, data, "access_points"),
        settings=settings,
        error_map=error_map,
        material_overrides=overrides,
        results=tuple(reader.result(entry, f"results[{i}]") for i, entry in enumerate(reader.items(data, "results"))),
        mounting_regions=reader.mounting_regions(reader.items(data, "mounting_regions", MAX_REGIONS)),
        scene_edits=scene_edits,
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid number {name} (NaN and infinities are not allowed)")


def _whole_number(text: str) -> int:
    # Refused before int() converts it: a number of thousands of digits costs quadratic time.
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise ValueError(f"the whole number {text[:20]}... has more than {_MAX_DIGITS} digits")
    return int(text)


def _nesting(data: Any) -> int:
    """How deeply lists and objects nest in parsed JSON (a scalar: 0), without recursion."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_NESTING:
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _relative_path(path: str | None, base_dir: Path | None) -> str | None:
    if path is None or base_dir is None:
        return path
    absolute = Path(path).absolute()
    try:
        return Path(os.path.relpath(absolute, base_dir)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return str(absolute)


def _device_to_dict(device: Anchor | BaseStation) -> dict[str, Any]:
    return {"name": device.name, "position": list(device.position), "enabled": device.enabled}


class _Reader:
    """Typed access to parsed JSON with errors that say where in which file."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> ProjectFileError:
        return ProjectFileError(f"{self.source}: {where}: {problem}")

    def mapping(self, data: dict, key: str, where: str, default: dict | None = None) -> dict:
        if key not in data and default is not None:
            return default
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_describe(value)}")
        return value

    def items(self, data: dict, key: str, most: int | None = None) -> list:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_describe(value)}")
        if most is not None and len(value) > most:
            raise self.fail(key, f"{len(value):,} entries, more than the {most:,} a project may have")
        return value

    def name(self, data: dict, key: str, where: str) -> str:
        """A device's or region's name: a non-empty string of at most MAX_NAME_LENGTH characters."""
        value = self.string(data, key, where)
        if len(value) > MAX_NAME_LENGTH:
            raise self.fail(where, f"{len(value):,} characters, more than the {MAX_NAME_LENGTH} a name may have")
        return value

    def devices(self, kind: type[Anchor] | type[BaseStation] | type[AccessPoint], data: dict, key: str) -> tuple:
        """The anchors, base stations or access points under ``key``: at most MAX_DEVICES, each name once."""
        devices: list[Anchor | BaseStation | AccessPoint] = []
        names: set[str] = set()
        for index, entry in enumerate(self.items(data, key, MAX_DEVICES)):
            device = self.device(kind, entry, f"{key}[{index}]")
            if device.name in names:
                raise self.fail(f"{key}[{index}].name", f"the name {device.name!r} is used twice")
            names.add(device.name)
            devices.append(device)
        return tuple(devices)

    def string(self, data: dict, key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, got {_describe(value)}")
        return value

    def optional_string(self, data: dict, key: str, where: str) -> str | None:
        return None if data.get(key) is None else self.string(data, key, where)

    def number(self, data: dict, key: str, where: str, default: float | None = None) -> float:
        if key not in data and default is not None:
            return default
        return self._finite(data.get(key), where)

    def optional_number(self, data: dict, key: str, where: str) -> float | None:
        return None if data.get(key) is None else self._finite(data[key], where)

    def _finite(self, value: Any, where: str) -> float:
        """A number within ±MAX_COORDINATE_M (no length, height or statistic here is larger)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"expected a number, got {_describe(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(where, f"expected a finite number, got {value!r}")
        if abs(value) > MAX_COORDINATE_M:
            raise self.fail(where, f"{_describe(value)} is beyond ±{MAX_COORDINATE_M:,.0f}")
        return float(value)

    def device(self, kind: type[Anchor] | type[BaseStation] | type[AccessPoint], entry: Any, where: str):
        if not isinstance(entry, dict):
            raise self.fail(where, f"expected an object, got {_describe(entry)}")
        position = entry.get("position")
        if not isinstance(position, list) or len(position) != 3:
            raise self.fail(f"{where}.position", f"expected [x, y, z], got {_describe(position)}")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.fail(f"{where}.enabled", f"expected true or false, got {_describe(enabled)}")
        radio = {}
        if kind is AccessPoint:
            radio = {
                "frequency_hz": 1e9 * self.number(entry, "frequency_ghz", f"{where}.frequency_ghz", 2.4),
                "power_dbm": self.number(entry, "power_dbm", f"{where}.power_dbm", 20.0),
            }
        name = self.name(entry, "name", f"{where}.name")
        point = tuple(self._finite(c, f"{where}.position") for c in position)
        try:
            return kind(name=name, position=point, enabled=enabled, **radio)
        except ValueError as error:  # an access point's frequency or power out of its range
            raise self.fail(where, str(error)) from None

    def error_map_settings(self, data: dict) -> ErrorMapSettings:
        ranging_data = self.mapping(data, "ranging", "error_map.ranging", default={})
        try:
            ranging = RangingModel(**self._fields(RangingModel, ranging_data, "error_map.ranging"))
            fields = self._fields(ErrorMapSettings, {k: v for k, v in data.items() if k != "ranging"}, "error_map")
            return ErrorMapSettings(**fields, ranging=ranging)
        except ProjectFileError:
            raise
        except ValueError as error:
            raise self.fail("error_map", str(error)) from None

    def _fields(self, kind: type, data: dict, where: str) -> dict[str, Any]:
        """Typed values of a flat settings dataclass's fields (bool, int or float); absent keys keep defaults."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(kind):
            if field.name not in data or field.type not in ("bool", "int", "float"):
                continue
            value, at = data[field.name], f"{where}.{field.name}"
            if field.type == "bool":
                if not isinstance(value, bool):
                    raise self.fail(at, f"expected true or false, got {_describe(value)}")
            elif field.type == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise self.fail(at, f"expected a whole number, got {_describe(value)}")
            else:
                value = self._finite(value, at)
            values[field.name] = value
        unknown = set(data) - {field.name for field in dataclasses.fields(kind)}
        if unknown:
            raise self.fail(where, f"unknown setting(s): {', '.join(sorted(unknown))}")
        return values

    def material_override(self, entry: Any, where: str) -> MaterialOverride:
        if not isinstance(entry, dict):
            raise self.fail(where, f"expected an object, got {_describe(entry)}")
        permittivity = self.optional_number(entry, "relative_permittivity", f"{where}.relative_permittivity")
        if permittivity is not None and permittivity < 1.0:
            raise self.fail(f"{where}.relative_permittivity", f"must be >= 1, got {permittivity}")
        thickness = self.optional_number(entry, "thickness_m", f"{where}.thickness_m")
        if thickness is not None and thickness < 0.0:
            raise self.fail(f"{where}.thickness_m", f"must be >= 0 m, got {thickness}")
        color = self.optional_string(entry, "color", f"{where}.color")
        if color is not None and not _is_hex_color(color):
            raise self.fail(f"{where}.color", f"expected '#rrggbb', got {color!r}")
        return MaterialOverride(relative_permittivity=permittivity, thickness_m=thickness, color=color)

    def mounting_regions(self, entries: list) -> tuple[MountingRegion, ...]:
        regions: list[MountingRegion] = []
        for index, entry in enumerate(entries):
            where = f"mounting_regions[{index}]"
            if not isinstance(entry, dict):
                raise self.fail(where, f"expected an object, got {_describe(entry)}")
            name = self.name(entry, "name", f"{where}.name")
            if any(region.name == name for region in regions):
                raise self.fail(f"{where}.name", f"the name {name!r} is used twice")
            polygon = entry.get("polygon")
            if not isinstance(polygon, list) or not all(isinstance(p, list) and len(p) == 2 for p in polygon):
                raise self.fail(f"{where}.polygon", f"expected [[x, y], ...], got {_describe(polygon)}")
            if len(polygon) > MAX_REGION_POINTS:
                raise self.fail(f"{where}.polygon", f"{len(polygon):,} points, more than the {MAX_REGION_POINTS:,} a region may have")
            points = tuple((self._finite(p[0], f"{where}.polygon"), self._finite(p[1], f"{where}.polygon")) for p in polygon)
            z_range = entry.get("z_range_m")
            if not isinstance(z_range, list) or len(z_range) != 2:
                raise self.fail(f"{where}.z_range_m", f"expected [zmin, zmax], got {_describe(z_range)}")
            low, high = (self._finite(z, f"{where}.z_range_m") for z in z_range)
            is_polyline = entry.get("is_polyline", False)
            if not isinstance(is_polyline, bool):
                raise self.fail(f"{where}.is_polyline", f"expected true or false, got {_describe(is_polyline)}")
            try:
                regions.append(MountingRegion(name, points, (low, high), is_polyline))
            except ValueError as error:
                raise self.fail(where, str(error)) from None
        return tuple(regions)

    def result(self, entry: Any, where: str) -> ResultRecord:
        if not isinstance(entry, dict):
            raise self.fail(where, f"expected an object, got {_describe(entry)}")
        summary = entry.get("summary", {})
        if not isinstance(summary, dict):
            raise self.fail(f"{where}.summary", f"expected an object, got {_describe(summary)}")
        return ResultRecord(
            kind=self.string(entry, "kind", f"{where}.kind"),
            created=self.string(entry, "created", f"{where}.created"),
            summary=summary,
        )


def _is_hex_color(text: str) -> bool:
    return len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'list'}"
    text = repr(value)
    return f"{text[:40]}..." if len(text) > 40 else text
