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
from twinloc.gui.viewport_projection import camera_ray, ray_hits_plane_z

#: Floor level of every scene, metres (the contract's convention).
FLOOR_Z_M = 0.0

#: What cameras frame and the ground grid surrounds while no scene (or an empty one) is shown.
EMPTY_SCENE_BOX = np.array([[-5.0, -5.0, 0.0], [5.0, 5.0, 3.0]])
SURFACE_OPACITY = 0.4
CUTAWAY_OPACITY = 0.08
EDGE_COLOR = "#2b2f36"
EDGE_OPACITY = 0.35
GROUND_COLOR = "#7d8590"
GROUND_OPACITY = 0.45
GROUND_SPACING_M = 1.0
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

    Parameters
    ----------
    plotter : pyvista.BasePlotter
        The plotter to draw into; actors are added and removed without rendering.
    """

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self._plotter = plotter
        self._object_actors: list[vtkActor] = []
        self._object_names: list[str] = []
        self._envelope_sides: list[tuple[int, int] | None] = []
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
        meshes = [object_mesh(obj) for obj in scene.objects]
        for obj, mesh in zip(scene.objects, meshes, strict=True):
            actor = self._plotter.add_mesh(
                mesh,
                pickable=True,
                reset_camera=False,
                render=False,
                **_object_style(scene, obj),
            )
            self._object_actors.append(actor)
            self._object_names.append(obj.name)
            self._envelope_sides.append(envelope_side(obj, self._box))
            if obj.envelope:
                actor.prop.culling = "back"
                self._envelope.append((obj.name, obj.vertices[obj.faces]))
                continue
            locator = vtkStaticCellLocator()
            locator.SetDataSet(actor.GetMapper().GetInput())
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
                opacity=GROUND_OPACITY,
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
        for obj, actor in zip(scene.objects, self._object_actors, strict=True):
            actor.prop.color = scene.material_of(obj).color
        return True

    def cut_away(self, camera_position) -> None:
        """Fade and stop picking the envelope surfaces seen from outside from ``camera_position``."""
        camera = np.asarray(camera_position, dtype=float)
        for actor, side in zip(self._object_actors, self._envelope_sides, strict=True):
            if side is None:
                continue
            axis, sign = side
            face = self._box[1 if sign > 0 else 0, axis]
            outside = (camera[axis] - face) * sign > 0.0
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
            hits.append(
                SurfaceHit(
                    point=np.array(self._picker.GetPickPosition()),
                    normal=np.array(self._picker.GetPickNormal()),
                    object_name=self._object_names[self._object_actors.index(actor)],
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
        for actor in self._object_actors + self._decor_actors:
            self._plotter.remove_actor(actor, reset_camera=False, render=False)
        self._object_actors.clear()
        self._object_names.clear()
        self._envelope_sides.clear()
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


def object_mesh(obj: SceneObject) -> pv.PolyData:
    """The triangle mesh of a scene object as PolyData."""
    faces = np.asarray(obj.faces, dtype=np.int64)
    cells = np.column_stack([np.full(len(faces), 3, dtype=np.int64), faces]).ravel()
    return pv.PolyData(np.asarray(obj.vertices, dtype=np.float64), cells)


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


def ground_grid(footprint: np.ndarray, spacing_m: float = GROUND_SPACING_M) -> pv.PolyData:
    """Lines every ``spacing_m`` on the floor around a footprint.

    Parameters
    ----------
    footprint : (2, 2) float64, metres
        [[xmin, ymin], [xmax, ymax]] of the scene.
    spacing_m : float, default: 1.0
    """
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
    if obj.kind is not ObjectKind.SURFACE or obj.envelope:  # the envelope hides its back instead
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


def _object_style(scene: Scene, obj: SceneObject) -> dict:
    return {
        "color": scene.material_of(obj).color,
        "opacity": SURFACE_OPACITY if obj.kind is ObjectKind.SURFACE else 1.0,
        "smooth_shading": False,
        "ambient": 0.25,
        "diffuse": 0.8,
        "specular": 0.05,
    }


def _new_picker() -> vtkCellPicker:
    picker = vtkCellPicker()
    picker.PickFromListOn()
    picker.SetTolerance(1e-4)
    return picker


def _inside(footprint: np.ndarray, xy: np.ndarray) -> bool:
    return bool(np.all(xy >= footprint[0]) and np.all(xy <= footprint[1]))

