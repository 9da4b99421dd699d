"""The 3D viewport in a real window: rendering, placing and dragging anchors, floor maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow

from twinloc.geometry.floor_layer import PointSet
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.loaders import load_scene
from twinloc.geometry.materials import Material, material_presets
from twinloc.gui.viewport.projection import display_to_widget, widget_to_display
from twinloc.gui.viewport.scene import SurfaceHit, front_face_hit, placement_for_hit
from twinloc.gui.viewport.widget import SceneViewport
from twinloc.model.devices import AccessPoint, Anchor

pytestmark = pytest.mark.gui

SIONNA = Path(__file__).parents[2] / "data" / "sionna"
VIEW_SIZE = (1000, 700)
#: Picking tolerance: a grid cell of the maps the viewport shows.
TOLERANCE_M = 0.05


@pytest.fixture
def viewport(qtbot):
    """A SceneViewport of fixed size shown in a main window; closed after the test."""
    window = QMainWindow()
    view = SceneViewport()
    view.setFixedSize(*VIEW_SIZE)
    window.setCentralWidget(view)
    window.show()
    qtbot.waitExposed(window)
    yield view
    view.close()
    window.close()
    window.deleteLater()


@pytest.fixture
def hall_view(viewport, hall_scene):
    viewport.set_scene(hall_scene)
    return viewport


def floor_grid(resolution_m: float = 0.5) -> FloorGrid:
    """Cells over the small hall's floor, with a hole where the cabinet stands."""
    xs = np.arange(resolution_m / 2, 12.0, resolution_m)
    ys = np.arange(resolution_m / 2, 8.0, resolution_m)
    gx, gy = np.meshgrid(xs, ys)
    mask = ~((gx > 5.0) & (gx < 7.0) & (gy > 3.0) & (gy < 4.0))
    return FloorGrid(x_centers=xs, y_centers=ys, z_m=1.0, mask=mask, resolution_m=resolution_m)


def drag(widget, start: QPoint, end: QPoint, steps: int = 8) -> None:
    """Press the left button at ``start``, move to ``end`` with the button held, release."""
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for fraction in np.linspace(0.0, 1.0, steps + 1)[1:]:
        pos = QPointF(start) + (QPointF(end) - QPointF(start)) * float(fraction)
        move = QMouseEvent(
            QEvent.Type.MouseMove,
            pos,
            QPointF(widget.mapToGlobal(pos)),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(widget, move)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def colour_pixels(image: np.ndarray, hex_colour: str, min_cosine: float = 0.999) -> int:
    """How many pixels have the chromaticity of ``hex_colour`` (shading only scales brightness)."""
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    pixels = image.reshape(-1, 3).astype(float)
    norms = np.linalg.norm(pixels, axis=1) * np.linalg.norm(target)
    cosine = pixels @ target / np.where(norms > 0, norms, 1.0)
    return int(np.count_nonzero((cosine >= min_cosine) & (pixels.max(axis=1) > 40)))


def display_of(viewport, point) -> tuple[float, float]:
    """Display coordinates (VTK pixels, bottom-left origin) where the world ``point`` is drawn."""
    widget = viewport.world_to_widget(point)
    return widget_to_display(widget.x(), widget.y(), viewport.plotter.height(), viewport.plotter.devicePixelRatioF())


def camera_state(viewport) -> tuple:
    camera = viewport.plotter.camera
    return (camera.position, camera.focal_point, camera.up)


# ---- rendering -------------------------------------------------------------------------


def test_scene_renders_with_material_colours(hall_view, hall_scene):
    image = hall_view.screenshot()

    assert image.shape == (VIEW_SIZE[1], VIEW_SIZE[0], 3)
    assert image.dtype == np.uint8
    assert image.std() > 15.0
    assert colour_pixels(image, hall_scene.materials["wood"].color) > 500

    green = Material("wood", 1.99, 0.04, color="#00c000")
    hall_view.update_materials(hall_scene.with_materials({"wood": green}))
    recoloured = hall_view.screenshot()

    assert colour_pixels(recoloured, "#00c000", min_cosine=0.98) > 500
    assert colour_pixels(image, "#00c000", min_cosine=0.98) == 0


def test_changes_of_one_turn_render_once_when_the_loop_paints(hall_view, hall_scene, qtbot):
    renders = []
    observer = hall_view.plotter.renderer.AddObserver("StartEvent", lambda *_: renders.append(1))
    try:
        qtbot.wait(50)  # let the first frame of the fixture go
        renders.clear()
        grid = floor_grid()
        hall_view.set_scene(hall_scene)
        hall_view.set_anchors((Anchor("A1", (2.0, 2.0, 2.5)),), {"A1"})
        hall_view.set_floor_map(grid, grid.points[:, 0], "Map")
        hall_view.set_floor_markers([PointSet(np.array([[3.0, 3.0]]), "#ff0000", label="Point")])
        hall_view.view_top()
        assert renders == []  # nothing drawn inside the slots
        qtbot.waitUntil(lambda: len(renders) >= 1, timeout=2000)
        qtbot.wait(100)
        assert len(renders) == 1
    finally:
        hall_view.plotter.renderer.RemoveObserver(observer)


def test_scene_objects_are_drawn_by_a_few_actors_and_picked_by_name(hall_view, hall_scene):
    # Five walls/floor/ceiling surfaces and two solids: each envelope surface its own actor (the
    # floor, the ceiling, the east, north and west walls), the cabinet and table merged into one.
    layers = hall_view._scene_actors._layers
    assert sorted(len(set(layer.cell_objects.tolist())) for layer in layers) == [1, 1, 1, 1, 1, 2]
    hall_view.view_top()
    hit = hall_view._scene_actors.pick(hall_view.plotter.renderer, *display_of(hall_view, (9.0, 5.75, 0.75)))
    assert hit.object_name == "table" and hit.point[2] == pytest.approx(0.75, abs=TOLERANCE_M)
    hit = hall_view._scene_actors.pick(hall_view.plotter.renderer, *display_of(hall_view, (6.0, 3.5, 1.8)))
    assert hit.object_name == "cabinet" and hit.point[2] == pytest.approx(1.8, abs=TOLERANCE_M)


def test_screenshot_writes_png(hall_view, tmp_path):
    path = tmp_path / "view.png"
    hall_view.screenshot(path)
    assert path.stat().st_size > 1000


def test_set_scene_again_replaces_actors(hall_view, hall_scene):
    count = len(hall_view.plotter.renderer.actors)
    hall_view.set_scene(hall_scene)
    hall_view.set_scene(hall_scene)
    assert len(hall_view.plotter.renderer.actors) == count


def test_camera_presets_frame_the_scene(hall_view):
    for preset in (hall_view.view_top, hall_view.view_iso, hall_view.view_fit):
        preset()
        for corner in [(0.0, 0.0, 0.0), (12.0, 8.0, 3.0), (0.0, 8.0, 3.0), (12.0, 0.0, 0.0)]:
            point = hall_view.world_to_widget(corner)
            assert 0 <= point.x() < VIEW_SIZE[0] and 0 <= point.y() < VIEW_SIZE[1], (preset, corner)


def test_scene_set_before_showing_is_framed_at_the_shown_size(qtbot, hall_scene):
    view = SceneViewport()
    view.set_scene(hall_scene)
    window = QMainWindow()
    view.setFixedSize(*VIEW_SIZE)
    window.setCentralWidget(view)
    window.show()
    qtbot.waitExposed(window)
    try:
        shown = camera_state(view)
        view.view_iso()  # framing computed for the shown size
        assert np.allclose(np.array(shown), np.array(camera_state(view)))
    finally:
        view.close()
        window.close()


def test_anchor_updates_keep_their_actors(hall_view):
    hall_view.set_anchors((Anchor("A1", (2.0, 2.0, 2.5)), Anchor("A2", (10.0, 6.0, 2.5))), set())
    actors = dict(hall_view.plotter.actors)
    before = hall_view.screenshot()

    hall_view.set_anchors((Anchor("A1", (3.0, 2.0, 2.5)), Anchor("A2", (10.0, 6.0, 2.5), enabled=False)), {"A1"})

    assert dict(hall_view.plotter.actors) == actors
    assert not np.array_equal(hall_view.screenshot(), before)


def test_removed_anchors_leave_no_actors(hall_view):
    count = len(hall_view.plotter.renderer.actors)
    hall_view.set_anchors((Anchor("A1", (2.0, 2.0, 2.5)), Anchor("A2", (10.0, 6.0, 2.5))), {"A2"})
    hall_view.set_anchors((), set())
    assert len(hall_view.plotter.renderer.actors) == count


# ---- placing anchors -------------------------------------------------------------------


def test_click_on_floor_places_at_mounting_height(hall_view, qtbot):
    hall_view.view_top()  # looking down through the ceiling, which is cut away
    hall_view.set_mode("place_anchor")
    hall_view.set_mounting_height(2.3)
    target = (3.0, 2.0, 0.0)

    with qtbot.waitSignal(hall_view.placeRequested, timeout=2000) as blocker:
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, pos=hall_view.world_to_widget(target))

    x, y, z = blocker.args[0]
    assert abs(x - target[0]) < TOLERANCE_M and abs(y - target[1]) < TOLERANCE_M
    assert z == pytest.approx(2.3)


def test_click_on_wall_places_on_the_wall(hall_view, qtbot):
    hall_view.view_iso()
    hall_view.set_mode("place_anchor")
    target = (6.0, 8.0, 1.5)

    with qtbot.waitSignal(hall_view.placeRequested, timeout=2000) as blocker:
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, pos=hall_view.world_to_widget(target))

    assert np.allclose(blocker.args[0], target, atol=TOLERANCE_M)


def test_click_on_ceiling_from_inside_places_on_the_ceiling(hall_view, qtbot):
    camera = hall_view.plotter.camera
    camera.position, camera.focal_point, camera.up = (6.0, 4.0, 1.0), (6.0, 4.0, 3.0), (0.0, 1.0, 0.0)
    hall_view.plotter.renderer.ResetCameraClippingRange()
    hall_view.set_mode("place_anchor")
    target = (5.0, 5.0, 3.0)

    with qtbot.waitSignal(hall_view.placeRequested, timeout=2000) as blocker:
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, pos=hall_view.world_to_widget(target))

    assert np.allclose(blocker.args[0], target, atol=TOLERANCE_M)


def test_click_through_a_wall_seen_from_outside_reaches_the_floor(hall_view, qtbot):
    camera = hall_view.plotter.camera  # west of the glazing at x = 0, looking east and down
    camera.position, camera.focal_point, camera.up = (-6.0, 4.0, 2.5), (4.0, 4.0, 0.0), (0.0, 0.0, 1.0)
    hall_view.plotter.renderer.ResetCameraClippingRange()
    hall_view.set_mode("place_anchor")
    target = (2.0, 4.0, 0.0)
    assert hall_view.world_to_widget((0.0, 4.0, 1.0)).y() < hall_view.world_to_widget(target).y()

    with qtbot.waitSignal(hall_view.placeRequested, timeout=2000) as blocker:
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, pos=hall_view.world_to_widget(target))

    assert np.allclose(blocker.args[0], (2.0, 4.0, 2.0), atol=TOLERANCE_M)


def test_click_on_empty_space_places_nothing(hall_view, qtbot):
    hall_view.view_iso()
    hall_view.set_mode("place_anchor")
    with qtbot.assertNotEmitted(hall_view.placeRequested, wait=200):
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, pos=QPoint(VIEW_SIZE[0] // 2, 5))


def test_navigate_mode_click_places_nothing(hall_view, qtbot):
    hall_view.view_top()
    with qtbot.assertNotEmitted(hall_view.placeRequested, wait=200):
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, pos=hall_view.world_to_widget((3.0, 2.0, 0.0)))


def test_place_mode_shows_a_crosshair(hall_view):
    hall_view.set_mode("place_anchor")
    assert hall_view.plotter.cursor().shape() == Qt.CursorShape.CrossCursor
    hall_view.set_mode("navigate")
    assert hall_view.plotter.cursor().shape() == Qt.CursorShape.ArrowCursor
    with pytest.raises(ValueError, match="unknown viewport mode"):
        hall_view.set_mode("measure")


# ---- dragging and clicking anchors -----------------------------------------------------


def test_drag_moves_anchor_without_moving_camera(hall_view, qtbot):
    hall_view.view_top()
    hall_view.set_anchors((Anchor("A1", (3.0, 2.0, 2.5)), Anchor("A2", (10.0, 6.0, 2.5))), set())
    camera = camera_state(hall_view)
    previews = []
    hall_view.anchorDragPreview.connect(lambda name, pos: previews.append((name, pos)))

    with qtbot.waitSignal(hall_view.anchorDragFinished, timeout=2000) as blocker:
        drag(hall_view.plotter, hall_view.world_to_widget((3.0, 2.0, 2.5)), hall_view.world_to_widget((6.0, 5.0, 2.5)))

    name, (x, y, z) = blocker.args
    assert name == "A1"
    assert abs(x - 6.0) < TOLERANCE_M and abs(y - 5.0) < TOLERANCE_M and z == pytest.approx(2.5)
    assert previews and previews[0][0] == "A1"
    assert camera_state(hall_view) == camera


def test_drag_in_oblique_view_stays_at_anchor_height(hall_view, qtbot):
    hall_view.view_iso()
    hall_view.set_anchors((Anchor("A1", (3.0, 2.0, 2.0)),), set())
    camera = camera_state(hall_view)

    with qtbot.waitSignal(hall_view.anchorDragFinished, timeout=2000) as blocker:
        drag(hall_view.plotter, hall_view.world_to_widget((3.0, 2.0, 2.0)), hall_view.world_to_widget((8.0, 6.0, 2.0)))

    assert np.allclose(blocker.args[1], (8.0, 6.0, 2.0), atol=TOLERANCE_M)
    assert camera_state(hall_view) == camera


def test_drag_on_empty_floor_rotates_camera(hall_view):
    hall_view.view_iso()
    camera = camera_state(hall_view)
    drag(hall_view.plotter, QPoint(500, 400), QPoint(650, 380))
    assert camera_state(hall_view) != camera


def test_click_on_anchor_reports_it_with_ctrl(hall_view, qtbot):
    hall_view.view_top()
    hall_view.set_anchors((Anchor("A1", (3.0, 2.0, 2.5)), Anchor("A2", (10.0, 6.0, 2.5))), set())
    pos = hall_view.world_to_widget((10.0, 6.0, 2.5))

    with qtbot.waitSignal(hall_view.anchorClicked, timeout=2000) as blocker:
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, pos)
    assert blocker.args == ["A2", True]

    with qtbot.waitSignal(hall_view.anchorClicked, timeout=2000) as blocker:
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == ["A2", False]


def test_access_points_are_dragged_and_clicked_apart_from_anchors(hall_view, qtbot):
    hall_view.view_top()
    # In the top view the access point hangs right above an anchor: the glyph nearer the camera is grabbed.
    hall_view.set_anchors((Anchor("A1", (3.0, 2.0, 2.5)),), set())
    hall_view.set_access_points((AccessPoint("W1", (3.0, 2.0, 2.8)), AccessPoint("W2", (10.0, 6.0, 2.8))))

    with qtbot.assertNotEmitted(hall_view.anchorDragFinished, wait=100):
        with qtbot.waitSignal(hall_view.accessPointDragFinished, timeout=2000) as blocker:
            drag(hall_view.plotter, hall_view.world_to_widget((3.0, 2.0, 2.8)), hall_view.world_to_widget((6.0, 5.0, 2.8)))
    name, position = blocker.args
    assert name == "W1" and np.allclose(position, (6.0, 5.0, 2.8), atol=TOLERANCE_M)
    assert np.allclose(hall_view.access_point_actors().position("W1"), position)
    assert np.allclose(hall_view._anchor_actors.position("A1"), (3.0, 2.0, 2.5))

    with qtbot.waitSignal(hall_view.accessPointClicked, timeout=2000) as blocker:
        QTest.mouseClick(hall_view.plotter, Qt.MouseButton.LeftButton, pos=hall_view.world_to_widget((10.0, 6.0, 2.8)))
    assert blocker.args == ["W2", False]


def test_access_points_redraw_in_place_and_highlights_combine(hall_view):
    count = len(hall_view.plotter.renderer.actors)
    points = (AccessPoint("W1", (3.0, 2.0, 2.8)), AccessPoint("W2", (10.0, 6.0, 2.8), enabled=False))
    hall_view.set_access_points(points)
    actors = dict(hall_view.plotter.actors)
    glyphs = hall_view.access_point_actors()
    hall_view.highlight_access_points("radio_map", {"W1"})
    hall_view.highlight_access_points("table", {"W1"})
    hall_view.highlight_access_points("radio_map", set())
    assert glyphs.actor("W1").GetScale() == pytest.approx((1.35, 1.35, 1.35))  # the table still names it
    hall_view.highlight_access_points("table", set())
    assert glyphs.actor("W1").GetScale() == pytest.approx((1.0, 1.0, 1.0))
    assert glyphs.actor("W2").GetProperty().GetOpacity() < 0.5
    assert dict(hall_view.plotter.actors) == actors
    hall_view.set_access_points(())
    assert len(hall_view.plotter.renderer.actors) == count  # no glyph, mast or label left


def test_cursor_reports_the_scene_point(hall_view, qtbot):
    hall_view.view_top()
    target = (4.0, 6.0, 0.0)
    with qtbot.waitSignal(hall_view.cursorMoved, timeout=2000, check_params_cb=lambda p: p is not None) as blocker:
        QTest.mouseMove(hall_view.plotter, hall_view.world_to_widget(target))
    assert np.allclose(blocker.args[0], target, atol=TOLERANCE_M)

    with qtbot.waitSignal(hall_view.cursorMoved, timeout=2000, check_params_cb=lambda p: p is None):
        QTest.mouseMove(hall_view.plotter, QPoint(3, 3))


# ---- floor map -------------------------------------------------------------------------


def test_floor_map_shows_values_and_clears(hall_view):
    hall_view.view_top()
    grid = floor_grid()
    values = grid.points[:, 0] / 12.0  # 0 at the west wall, 1 at the east wall
    values[:10] = np.nan
    before = hall_view.screenshot()
    probe = hall_view.world_to_widget((2.25, 6.25, 0.0))

    hall_view.set_floor_map(grid, values, "Test map (m)", cmap="viridis", clim=(0.0, 1.0))
    shown = hall_view.screenshot()

    assert np.array_equal(hall_view.floor_map_values(), grid.to_image(values), equal_nan=True)
    assert "Test map (m)" in hall_view.plotter.scalar_bars
    change = np.abs(shown.astype(int) - before.astype(int)).sum(axis=2)
    assert change[probe.y(), probe.x()] > 60

    hall_view.clear_floor_map()
    cleared = hall_view.screenshot()

    assert hall_view.floor_map_values() is None
    assert "Test map (m)" not in hall_view.plotter.scalar_bars
    assert np.abs(cleared.astype(int) - before.astype(int)).sum(axis=2)[probe.y(), probe.x()] < 10


def test_floor_map_leaves_nan_cells_undrawn(hall_view):
    hall_view.view_top()
    grid = floor_grid()
    values = np.full(len(grid.points), np.nan)
    west = grid.points[:, 0] < 6.0
    values[west] = 1.0
    before = hall_view.screenshot()
    hall_view.set_floor_map(grid, values, "Half map", clim=(0.0, 1.0))
    shown = hall_view.screenshot()
    change = np.abs(shown.astype(int) - before.astype(int)).sum(axis=2)
    drawn = hall_view.world_to_widget((3.25, 2.25, 0.0))
    undrawn = hall_view.world_to_widget((9.75, 2.25, 0.0))
    assert change[drawn.y(), drawn.x()] > 60
    assert change[undrawn.y(), undrawn.x()] < 10


def test_floor_map_cells_are_drawn_where_they_lie(hall_view):
    hall_view.view_top()
    grid = floor_grid()
    x, y = grid.points[:, 0], grid.points[:, 1]
    values = ((x < 6.0) & (y > 4.0)).astype(float)  # 1 in the north-west quarter only
    hall_view.set_floor_map(grid, values, "Quarter", cmap="viridis", clim=(0.0, 1.0))
    image = hall_view.screenshot().astype(float)
    yellow, purple = np.array([0xFD, 0xE7, 0x25]), np.array([0x44, 0x01, 0x54])  # viridis at 1 and 0

    def nearer_yellow(point) -> bool:
        pixel = image[hall_view.world_to_widget(point).y(), hall_view.world_to_widget(point).x()]
        return np.linalg.norm(pixel - yellow) < np.linalg.norm(pixel - purple)

    assert nearer_yellow((3.0, 6.0, 0.0))
    assert not nearer_yellow((3.0, 2.0, 0.0)) and not nearer_yellow((9.0, 6.0, 0.0)) and not nearer_yellow((9.0, 2.0, 0.0))


def test_categorical_floor_map_labels_integers(hall_view):
    grid = floor_grid()
    counts = (np.arange(len(grid.points)) % 5).astype(float)
    hall_view.set_floor_map(grid, counts, "Anchors in LOS", cmap="tab10", clim=(0, 4), categorical=True)
    bar = hall_view.plotter.scalar_bars["Anchors in LOS"]
    labels = bar.GetCustomLabels()
    assert bar.GetUseCustomLabels()
    assert [labels.GetValue(i) for i in range(labels.GetNumberOfTuples())] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert bar.GetLookupTable().GetNumberOfTableValues() == 5


def test_replacing_the_floor_map_keeps_one_legend(hall_view):
    grid = floor_grid()
    values = grid.points[:, 1]
    hall_view.set_floor_map(grid, values, "Map A")
    count = len(hall_view.plotter.renderer.actors)
    hall_view.set_floor_map(grid, values * 2, "Map A")
    hall_view.set_floor_map(grid, values, "Map B", cmap="magma")
    assert list(hall_view.plotter.scalar_bars.keys()) == ["Map B"]
    assert len(hall_view.plotter.renderer.actors) == count
    assert np.array_equal(hall_view.floor_map_values(), grid.to_image(values), equal_nan=True)


# ---- a room given as one closed shell (Sionna's box) -------------------------------------


@pytest.fixture
def box_view(viewport):
    """Sionna RT's ``box`` scene: a closed 10 m x 10 m x 5 m metal box, x and y from -5 to 5 m."""
    viewport.set_scene(load_scene(SIONNA / "box" / "box.xml"))
    return viewport


def placed_by_click(view, qtbot, target) -> tuple[float, float, float]:
    """Where an anchor goes when the point of the scene drawn at ``target`` is clicked in place mode."""
    view.set_mode("place_anchor")
    with qtbot.waitSignal(view.placeRequested, timeout=2000) as blocker:
        QTest.mouseClick(view.plotter, Qt.MouseButton.LeftButton, pos=view.world_to_widget(target))
    return blocker.args[0]


@pytest.mark.parametrize("view", ["view_top", "view_iso"])
def test_click_into_sionnas_box_from_outside_lands_on_its_floor(box_view, qtbot, view):
    getattr(box_view, view)()  # from above the roof, or obliquely through a wall and the roof
    box_view.set_mounting_height(2.2)

    x, y, z = placed_by_click(box_view, qtbot, (1.5, -2.0, 0.0))

    assert abs(x - 1.5) < TOLERANCE_M and abs(y + 2.0) < TOLERANCE_M
    assert z == pytest.approx(2.2)  # on the floor at mounting height, not on the roof at 5 m


def test_click_on_the_box_wall_from_inside_lands_on_the_wall(box_view, qtbot):
    camera = box_view.plotter.camera  # standing inside, looking at the east wall x = 5
    camera.position, camera.focal_point, camera.up = (-3.0, 0.0, 2.0), (5.0, 0.0, 2.0), (0.0, 0.0, 1.0)
    box_view.plotter.renderer.ResetCameraClippingRange()

    assert np.allclose(placed_by_click(box_view, qtbot, (5.0, 1.0, 2.5)), (5.0, 1.0, 2.5), atol=TOLERANCE_M)


def test_the_box_is_drawn_from_the_room_side_only(box_view):
    # Floor, ceiling and walls of the envelope (merged into one actor) hide their outer side,
    # so the roof does not cover the room seen from above; nothing else is culled.
    culled = [actor for actor in box_view.plotter.renderer.actors.values() if getattr(actor, "prop", None) is not None and actor.prop.culling == "back"]
    assert len(culled) == 1
    np.testing.assert_allclose(culled[0].GetBounds(), (-5.0, 5.0, -5.0, 5.0, 0.0, 5.0))
    assert culled[0].GetMapper().GetInput().GetNumberOfCells() == 12  # 2 floor + 2 ceiling + 8 wall triangles


# ---- conversions without a window ------------------------------------------------------


def test_front_face_hit_skips_triangles_seen_from_behind():
    # Two horizontal triangles at z = 5 (normal down, facing a ray going up) and z = 0
    # (normal up); a ray from above meets z = 5 from behind and z = 0 from the front.
    ceiling = np.array([[[-1.0, -1.0, 5.0], [-1.0, 3.0, 5.0], [3.0, -1.0, 5.0]]])
    floor = np.array([[[-1.0, -1.0, 0.0], [3.0, -1.0, 0.0], [-1.0, 3.0, 0.0]]])
    triangles = np.concatenate([ceiling, floor])
    distance, normal = front_face_hit([0.5, 0.5, 10.0], [0.0, 0.0, -1.0], triangles)
    assert distance == pytest.approx(10.0) and normal == pytest.approx([0.0, 0.0, 1.0])
    distance, normal = front_face_hit([0.5, 0.5, 1.0], [0.0, 0.0, 1.0], triangles)
    assert distance == pytest.approx(4.0) and normal == pytest.approx([0.0, 0.0, -1.0])
    assert front_face_hit([5.0, 5.0, 10.0], [0.0, 0.0, -1.0], triangles) is None


def test_widget_and_display_coordinates_round_trip():
    for ratio in (1.0, 1.5, 2.0):
        xd, yd = widget_to_display(120.0, 30.0, 700, ratio)
        assert display_to_widget(xd, yd, 700, ratio) == pytest.approx((120.0, 30.0))
    assert widget_to_display(0.0, 699.0, 700, 1.0) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("hit", "expected"),
    [
        (SurfaceHit(np.array([1.0, 2.0, 0.0]), np.array([0.0, 0.0, 1.0]), "floor"), (1.0, 2.0, 2.5)),
        (SurfaceHit(np.array([1.0, 2.0, 0.0]), np.zeros(3), None), (1.0, 2.0, 2.5)),
        (SurfaceHit(np.array([4.0, 8.0, 1.2]), np.array([0.0, -1.0, 0.0]), "wall"), (4.0, 8.0, 1.2)),
        (SurfaceHit(np.array([4.0, 5.0, 3.0]), np.array([0.0, 0.0, -1.0]), "ceiling"), (4.0, 5.0, 3.0)),
        (SurfaceHit(np.array([9.0, 5.0, 0.75]), np.array([0.0, 0.0, 1.0]), "table"), (9.0, 5.0, 0.75)),
    ],
)
def test_placement_rule(hit, expected):
    assert placement_for_hit(hit, 2.5) == pytest.approx(expected)
