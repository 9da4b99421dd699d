"""The versioned JSON scene descriptor (docs/scene-format.md): reading and validation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from twinloc.geometry import primitives
from twinloc.geometry.errors import SceneError
from twinloc.geometry.materials import Material, material_presets
from twinloc.geometry.meshes import closed_solid, load_mesh_file, surface_mesh
from twinloc.geometry.scene import ObjectKind, Region, RegionType, Scene, SceneObject
from twinloc.geometry.transforms import euler_xyz_matrix
from twinloc.model.devices import Anchor, BaseStation

FORMAT = "twinloc-scene"
VERSION = 1


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SceneError(f"{path}: scene file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SceneError(f"{path}: cannot read scene file ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SceneError(
            f"{path}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
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
            raise self.fail(f"not a TwinLoc scene: 'format' must be {FORMAT!r}, got {data.get('format')!r}")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail(f"unsupported scene format version {version!r}")
        if version > VERSION:
            raise self.fail(
                f"scene format version {version} is newer than this TwinLoc supports "
                f"(up to {VERSION}); update TwinLoc to open it"
            )
        units = data.get("units", "m")
        if units != "m":
            raise self.fail(f"units must be 'm' (metres), got {units!r}")
        materials = self.materials(data.get("materials", {}))
        objects_data = data.get("objects")
        if not isinstance(objects_data, list) or not objects_data:
            raise self.fail("'objects' must be a non-empty list")
        objects = tuple(self.scene_object(entry, index) for index, entry in enumerate(objects_data))
        names = [obj.name for obj in objects]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise self.fail(f"object names must be unique, repeated: {', '.join(duplicates)}")
        presets = material_presets()
        for obj in objects:
            if obj.material not in materials:
                if obj.material not in presets:
                    raise self.fail(
                        f"object {obj.name!r} uses unknown material {obj.material!r} "
                        f"(not in the file's materials nor the presets)"
                    )
                materials[obj.material] = presets[obj.material]
        tag_height = self.number(data.get("tag_height_m", 1.0), "tag_height_m")
        if tag_height <= 0.0:
            raise self.fail(f"tag_height_m must be positive, got {tag_height}")
        return Scene(
            name=str(data.get("name") or self.path.stem),
            objects=objects,
            materials=materials,
            regions=tuple(self.region(entry, index) for index, entry in enumerate(data.get("regions", []))),
            tag_height_m=tag_height,
            anchors=tuple(self.device(entry, Anchor, "anchor") for entry in data.get("anchors", [])),
            base_stations=tuple(
                self.device(entry, BaseStation, "base station") for entry in data.get("base_stations", [])
            ),
            source_path=self.path,
        )

    # ------------------------------------------------------------------ materials

    def materials(self, data) -> dict[str, Material]:
        if not isinstance(data, dict):
            raise self.fail("'materials' must be an object of name -> material")
        presets = material_presets()
        table = {}
        for name, entry in data.items():
            if not isinstance(entry, dict):
                raise self.fail(f"material {name!r} must be an object")
            fields = {}
            if "preset" in entry:
                preset = presets.get(entry["preset"])
                if preset is None:
                    raise self.fail(
                        f"material {name!r}: unknown preset {entry['preset']!r} "
                        f"(known: {', '.join(sorted(presets))})"
                    )
                fields = {
                    "preset": preset.name,
                    "relative_permittivity": preset.relative_permittivity,
                    "thickness_m": preset.thickness_m,
                    "color": preset.color,
                    "opaque": preset.opaque,
                }
            for key in ("relative_permittivity", "thickness_m"):
                if key in entry:
                    fields[key] = self.number(entry[key], f"material {name!r} {key}")
            for key in ("color", "opaque"):
                if key in entry:
                    fields[key] = entry[key]
            if "relative_permittivity" not in fields:
                raise self.fail(f"material {name!r} needs a 'preset' or a 'relative_permittivity'")
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
        label = f"object {name!r}"
        try:
            kind = ObjectKind(entry.get("kind"))
        except ValueError:
            raise self.fail(f"{label}: 'kind' must be 'solid' or 'surface', got {entry.get('kind')!r}") from None
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
            vertices, faces = closed_solid(vertices, faces, where)
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
        raise self.fail(f"{label}: unknown primitive type {kind!r} (box, cylinder, wall or plane)")

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
        label = f"region {name!r}"
        try:
            region_type = RegionType(entry.get("type"))
        except ValueError:
            raise self.fail(f"{label}: 'type' must be 'evaluation' or 'mounting', got {entry.get('type')!r}") from None
        if ("polygon" in entry) == ("polyline" in entry):
            raise self.fail(f"{label} needs exactly one of 'polygon' or 'polyline'")
        is_polyline = "polyline" in entry
        points = self.array(entry["polyline" if is_polyline else "polygon"], f"{label} points")
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
        if not isinstance(entry, dict):
            raise self.fail(f"each {what} must be an object with 'name' and 'position'")
        name = entry.get("name")
        position = self.vector(entry.get("position"), 3, f"{what} {name!r} position")
        try:
            return device_type(name=name, position=tuple(float(c) for c in position), enabled=bool(entry.get("enabled", True)))
        except ValueError as error:
            raise self.fail(str(error)) from None

    # ------------------------------------------------------------------ numbers

    def number(self, value, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{what} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise self.fail(f"{what} must be finite, got {value!r}")
        return float(value)

    def array(self, value, what: str) -> np.ndarray:
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise self.fail(f"{what} must be numbers, got {value!r}") from None
        if not np.all(np.isfinite(array)):
            raise self.fail(f"{what} must be finite (no NaN or infinity)")
        return array

    def vector(self, value, length: int | None, what: str) -> np.ndarray:
        array = self.array(value, what)
        if length is None:
            if array.shape not in ((), (3,)):
                raise self.fail(f"{what} must be a number or 3 numbers, got {value!r}")
        elif array.shape != (length,):
            raise self.fail(f"{what} must be {length} numbers, got {value!r}")
        return array


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
