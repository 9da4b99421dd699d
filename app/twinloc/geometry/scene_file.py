"""The versioned JSON scene descriptor (docs/scene-format.md): reading and validation."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np

from twinloc.geometry import primitives
from twinloc.geometry.errors import SceneError, read_scene_input
from twinloc.geometry.materials import Material, material_presets
from twinloc.geometry.meshes import (
    MAX_COORDINATE_M,
    MAX_SCENE_TRIANGLES,
    closed_primitive,
    closed_solid,
    load_mesh_file,
    surface_mesh,
)
from twinloc.geometry.scene import ObjectKind, Region, RegionType, Scene, SceneObject
from twinloc.geometry.transforms import euler_xyz_matrix
from twinloc.model.devices import AccessPoint, Anchor, BaseStation
from twinloc.model.input_files import MIB

FORMAT = "twinloc-scene"
VERSION = 1
#: Largest scene descriptor that is read.
MAX_SCENE_FILE_BYTES = 64 * MIB


def load_scene_file(path: str | Path) -> Scene:
    """Read and validate a JSON scene descriptor.

    Parameters
    ----------
    path : str or Path
        The descriptor; mesh files it names are resolved relative to its folder.

    Returns
    -------
    Scene

    Raises
    ------
    SceneError
        The file is missing, malformed or describes impossible geometry; the message
        names the file and the problem.
    """
    path = Path(path)
    try:
        text = read_scene_input(path, MAX_SCENE_FILE_BYTES, str(path), "scene file").decode("utf-8")
    except UnicodeDecodeError as error:
        raise SceneError(f"{path}: cannot read scene file ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SceneError(
            f"{path}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except ValueError:  # an integer of more digits than Python converts (4300)
        raise SceneError(f"{path}: malformed JSON (a number with thousands of digits)") from None
    except RecursionError:
        raise SceneError(f"{path}: malformed JSON (nested too deeply)") from None
    return _SceneReader(path).read(data)


class _SceneReader:
    """Turns the parsed descriptor into a Scene, failing with the file's name."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, problem: str) -> SceneError:
        return SceneError(f"{self.path}: {problem}")

    def read(self, data) -> Scene:
        if not isinstance(data, dict):
            raise self.fail("the top level must be a JSON object")
        if data.get("format") != FORMAT:
            raise self.fail(f"not a TwinLoc scene: 'format' must be {FORMAT!r}, got {_shown(data.get('format'))}")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 1_000_000:
            raise self.fail(f"unsupported scene format version {_shown(version)}")
        if version > VERSION:
            raise self.fail(
                f"scene format version {version} is newer than this TwinLoc supports "
                f"(up to {VERSION}); update TwinLoc to open it"
            )
        units = data.get("units", "m")
        if units != "m":
            raise self.fail(f"units must be 'm' (metres), got {_shown(units)}")
        materials = self.materials(data.get("materials", {}))
        objects_data = data.get("objects")
        if not isinstance(objects_data, list) or not objects_data:
            raise self.fail("'objects' must be a non-empty list")
        # Names first: a repeated name is found before any geometry is built.
        self.unique_names([entry.get("name") for entry in objects_data if isinstance(entry, dict)], "object")
        objects, triangles = [], 0
        for index, entry in enumerate(objects_data):
            objects.append(self.scene_object(entry, index))
            triangles += objects[-1].triangle_count
            if triangles > MAX_SCENE_TRIANGLES:
                raise self.fail(f"more than {MAX_SCENE_TRIANGLES:,} triangles (at object {_shown(objects[-1].name)})")
        presets = material_presets()
        for obj in objects:
            if obj.material not in materials:
                if obj.material not in presets:
                    raise self.fail(
                        f"object {_shown(obj.name)} uses unknown material {_shown(obj.material)} "
                        f"(not in the file's materials nor the presets)"
                    )
                materials[obj.material] = presets[obj.material]
        tag_height = self.number(data.get("tag_height_m", 1.0), "tag_height_m")
        if not 0.0 < tag_height <= MAX_COORDINATE_M:
            raise self.fail(f"tag_height_m must be positive and at most {MAX_COORDINATE_M:.0f} m, got {tag_height}")
        anchors = tuple(self.device(entry, Anchor, "anchor") for entry in self.list_of(data, "anchors"))
        base_stations = tuple(self.device(entry, BaseStation, "base station") for entry in self.list_of(data, "base_stations"))
        access_points = tuple(self.access_point(entry) for entry in self.list_of(data, "access_points"))
        self.unique_names([anchor.name for anchor in anchors], "anchor")
        self.unique_names([station.name for station in base_stations], "base station")
        self.unique_names([point.name for point in access_points], "access point")
        return Scene(
            name=str(data.get("name") or self.path.stem),
            objects=tuple(objects),
            materials=materials,
            regions=tuple(self.region(entry, index) for index, entry in enumerate(self.list_of(data, "regions"))),
            tag_height_m=tag_height,
            anchors=anchors,
            base_stations=base_stations,
            access_points=access_points,
            source_path=self.path,
        )

    def list_of(self, data: dict, key: str) -> list:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{key!r} must be a list")
        return value

    def unique_names(self, names: list, what: str) -> None:
        """Fail naming the repeated names; entries that are not strings are left to their own checks."""
        repeated = sorted(name for name, count in Counter(n for n in names if isinstance(n, str)).items() if count > 1)
        if repeated:
            raise self.fail(f"{what} names must be unique, repeated: {_shown(', '.join(repeated))}")

    # ------------------------------------------------------------------ materials

    def materials(self, data) -> dict[str, Material]:
        if not isinstance(data, dict):
            raise self.fail("'materials' must be an object of name -> material")
        presets = material_presets()
        table = {}
        for name, entry in data.items():
            if not isinstance(entry, dict):
                raise self.fail(f"material {_shown(name)} must be an object")
            fields = {}
            if "preset" in entry:
                preset = presets.get(entry["preset"])
                if preset is None:
                    raise self.fail(
                        f"material {_shown(name)}: unknown preset {_shown(entry['preset'])} "
                        f"(known: {', '.join(sorted(presets))})"
                    )
                fields = {
                    "preset": preset.name,
                    "relative_permittivity": preset.relative_permittivity,
                    "thickness_m": preset.thickness_m,
                    "color": preset.color,
                    "opaque": preset.opaque,
                    "itu": preset.itu,
                    "frequency_range_ghz": preset.frequency_range_ghz,
                }
            for key in ("relative_permittivity", "thickness_m"):
                if key in entry:
                    fields[key] = self.number(entry[key], f"material {_shown(name)} {key}")
            for key in ("color", "opaque"):
                if key in entry:
                    fields[key] = entry[key]
            if "relative_permittivity" not in fields:
                raise self.fail(f"material {_shown(name)} needs a 'preset' or a 'relative_permittivity'")
            try:
                table[name] = Material(name=name, **fields)
            except (TypeError, ValueError) as error:
                raise self.fail(str(error)) from None
        return table

    # ------------------------------------------------------------------ objects

    def scene_object(self, entry, index: int) -> SceneObject:
        if not isinstance(entry, dict):
            raise self.fail(f"objects[{index}] must be an object")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(f"objects[{index}] needs a non-empty 'name'")
        label = f"object {_shown(name)}"
        try:
            kind = ObjectKind(entry.get("kind"))
        except ValueError:
            raise self.fail(f"{label}: 'kind' must be 'solid' or 'surface', got {_shown(entry.get('kind'))}") from None
        material = entry.get("material")
        if not isinstance(material, str) or not material:
            raise self.fail(f"{label} needs a 'material'")
        if ("primitive" in entry) == ("mesh" in entry):
            raise self.fail(f"{label} needs exactly one of 'primitive' or 'mesh'")
        if "primitive" in entry:
            vertices, faces = self.primitive(entry["primitive"], label)
        else:
            mesh_path = self.path.parent / str(entry["mesh"])
            vertices, faces = load_mesh_file(mesh_path, f"{self.path}: {label}")
        vertices = self.transformed(vertices, entry.get("transform", {}), label)
        where = f"{self.path}: {label}"
        if kind is ObjectKind.SOLID:
            closed = closed_primitive if "primitive" in entry else closed_solid
            vertices, faces = closed(vertices, faces, where)
        else:
            vertices, faces = surface_mesh(vertices, faces, where)
        return SceneObject(name=name, kind=kind, material=material, vertices=vertices, faces=faces)

    def primitive(self, spec, label: str) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(spec, dict):
            raise self.fail(f"{label}: 'primitive' must be an object")
        kind = spec.get("type")
        try:
            if kind == "box":
                return primitives.box_mesh(spec.get("size"))
            if kind == "cylinder":
                return primitives.cylinder_mesh(spec.get("radius"), spec.get("height"), sections=spec.get("sections", 32))
            if kind == "wall":
                return primitives.wall_mesh(spec.get("start"), spec.get("end"), spec.get("base_z", 0.0), spec.get("height"))
            if kind == "plane":
                return primitives.plane_mesh(spec.get("size"))
        except (TypeError, ValueError) as error:
            raise self.fail(f"{label}: {error}") from None
        raise self.fail(f"{label}: unknown primitive type {_shown(kind)} (box, cylinder, wall or plane)")

    def transformed(self, vertices: np.ndarray, spec, label: str) -> np.ndarray:
        """Scale, then rotate (x, y, z Euler angles about fixed axes), then translate."""
        if not isinstance(spec, dict):
            raise self.fail(f"{label}: 'transform' must be an object")
        unknown = set(spec) - {"translation", "rotation_deg", "scale"}
        if unknown:
            raise self.fail(f"{label}: unknown transform field(s) {', '.join(sorted(unknown))}")
        scale = np.broadcast_to(
            self.vector(spec.get("scale", 1.0), None, f"{label} transform scale"), (3,)
        )
        if np.any(scale == 0.0):
            raise self.fail(f"{label}: transform scale must not be zero")
        rotation = euler_xyz_matrix(self.vector(spec.get("rotation_deg", [0, 0, 0]), 3, f"{label} rotation_deg"))
        translation = self.vector(spec.get("translation", [0, 0, 0]), 3, f"{label} translation")
        return (vertices * scale) @ rotation.T + translation

    # ------------------------------------------------------------------ regions, devices

    def region(self, entry, index: int) -> Region:
        if not isinstance(entry, dict):
            raise self.fail(f"regions[{index}] must be an object")
        name = entry.get("name") or f"region {index + 1}"
        label = f"region {_shown(name)}"
        try:
            region_type = RegionType(entry.get("type"))
        except ValueError:
            raise self.fail(f"{label}: 'type' must be 'evaluation' or 'mounting', got {_shown(entry.get('type'))}") from None
        if ("polygon" in entry) == ("polyline" in entry):
            raise self.fail(f"{label} needs exactly one of 'polygon' or 'polyline'")
        is_polyline = "polyline" in entry
        points = self.coordinates(entry["polyline" if is_polyline else "polygon"], f"{label} points")
        needed = 2 if is_polyline else 3
        if points.ndim != 2 or points.shape[1] != 2 or len(points) < needed:
            raise self.fail(f"{label}: needs at least {needed} [x, y] points")
        if not is_polyline and _polygon_area(points) <= 0.0:
            raise self.fail(f"{label}: polygon has zero area")
        weight = self.number(entry.get("weight", 1.0), f"{label} weight")
        if weight < 0.0:
            raise self.fail(f"{label}: weight must be >= 0, got {weight}")
        z_range = self.vector(entry.get("z_range_m", [0.0, 0.0]), 2, f"{label} z_range_m")
        if z_range[0] > z_range[1]:
            raise self.fail(f"{label}: z_range_m must be [zmin, zmax] with zmin <= zmax, got {z_range.tolist()}")
        main_area = entry.get("main_area", False)
        if not isinstance(main_area, bool):
            raise self.fail(f"{label}: main_area must be true or false")
        return Region(
            name=str(name),
            type=region_type,
            polygon=points,
            weight=weight,
            main_area=main_area,
            z_range_m=(float(z_range[0]), float(z_range[1])),
            is_polyline=is_polyline,
        )

    def device(self, entry, device_type, what: str):
        name, position, enabled = self.device_fields(entry, what)
        try:
            return device_type(name=name, position=position, enabled=enabled)
        except ValueError as error:
            raise self.fail(str(error)) from None

    def access_point(self, entry) -> AccessPoint:
        """A device with ``frequency_ghz`` (default 2.4) and ``power_dbm`` (default 20)."""
        name, position, enabled = self.device_fields(entry, "access point")
        label = f"access point {_shown(name)}"
        frequency_ghz = self.number(entry.get("frequency_ghz", 2.4), f"{label} frequency_ghz")
        power_dbm = self.number(entry.get("power_dbm", 20.0), f"{label} power_dbm")
        try:
            return AccessPoint(name, position, frequency_ghz * 1e9, power_dbm, enabled)
        except ValueError as error:
            raise self.fail(str(error)) from None

    def device_fields(self, entry, what: str) -> tuple:
        """``(name, position, enabled)`` of a device entry; the name is checked by the device itself."""
        if not isinstance(entry, dict):
            raise self.fail(f"each {what} must be an object with 'name' and 'position'")
        name = entry.get("name")
        label = f"{what} {_shown(name)}"
        position = self.coordinates(entry.get("position"), f"{label} position")
        if position.shape != (3,):
            raise self.fail(f"{label} position must be 3 numbers, got {_shown(entry.get('position'))}")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.fail(f"{label}: enabled must be true or false, got {_shown(enabled)}")
        return name, tuple(float(c) for c in position), enabled

    # ------------------------------------------------------------------ numbers

    def number(self, value, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{what} must be a number, got {_shown(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond float range
            number = math.inf
        if not math.isfinite(number):
            raise self.fail(f"{what} must be finite, got {_shown(value)}")
        return number

    def array(self, value, what: str) -> np.ndarray:
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise self.fail(f"{what} must be numbers, got {_shown(value)}") from None
        except OverflowError:  # an integer beyond float range
            raise self.fail(f"{what} must be finite (no NaN, infinity or number beyond 1e308)") from None
        if not np.all(np.isfinite(array)):
            raise self.fail(f"{what} must be finite (no NaN or infinity)")
        return array

    def coordinates(self, value, what: str) -> np.ndarray:
        """Numbers that are positions in metres: finite and within ``MAX_COORDINATE_M`` of the origin."""
        array = self.array(value, what)
        if array.size and np.abs(array).max() > MAX_COORDINATE_M:
            raise self.fail(
                f"{what}: {np.abs(array).max():.3g} m from the origin, beyond the {MAX_COORDINATE_M:.0f} m TwinLoc accepts"
            )
        return array

    def vector(self, value, length: int | None, what: str) -> np.ndarray:
        array = self.array(value, what)
        if length is None:
            if array.shape not in ((), (3,)):
                raise self.fail(f"{what} must be a number or 3 numbers, got {_shown(value)}")
        elif array.shape != (length,):
            raise self.fail(f"{what} must be {length} numbers, got {_shown(value)}")
        return array


def _shown(value, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: a message quotes a file's value, not all of it."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**limit else f"an integer of {len(str(abs(value)))} digits"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
