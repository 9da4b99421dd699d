"""The scene's actors in the viewport: object meshes, their outlines, the ground grid, picking.

Surfaces (walls, doors, windows) are drawn partly transparent so that the interior of a
building stays visible; solids are opaque. Surfaces on the scene's outer envelope (the
ceiling, the perimeter walls, the floor) that the camera sees from outside are cut away:
nearly transparent and not pickable, so an oblique view from above looks into the rooms
and a click goes through them to what is behind, while the same surfaces seen from
inside can be clicked (to mount an anchor on them). The surfaces of a room's envelope (an
imported closed shell, wound with normals into the room) are drawn and picked from the front
only, so from outside the camera looks through their near side into the room and a click
lands inside. Edges are drawn as feature lines (creases and open borders), not as triangle
wireframes, so imported meshes stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from vtkmodules.vtkCommonDataModel import vtkStaticCellLocator
from vtkmodules.vtkRenderingCore import vtkActor, vtkCellPicker, vtkRenderer

from twinloc.geometry.scene import ObjectKind, Scene, SceneObject
from twinloc.gui.viewport.projection import camera_ray, ray_hits_plane_z

#: Floor level of every scene, metres (the contract's convention).
FLOOR_Z_M = 0.0

#: What cameras frame and the ground grid surrounds while no scene (or an empty one) is shown.
EMPTY_SCENE_BOX = np.array([[-5.0, -5.0, 0.0], [5.0, 5.0, 3.0]])
SURFACE_OPACITY = 0.4
CUTAWAY_OPACITY = 0.08
EDGE_COLOR = "#2b2f36"
EDGE_OPACITY = 0.35
#: Grey lines of 45 % opacity over the background, mixed in advance: drawn opaque, the lines
#: do not go through depth peeling, which made a city's frames two to three times slower.
GROUND_COLOR = "#b8bec5"
#: Spacings the ground grid chooses from, metres: the finest giving at most GROUND_MAX_LINES per side.
GROUND_SPACINGS_M = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)
GROUND_MAX_LINES = 60
#: Lift of the ground grid above the floor so it does not z-fight with a floor mesh.
GROUND_LIFT_M = 0.004
GROUND_MARGIN_M = 2.0
#: A flat surface this close to a face of the scene's bounding box lies on the envelope.
_ENVELOPE_TOLERANCE_M = 0.05
#: A pick whose normal is within ~8 degrees of vertical and this close to the floor is the floor.
_FLOOR_NORMAL_MIN_Z = 0.99
_FLOOR_TOLERANCE_M = 0.05


@dataclass(frozen=True)
class SurfaceHit:
    """A point picked on the scene.

    point : (3,) float64, metres.
    normal : (3,) float64, unit normal of the picked surface (zeros for the floor plane).
    object_name : the picked object, or None when the ray met the bare floor plane.
    """

    point: np.ndarray
    normal: np.ndarray
    object_name: str | None

    @property
    def is_floor(self) -> bool:
        """True when the hit lies on the floor: the bare floor plane or a level surface at floor height."""
        if self.object_name is None:
            return True
        return abs(self.normal[2]) >= _FLOOR_NORMAL_MIN_Z and abs(self.point[2] - FLOOR_Z_M) <= _FLOOR_TOLERANCE_M


def placement_for_hit(hit: SurfaceHit, mounting_height_m: float) -> tuple[float, float, float]:
    """Where an anchor placed by clicking ``hit`` goes.

    A click on the floor puts the anchor at the mounting height above that point; a click on
    a wall, a ceiling or furniture puts it at the picked point.
    """
    x, y, z = (float(c) for c in hit.point)
    if hit.is_floor:
        return (x, y, FLOOR_Z_M + float(mounting_height_m))
    return (x, y, z)


class SceneActors:
    """Draws one :class:`~twinloc.geometry.scene.Scene` into a plotter and picks on it.

    The objects are merged into a few actors, coloured per triangle by material: one for the
    solids, one for the other surfaces, and one per envelope surface (each is cut away on its
    own as the camera moves). A render costs about the same per actor whatever its size, so
    an imported city of thousands of objects draws as fast as a room of a few.

    Parameters
    ----------
    plotter : pyvista.BasePlotter
        The plotter to draw into; actors are added and removed without rendering.
    """

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._layers: list[_Layer] = []
        self._object_names: list[str] = []
        self._box = EMPTY_SCENE_BOX.copy()
        self._decor_actors: list[vtkActor] = []
        self._envelope: list[tuple[str, np.ndarray]] = []
        self._picker = _new_picker()

    @property
    def object_names(self) -> tuple[str, ...]:
        """Names of the drawn objects, in scene order."""
        return tuple(self._object_names)

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) float64: the drawn scene's bounding box, metres (a default room when empty)."""
        return self._box.copy()

    def show(self, scene: Scene) -> None:
        """Replace the drawn scene by ``scene``."""
        self.clear()
        self._box = scene.bounds if scene.objects else EMPTY_SCENE_BOX.copy()
        self._object_names = [obj.name for obj in scene.objects]
        palette = _palette(scene)
        meshes = []
        for indices, side, opacity, room_envelope in _layer_plan(scene, self._box):
            mesh, cell_objects = merged_mesh([scene.objects[i] for i in indices])
            cell_objects = np.asarray(indices, dtype=np.int64)[cell_objects]
            mesh.cell_data[_COLOUR] = palette[cell_objects]
            actor = self._plotter.add_mesh(
                mesh,
                scalars=_COLOUR,
                rgb=True,
                opacity=opacity,
                pickable=True,
                reset_camera=False,
                render=False,
                **_SHADING,
            )
            self._layers.append(_Layer(actor, mesh, cell_objects, side))
            meshes.append(mesh)
            if room_envelope:
                actor.prop.culling = "back"
                self._envelope += [(scene.objects[i].name, scene.objects[i].vertices[scene.objects[i].faces]) for i in indices]
                continue
            locator = vtkStaticCellLocator()
            locator.SetDataSet(mesh)
            locator.BuildLocator()
            self._picker.AddLocator(locator)
            self._picker.AddPickList(actor)
        edges = feature_edges(meshes)
        if edges.n_points:
            self._decor_actors.append(
                self._plotter.add_mesh(
                    edges,
                    color=EDGE_COLOR,
                    opacity=EDGE_OPACITY,
                    line_width=1.0,
                    lighting=False,
                    pickable=False,
                    reset_camera=False,
                    render=False,
                )
            )
        self._decor_actors.append(
            self._plotter.add_mesh(
                ground_grid(self._box[:, :2]),
                color=GROUND_COLOR,
                line_width=1.0,
                lighting=False,
                pickable=False,
                reset_camera=False,
                render=False,
            )
        )

    def update_materials(self, scene: Scene) -> bool:
        """Recolour the drawn objects from ``scene``'s materials.

        Returns
        -------
        bool
            False when ``scene`` has different objects than the drawn one (nothing changed then).
        """
        if tuple(obj.name for obj in scene.objects) != self.object_names:
            return False
        palette = _palette(scene)
        for layer in self._layers:
            layer.mesh.cell_data[_COLOUR] = palette[layer.cell_objects]
        return True

    def cut_away(self, camera_position) -> None:
        """Fade and stop picking the envelope surfaces seen from outside from ``camera_position``."""
        camera = np.asarray(camera_position, dtype=float)
        for layer in self._layers:
            if layer.envelope_side is None:
                continue
            axis, sign = layer.envelope_side
            face = self._box[1 if sign > 0 else 0, axis]
            outside = (camera[axis] - face) * sign > 0.0
            actor = layer.actor
            if outside == (not actor.GetPickable()):
                continue
            actor.prop.opacity = CUTAWAY_OPACITY if outside else SURFACE_OPACITY
            actor.SetPickable(not outside)

    def pick(self, renderer: vtkRenderer, xd: float, yd: float) -> SurfaceHit | None:
        """The scene point under a display pixel.

        The nearest object surface wins; where no object is hit, the ray is intersected with
        the floor plane inside the scene's footprint, so scenes without a floor mesh can be
        clicked too. Returns None for a ray into empty space.
        """
        self.cut_away(renderer.GetActiveCamera().GetPosition())
        origin, direction = camera_ray(renderer, xd, yd)
        hits = [self._envelope_hit(origin, direction)]
        if self._picker.Pick(xd, yd, 0.0, renderer):
            actor = self._picker.GetActor()
            layer = next(layer for layer in self._layers if layer.actor is actor)
            hits.append(
                SurfaceHit(
                    point=np.array(self._picker.GetPickPosition()),
                    normal=np.array(self._picker.GetPickNormal()),
                    object_name=self._object_names[layer.cell_objects[self._picker.GetCellId()]],
                )
            )
        hits = [hit for hit in hits if hit is not None]
        if hits:
            return min(hits, key=lambda hit: float(np.dot(hit.point - origin, direction)))
        point = ray_hits_plane_z(origin, direction, FLOOR_Z_M)
        if point is None or not _inside(self._box[:, :2], point[:2]):
            return None
        return SurfaceHit(point=point, normal=np.zeros(3), object_name=None)

    def _envelope_hit(self, origin: np.ndarray, direction: np.ndarray) -> SurfaceHit | None:
        """The nearest envelope face the ray meets from the room's side (its front), or None."""
        nearest = None
        for name, triangles in self._envelope:
            hit = front_face_hit(origin, direction, triangles)
            if hit is not None and (nearest is None or hit[0] < nearest[0]):
                nearest = (*hit, name)
        if nearest is None:
            return None
        distance, normal, name = nearest
        return SurfaceHit(point=origin + distance * direction, normal=normal, object_name=name)

    def clear(self) -> None:
        """Remove every actor this object added."""
        for actor in [layer.actor for layer in self._layers] + self._decor_actors:
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        self._layers.clear()
        self._object_names.clear()
        self._envelope.clear()
        self._decor_actors.clear()
        self._picker.InitializePickList()
        self._picker.RemoveAllLocators()


def front_face_hit(origin, direction, triangles: np.ndarray) -> tuple[float, np.ndarray] | None:
    """Where a ray first meets a triangle that faces it (Moller-Trumbore).

    Parameters
    ----------
    origin : (3,) float, metres
    direction : (3,) float, unit vector
    triangles : (F, 3, 3) float64, metres; a triangle faces the ray when its normal (by the
        right-hand rule on its corners) points against ``direction``.

    Returns
    -------
    (distance metres along ``direction``, unit normal (3,)) of the nearest hit, or None.
    """
    origin, direction = np.asarray(origin, dtype=float), np.asarray(direction, dtype=float)
    edge1 = triangles[:, 1] - triangles[:, 0]
    edge2 = triangles[:, 2] - triangles[:, 0]
    normals = np.cross(edge1, edge2)
    facing = normals @ direction < 0.0
    p = np.cross(direction, edge2)
    determinant = np.einsum("ij,ij->i", edge1, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / determinant
        s = origin - triangles[:, 0]
        u = np.einsum("ij,ij->i", s, p) * inverse
        q = np.cross(s, edge1)
        v = (q @ direction) * inverse
        t = np.einsum("ij,ij->i", edge2, q) * inverse
    valid = facing & (determinant != 0.0) & (u >= 0.0) & (v >= 0.0) & (u + v <= 1.0) & (t > 0.0)
    if not valid.any():
        return None
    index = np.flatnonzero(valid)[np.argmin(t[valid])]
    return float(t[index]), normals[index] / np.linalg.norm(normals[index])


@dataclass(frozen=True, eq=False)
class _Layer:
    """One actor of merged objects.

    cell_objects : (T,) int64, the scene index of the object each triangle belongs to.
    envelope_side : see :func:`envelope_side`; None for a layer that is never cut away.
    """

    actor: vtkActor
    mesh: pv.PolyData
    cell_objects: np.ndarray
    envelope_side: tuple[int, int] | None


def merged_mesh(objects: list[SceneObject]) -> tuple[pv.PolyData, np.ndarray]:
    """The triangles of ``objects`` as one PolyData (vertices not shared between objects).

    Returns
    -------
    mesh : pyvista.PolyData
    cell_objects : (T,) int64
        For each triangle, the position in ``objects`` of the object it comes from.
    """
    vertex_counts = [len(obj.vertices) for obj in objects]
    offsets = np.concatenate([[0], np.cumsum(vertex_counts)[:-1]]).astype(np.int64)
    faces = np.concatenate([np.asarray(obj.faces, dtype=np.int64) + offset for obj, offset in zip(objects, offsets)])
    vertices = np.concatenate([np.asarray(obj.vertices, dtype=np.float64) for obj in objects])
    cells = np.column_stack([np.full(len(faces), 3, dtype=np.int64), faces]).ravel()
    cell_objects = np.repeat(np.arange(len(objects), dtype=np.int64), [len(obj.faces) for obj in objects])
    return pv.PolyData(vertices, cells), cell_objects


def feature_edges(meshes: list[pv.PolyData], feature_angle_deg: float = 30.0) -> pv.PolyData:
    """The creases and open borders of ``meshes`` merged into one line set."""
    parts = [
        mesh.extract_feature_edges(
            feature_angle=feature_angle_deg,
            boundary_edges=True,
            feature_edges=True,
            non_manifold_edges=False,
            manifold_edges=False,
        )
        for mesh in meshes
        if mesh.n_cells
    ]
    parts = [part for part in parts if part.n_points]
    if not parts:
        return pv.PolyData()
    return pv.merge(parts, merge_points=False)


def ground_grid(footprint: np.ndarray) -> pv.PolyData:
    """Lines on the floor around a footprint, every metre in a room and wider apart in a city.

    The spacing is the finest of :data:`GROUND_SPACINGS_M` that keeps each side within
    :data:`GROUND_MAX_LINES` lines: lines a pixel apart would grey the whole floor and
    cost a software renderer most of a frame.

    Parameters
    ----------
    footprint : (2, 2) float64, metres
        [[xmin, ymin], [xmax, ymax]] of the scene.
    """
    extent = float(np.max(footprint[1] - footprint[0])) + 2 * GROUND_MARGIN_M
    spacing_m = next((s for s in GROUND_SPACINGS_M if extent / s <= GROUND_MAX_LINES), GROUND_SPACINGS_M[-1])
    low = np.floor((footprint[0] - GROUND_MARGIN_M) / spacing_m) * spacing_m
    high = np.ceil((footprint[1] + GROUND_MARGIN_M) / spacing_m) * spacing_m
    xs = np.arange(low[0], high[0] + spacing_m / 2, spacing_m)
    ys = np.arange(low[1], high[1] + spacing_m / 2, spacing_m)
    z = FLOOR_Z_M + GROUND_LIFT_M
    starts = np.concatenate([np.column_stack([xs, np.full_like(xs, low[1])]), np.column_stack([np.full_like(ys, low[0]), ys])])
    ends = np.concatenate([np.column_stack([xs, np.full_like(xs, high[1])]), np.column_stack([np.full_like(ys, high[0]), ys])])
    points = np.empty((2 * len(starts), 3))
    points[0::2, :2] = starts
    points[1::2, :2] = ends
    points[:, 2] = z
    lines = np.column_stack(
        [np.full(len(starts), 2), np.arange(0, len(points), 2), np.arange(1, len(points), 2)]
    ).ravel()
    return pv.PolyData(points, lines=lines)


def envelope_side(obj: SceneObject, box: np.ndarray) -> tuple[int, int] | None:
    """The face of the scene's bounding box a flat surface lies on, or None.

    Parameters
    ----------
    obj : SceneObject
    box : (2, 3) float64, metres
        The scene's bounding box.

    Returns
    -------
    tuple of int or None
        (axis 0/1/2 for x/y/z, -1 for the low face or +1 for the high face).
    """
    if obj.kind is not ObjectKind.SURFACE or obj.envelope:  # a room's envelope hides its back instead
        return None
    low, high = obj.bounds
    for axis in range(3):
        if high[axis] - low[axis] > _ENVELOPE_TOLERANCE_M:
            continue
        if abs(low[axis] - box[0, axis]) <= _ENVELOPE_TOLERANCE_M:
            return (axis, -1)
        if abs(high[axis] - box[1, axis]) <= _ENVELOPE_TOLERANCE_M:
            return (axis, 1)
    return None


_COLOUR = "material colour"
_SHADING = {"smooth_shading": False, "ambient": 0.25, "diffuse": 0.8, "specular": 0.05}


def _palette(scene: Scene) -> np.ndarray:
    """(O, 3) uint8: the RGB colour of each object's material, in scene order."""
    return np.array(
        [[round(c * 255) for c in pv.Color(scene.material_of(obj).color).float_rgb] for obj in scene.objects],
        dtype=np.uint8,
    ).reshape(-1, 3)


def _layer_plan(scene: Scene, box: np.ndarray) -> list[tuple[list[int], tuple[int, int] | None, float, bool]]:
    """How the objects are grouped into actors: (object indices, envelope side, opacity, room
    envelope) each.

    Every surface on the bounding box's envelope is its own layer; a room's envelope (an
    imported closed shell) is one layer drawn from the front only; the other surfaces form
    one layer and the solids another (translucent and opaque objects need different opacities).
    """
    surfaces, solids, room, layers = [], [], [], []
    for index, obj in enumerate(scene.objects):
        side = envelope_side(obj, box)
        if obj.envelope:
            room.append(index)
        elif side is not None:
            layers.append(([index], side, SURFACE_OPACITY, False))
        elif obj.kind is ObjectKind.SURFACE:
            surfaces.append(index)
        else:
            solids.append(index)
    if room:
        layers.append((room, None, SURFACE_OPACITY, True))
    if surfaces:
        layers.append((surfaces, None, SURFACE_OPACITY, False))
    if solids:
        layers.append((solids, None, 1.0, False))
    return layers


def _new_picker() -> vtkCellPicker:
    picker = vtkCellPicker()
    picker.PickFromListOn()
    picker.SetTolerance(1e-4)
    return picker


def _inside(footprint: np.ndarray, xy: np.ndarray) -> bool:
    return bool(np.all(xy >= footprint[0]) and np.all(xy <= footprint[1]))

