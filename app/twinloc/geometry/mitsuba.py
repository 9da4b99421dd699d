"""Mitsuba 3 XML scenes as Sionna RT writes them: PLY/OBJ shapes with ITU radio materials."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from lxml import etree

from twinloc.geometry import primitives
from twinloc.geometry.errors import SceneError, read_scene_input
from twinloc.geometry.materials import MAX_THICKNESS_M, Material, material_presets
from twinloc.geometry.meshes import MAX_SCENE_TRIANGLES, as_scene_object, load_mesh_file
from twinloc.geometry.scene import ObjectKind, Scene
from twinloc.geometry.transforms import axis_angle_matrix
from twinloc.model.input_files import MIB

_FILE_SHAPES = ("ply", "obj")
#: Largest Mitsuba XML file that is read (Sionna's San Francisco scene is 1.1 MB).
MAX_XML_FILE_BYTES = 32 * MIB


def load_mitsuba_scene(path: str | Path) -> Scene:
    """Read a Mitsuba XML scene.

    Shapes of type ``ply`` and ``obj`` (and Mitsuba's ``rectangle`` and ``cube``) become
    objects with their ``to_world`` transform applied: SOLID if closed, else SURFACE (see
    :func:`as_hollow_shells` for how a closed shape is read once the envelope is found). Each
    shape's BSDF maps to a material preset by its id or the names of nested BSDFs
    (``mat-itu_concrete``, ``itu_concrete``, ``itu-concrete`` -> concrete), or by the
    ``type`` of a Sionna ``itu-radio-material`` (whose ``thickness`` is kept).

    Raises
    ------
    SceneError
        Unreadable XML, a missing mesh, an unsupported shape, or a radio material with no
        preset; the message names the file and the problem.
    """
    path = Path(path)
    content = read_scene_input(path, MAX_XML_FILE_BYTES, str(path), "scene file")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise SceneError(f"{path}: malformed XML at line {error.lineno}: {error.msg}") from None
    if root.tag != "scene":
        raise SceneError(f"{path}: not a Mitsuba scene (root element is <{root.tag}>, expected <scene>)")
    return _MitsubaReader(path, root).read()


class _MitsubaReader:
    def __init__(self, path: Path, root) -> None:
        self.path = path
        self.root = root
        self.defaults = {
            element.get("name"): element.get("value") for element in root if element.tag == "default"
        }
        self.bsdfs = {element.get("id"): element for element in root.iter("bsdf") if element.get("id")}
        self.materials: dict[str, Material] = {}

    def fail(self, problem: str) -> SceneError:
        return SceneError(f"{self.path}: {problem}")

    def attribute(self, element, name: str, default=None):
        """An attribute with Mitsuba's ``$name`` defaults substituted."""
        value = element.get(name, default)
        if isinstance(value, str) and value.startswith("$"):
            if value[1:] not in self.defaults:
                raise self.fail(f"<{element.tag}> line {element.sourceline}: no <default> for {value}")
            value = self.defaults[value[1:]]
        return value

    def read(self) -> Scene:
        objects, triangles = [], 0
        for index, shape in enumerate(element for element in self.root if element.tag == "shape"):
            name = shape.get("id") or f"shape {index + 1}"
            where = f"{self.path}: shape {name!r}"
            vertices, faces = self.shape_mesh(shape, where)
            triangles += len(faces)
            if triangles > MAX_SCENE_TRIANGLES:
                raise SceneError(f"{where}: the scene has more than {MAX_SCENE_TRIANGLES:,} triangles")
            to_world = self.to_world(shape, where)
            vertices = vertices @ to_world[:3, :3].T + to_world[:3, 3]
            material = self.shape_material(shape, where)
            objects.append(as_scene_object(name, material, vertices, faces, where))
        if not objects:
            raise self.fail("the scene has no shapes")
        names = [obj.name for obj in objects]
        if len(set(names)) != len(names):
            raise self.fail("shape ids must be unique")
        return Scene(name=self.path.stem, objects=tuple(objects), materials=dict(self.materials), source_path=self.path)

    def shape_mesh(self, shape, where: str) -> tuple[np.ndarray, np.ndarray]:
        kind = shape.get("type")
        if kind in _FILE_SHAPES:
            filename = next(
                (self.attribute(child, "value") for child in shape if child.tag == "string" and child.get("name") == "filename"),
                None,
            )
            if not filename:
                raise SceneError(f"{where}: a {kind} shape needs a 'filename' string")
            return load_mesh_file(self.path.parent / filename, where)
        if kind == "rectangle":
            return primitives.plane_mesh((2.0, 2.0))
        if kind == "cube":
            return primitives.box_mesh((2.0, 2.0, 2.0))
        raise SceneError(f"{where}: unsupported shape type {kind!r} (ply, obj, rectangle or cube)")

    def to_world(self, shape, where: str) -> np.ndarray:
        """(4, 4) float64; Mitsuba applies each listed operation after the ones before it."""
        matrix = np.eye(4)
        transform = next((c for c in shape if c.tag == "transform" and c.get("name") == "to_world"), None)
        if transform is None:
            return matrix
        for op in transform:
            step = np.eye(4)
            try:
                if op.tag == "matrix":
                    step = self.floats(op.get("value"), 16, where).reshape(4, 4)
                elif op.tag == "translate":
                    step[:3, 3] = self.xyz(op, 0.0, where)
                elif op.tag == "scale":
                    step[:3, :3] = np.diag(self.xyz(op, 1.0, where))
                elif op.tag == "rotate":
                    step[:3, :3] = axis_angle_matrix(self.xyz(op, 0.0, where), float(self.attribute(op, "angle", "0")))
                else:
                    raise SceneError(f"{where}: unsupported transform <{op.tag}>")
            except ValueError as error:
                raise SceneError(f"{where}: bad <{op.tag}> in to_world ({error})") from None
            matrix = step @ matrix
        if not np.all(np.isfinite(matrix)):
            raise SceneError(f"{where}: to_world transform is not finite")
        return matrix

    def xyz(self, op, default: float, where: str) -> np.ndarray:
        """Three numbers from ``value="x y z"`` (or one for all), else from x/y/z attributes."""
        value = self.attribute(op, "value")
        if value is not None:
            numbers = self.floats(value, None, where)
            if numbers.size == 1:
                return np.repeat(numbers, 3)
            if numbers.size == 3:
                return numbers
            raise SceneError(f"{where}: <{op.tag}> value must be 1 or 3 numbers, got {value!r}")
        return np.array([float(self.attribute(op, axis, default)) for axis in "xyz"])

    def floats(self, text, count: int | None, where: str) -> np.ndarray:
        numbers = np.array([float(v) for v in str(text).replace(",", " ").split()], dtype=np.float64)
        if count is not None and numbers.size != count:
            raise SceneError(f"{where}: expected {count} numbers, got {text!r}")
        return numbers

    def shape_material(self, shape, where: str) -> str:
        bsdf = next((c for c in shape if c.tag == "bsdf"), None)
        if bsdf is None:
            ref = next((c for c in shape if c.tag == "ref" and c.get("name", "bsdf") == "bsdf"), None)
            if ref is None:
                raise SceneError(f"{where}: the shape has no bsdf (radio material)")
            bsdf = self.bsdfs.get(ref.get("id"))
            if bsdf is None:
                raise SceneError(f"{where}: refers to bsdf {ref.get('id')!r}, which the file does not define")
        return self.material_from_bsdf(bsdf, where)

    def material_from_bsdf(self, bsdf, where: str) -> str:
        presets = material_presets()
        label = bsdf.get("id") or bsdf.get("name") or bsdf.get("type")
        if bsdf.get("type") == "itu-radio-material":
            return self.radio_material(bsdf, label, presets, where)
        candidates = [bsdf.get("id"), bsdf.get("name")] + [
            value for nested in bsdf.iter("bsdf") for value in (nested.get("id"), nested.get("name"))
        ]
        for candidate in candidates:
            if candidate and _preset_key(candidate) in presets:
                key = _preset_key(candidate)
                self.materials[key] = presets[key]
                return key
        raise SceneError(
            f"{where}: unknown radio material {label!r} (no ITU preset matches; known: "
            f"{', '.join('itu_' + name for name in sorted(presets))})"
        )


    def radio_material(self, bsdf, label: str, presets: dict[str, Material], where: str) -> str:
        """A Sionna ``itu-radio-material``: its ``type`` is the preset, its ``thickness`` kept.

        The material is named after the preset, or after the bsdf when its thickness differs
        from the preset's (so two thicknesses of one type stay two materials).
        """
        properties = {c.get("name"): self.attribute(c, "value") for c in bsdf if c.get("name")}
        preset_name = _preset_key(properties.get("type", ""))
        if preset_name not in presets:
            raise SceneError(f"{where}: radio material {label!r} has unknown ITU type {properties.get('type')!r}")
        material = presets[preset_name]
        name = preset_name
        if "thickness" in properties:
            thickness = _thickness(properties["thickness"])
            if thickness is None:
                raise SceneError(
                    f"{where}: radio material {label!r} has thickness {properties['thickness']!r}; "
                    f"expected 0 to {MAX_THICKNESS_M:g} m"
                )
            if thickness != material.thickness_m:
                name = _preset_key(bsdf.get("id") or preset_name)
                material = replace(material, name=name, thickness_m=thickness)
        self.materials[name] = material
        return name


def _thickness(text) -> float | None:
    """A thickness in metres from XML text, or None when it is not a number from 0 to MAX_THICKNESS_M."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and 0.0 <= value <= MAX_THICKNESS_M else None


def _preset_key(name: str) -> str:
    """'mat-itu_ceiling-board' -> 'ceiling_board'."""
    key = name.strip().lower()
    for prefix in ("mat-", "mat_"):
        key = key.removeprefix(prefix)
    for prefix in ("itu_", "itu-"):
        key = key.removeprefix(prefix)
    return key.replace("-", "_")


def as_hollow_shells(scene: Scene) -> Scene:
    """``scene`` with every SOLID turned into a SURFACE: closed shapes read as hollow shells.

    Sionna RT, whose format this is, models every face of a shape as a slab of its material's
    thickness: a building of its street canyon is walls around air, not 28 m of glass. Read as
    solids, the street behind a building is 15 dB darker than Sionna RT's map of the same file;
    read as shells the two agree (docs/benchmarks.md, "Radio maps"). Call it after the room's
    envelope is found, which looks for the enclosing closed shape among the solids.
    """
    shells = tuple(
        replace(obj, kind=ObjectKind.SURFACE) if obj.kind is ObjectKind.SOLID else obj for obj in scene.objects
    )
    return replace(scene, objects=shells)
