"""Shared fixtures of the GUI tests: isolated settings and data folders, a small test scene,
and a check that every VTK plotter a test opened was closed.

The tests drive real windows; under pytest-xvfb they run on a virtual X server (a
QtInteractor does not render on the offscreen platform).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QMessageBox
from pyvista.plotting.plotter import _ALL_PLOTTERS

from twinloc.geometry.materials import material_presets
from twinloc.geometry.primitives import box_mesh, plane_mesh, wall_mesh
from twinloc.geometry.scene import ObjectKind, Scene, SceneObject

#: Extent of :func:`small_hall`: a 12 m x 8 m room, walls 3 m high.
HALL_SIZE_M = (12.0, 8.0, 3.0)


@pytest.fixture(scope="session")
def qapp_args():
    """Arguments of the test QApplication (pytest-qt)."""
    return ["twinloc-tests"]


@pytest.fixture(autouse=True)
def isolated_user_folders(tmp_path, monkeypatch):
    """Point TwinLoc's data and settings folders and every QSettings file into ``tmp_path``.

    Yields
    ------
    dict
        ``{"data": Path, "settings": Path}``, the folders used.
    """
    data_dir = tmp_path / "twinloc-data"
    settings_dir = tmp_path / "twinloc-settings"
    data_dir.mkdir()
    settings_dir.mkdir()
    monkeypatch.setenv("TWINLOC_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TWINLOC_SETTINGS_DIR", str(settings_dir))
    QCoreApplication.setOrganizationName("TwinLoc-tests")
    QCoreApplication.setApplicationName("TwinLoc")
    for settings_format in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(settings_format, scope, str(settings_dir))
    yield {"data": data_dir, "settings": settings_dir}


@pytest.fixture
def errors(monkeypatch) -> list[tuple[str, str]]:
    """Error dialogs recorded as (title, text) instead of shown."""
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text)))
    return shown


@pytest.fixture(autouse=True)
def no_leaked_plotters():
    """Fail a test that leaves a VTK plotter (a viewport) open."""
    before = set(_ALL_PLOTTERS)
    yield
    leaked = set(_ALL_PLOTTERS) - before
    for name in leaked:
        _ALL_PLOTTERS[name].close()
    assert not leaked, f"{len(leaked)} VTK plotter(s) left open; close the viewport/window in the test"


def small_hall() -> Scene:
    """A 12 m x 8 m room, 3 m high: concrete floor, ceiling board, brick, plasterboard and glass
    walls, a metal cabinet (5-7 m in x, 3-4 m in y, 1.8 m high) and a wooden table (8-10 m in x,
    5-6.5 m in y, 0.75 m high); open on the south side (y = 0)."""
    length, width, height = HALL_SIZE_M
    objects = (
        SceneObject("floor", ObjectKind.SURFACE, "concrete", *plane_mesh((length, width), (length / 2, width / 2, 0.0))),
        SceneObject("ceiling", ObjectKind.SURFACE, "ceiling_board", *plane_mesh((length, width), (length / 2, width / 2, height))),
        SceneObject("east wall", ObjectKind.SURFACE, "brick", *wall_mesh((length, 0.0), (length, width), 0.0, height)),
        SceneObject("north wall", ObjectKind.SURFACE, "plasterboard", *wall_mesh((length, width), (0.0, width), 0.0, height)),
        SceneObject("west glazing", ObjectKind.SURFACE, "glass", *wall_mesh((0.0, width), (0.0, 0.0), 0.0, height)),
        SceneObject("cabinet", ObjectKind.SOLID, "metal", *box_mesh((2.0, 1.0, 1.8), (6.0, 3.5, 0.9))),
        SceneObject("table", ObjectKind.SOLID, "wood", *box_mesh((2.0, 1.5, 0.75), (9.0, 5.75, 0.375))),
    )
    return Scene(name="small hall", objects=objects, materials=dict(material_presets()))


@pytest.fixture
def hall_scene() -> Scene:
    """The :func:`small_hall` test scene."""
    return small_hall()
