"""The scene's planar faces: coplanar triangles of one object merged into one reflector.

The image method reflects a source in every plane a path may bounce off; grouping the
triangles of a box side or a wall into one plane keeps the image tree small (a box has 6
planes, not 12), and a reflection point is on the face when a ray's first hit there is one
of the group's triangles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinloc.geometry.scene import ObjectKind, Scene

PLANE_TOLERANCE_M = 1e-6
"""Triangles whose unit normals and plane offsets agree to this are one plane."""


@dataclass(frozen=True)
class PlanarFaces:
    """The reflecting planes of a scene, in the triangle order of a ``RayEngine`` built on it.

    normal : (P, 3) float64, unit normal of each plane as wound (outward for solids).
    offset : (P,) float64, metres; a point x lies on plane p when ``normal[p] @ x == offset[p]``.
    object_index : (P,) int64, the object owning each plane.
    two_sided : (P,) bool, the plane belongs to a SURFACE and reflects on both sides;
        a SOLID's faces reflect only on their outward side.
    triangle_plane : (F,) int64, the plane of each triangle; -1 for degenerate triangles.
    object_names : the scene's object names, for reporting interactions.
    """

    normal: np.ndarray
    offset: np.ndarray
    object_index: np.ndarray
    two_sided: np.ndarray
    triangle_plane: np.ndarray
    object_names: tuple[str, ...]

    @property
    def count(self) -> int:
        return int(len(self.offset))

    def mirror(self, points: np.ndarray, plane: np.ndarray) -> np.ndarray:
        """Mirror images of ``points`` (N, 3) metres in the planes ``plane`` (N,) int; (N, 3) metres."""
        normal = self.normal[plane]
        distance = np.einsum("ij,ij->i", normal, points) - self.offset[plane]
        return points - 2.0 * distance[:, None] * normal


def planar_faces(scene: Scene) -> PlanarFaces:
    """Group the triangles of each object of ``scene`` into planes.

    Parameters
    ----------
    scene : Scene

    Returns
    -------
    PlanarFaces
    """
    normals, offsets, owners, two_sided, triangle_plane = [], [], [], [], []
    planes_so_far = 0
    for index, obj in enumerate(scene.objects):
        corners = np.asarray(obj.vertices, dtype=np.float64)[np.asarray(obj.faces, dtype=np.int64)]
        cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        norms = np.linalg.norm(cross, axis=1)
        usable = norms > 0.0
        unit = np.zeros_like(cross)
        unit[usable] = cross[usable] / norms[usable, None]
        offset = np.einsum("ij,ij->i", unit, corners[:, 0])
        key = np.round(np.column_stack([unit, offset]) / PLANE_TOLERANCE_M).astype(np.int64)
        plane = np.full(len(corners), -1, dtype=np.int64)
        if usable.any():
            _, first, inverse = np.unique(key[usable], axis=0, return_index=True, return_inverse=True)
            plane[usable] = inverse.ravel() + planes_so_far
            rows = np.flatnonzero(usable)[first]
            normals.append(unit[rows])
            offsets.append(offset[rows])
            owners.append(np.full(len(rows), index, dtype=np.int64))
            two_sided.append(np.full(len(rows), obj.kind is ObjectKind.SURFACE))
            planes_so_far += len(rows)
        triangle_plane.append(plane)
    return PlanarFaces(
        normal=np.vstack(normals) if normals else np.zeros((0, 3)),
        offset=np.concatenate(offsets) if offsets else np.zeros(0),
        object_index=np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64),
        two_sided=np.concatenate(two_sided) if two_sided else np.zeros(0, dtype=bool),
        triangle_plane=np.concatenate(triangle_plane) if triangle_plane else np.zeros(0, dtype=np.int64),
        object_names=tuple(obj.name for obj in scene.objects),
    )
