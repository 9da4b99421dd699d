"""The Optimize section's commands: run the layout optimization, preview, accept, export, import.

:class:`LayoutController` is the Qt side of :mod:`twinloc.layout.study`: it captures the
document into a :class:`~twinloc.layout.problem.LayoutRequest`, runs the job in the
long lane of the application's :class:`JobRunner` (so the live maps keep their threads), receives
the best-so-far layout as the task's live reports, draws it as ghost spheres, scores the layout in place again when the anchors are edited (the results'
"now" row), and turns the user's decisions into document edits (one undo step each).
The section (:mod:`twinloc.gui.features.layout.section`) is a view of this object.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.layout_jobs import current_layout_job, layout_study_job
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.layout.layers import preview_layer
from twinloc.gui.tasks import LONG, JobRunner, Publish
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.gui.viewport.ghosts import GhostLayout
from twinloc.gui.viewport.regions import RegionDrawer, RegionPatches
from twinloc.layout.problem import LayoutRequest
from twinloc.layout.search import RankedLayout
from twinloc.layout.study import LayoutStudy, names_for_layout
from twinloc.model.devices import Anchor
from twinloc.model.mounting import MountingRegion
from twinloc.optim.installation import PlannedAnchor, deviations, read_as_built_csv, write_sheet_csv, write_sheet_html
from twinloc.workspace import scene_with_mounting_regions

KEY = "layout"
#: The current layout scored again after an edit; its own key, so an edit never cancels a run.
CURRENT_KEY = "layout-current"
FIXED_SURFACE = "installed (kept fixed)"


class LayoutController(QObject):
    """Runs layout optimizations for a document and shows their results in a viewport.

    Parameters
    ----------
    document : ProjectDocument
    runner : JobRunner
    viewport : SceneViewport
        Its ``plotter`` receives the ghost spheres, region patches and the drawing sketch.
    floor : FloorStack
        Shows a previewed layout's error map on top of the floor's active layer.

    Signals
    -------
    runStarted(int)
        A run of that many iterations was submitted.
    iterationDone(int, object)
        Iteration t finished; the convergence so far, (t,) metres.
    studyChanged()
        :attr:`study` changed (a run finished, was cancelled with its best so far, the
        current layout was scored again after an edit, or the results were cleared).
    runEnded(str)
        The run is over: "finished", "cancelled" or "failed".
    regionDrawn(object, bool)
        The drawer closed a shape: (K, 2) metres and whether it is a wall band.
    drawingEnded()
    """

    runStarted = Signal(int)
    iterationDone = Signal(int, object)
    studyChanged = Signal()
    runEnded = Signal(str)
    regionDrawn = Signal(object, bool)
    drawingEnded = Signal()

    def __init__(
        self, document: ProjectDocument, runner: JobRunner, viewport, floor: FloorStack, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._viewport = viewport
        self._floor = floor
        plotter = viewport.plotter
        self._ghosts = GhostLayout(plotter, viewport.anchor_label_boxes)
        self._patches = RegionPatches(plotter)
        self.drawer = RegionDrawer(plotter, plotter.renderer, plotter, viewport.request_render)
        self.drawer.regionDrawn.connect(self.regionDrawn)
        self.drawer.drawingEnded.connect(self.drawingEnded)
        self._running = False
        self.study: LayoutStudy | None = None
        """The last run's results (None before the first or after the document changed scene)."""
        self.request: LayoutRequest | None = None
        """What the last run optimized (None before the first run)."""
        self.layout_names: tuple[str, ...] = ()
        """Names the placed anchors of every layout of :attr:`study` get when accepted or exported."""
        self._fixed: tuple[Anchor, ...] = ()
        self._scored: tuple | None = None  # the enabled anchors' positions the study's "now" is of
        self.convergence = np.zeros(0)
        document.sceneChanged.connect(self._forget_study)
        document.anchorsChanged.connect(self._score_current)

    # ------------------------------------------------------------------ state

    @property
    def running(self) -> bool:
        return self._running

    @property
    def ghost_positions(self) -> np.ndarray:
        """(N, 3) float64: the ghost anchors drawn now, metres."""
        return self._ghosts.positions

    @property
    def fixed_anchors(self) -> tuple[Anchor, ...]:
        """The anchors the last run kept fixed (accepting keeps them)."""
        return self._fixed

    def region_names(self) -> list[str]:
        """Names of every mounting region the optimizer can use: the scene's, then the drawn ones."""
        scene_names = [region.name for region in self._document.scene.mounting_regions()]
        return scene_names + [region.name for region in self._document.project.mounting_regions]

    def layout_anchors(self, index: int) -> tuple[Anchor, ...]:
        """The anchors a result stands for: the fixed ones, then the placed ones named :attr:`layout_names`."""
        layout = self._layout(index)
        placed = tuple(Anchor(name, tuple(float(c) for c in p)) for name, p in zip(self.layout_names, layout.positions, strict=True))
        return (*self._fixed, *placed)

    # ------------------------------------------------------------------ running

    def run(
        self,
        anchor_count: int,
        fixed_names: list[str],
        region_names: list[str],
        min_distance_m: float,
        main_threshold_m: float | None,
        population: int,
        iterations: int,
        seed: int,
        top_k: int = 5,
    ) -> None:
        """Start an optimization of the document's scene with its drawn regions.

        Raises
        ------
        ValueError
            No region chosen or a drawn region clashing with the scene's names; problems
            found while preparing (too few anchors, a minimum distance that cannot be kept)
            arrive later as ``runEnded("failed")`` (the window shows the message).
        """
        if not region_names:
            raise ValueError("Choose at least one mounting region.")
        project = self._document.project
        scene = scene_with_mounting_regions(self._document.scene, project.mounting_regions)
        wanted = set(fixed_names)
        self._fixed = tuple(a for a in project.anchors if a.enabled and a.name in wanted)
        others = [a.position for a in project.anchors if a.enabled and a.name not in wanted]
        settings = project.settings
        request = LayoutRequest(
            anchor_count=int(anchor_count),
            min_distance_m=float(min_distance_m),
            fixed_anchors=tuple(a.position for a in self._fixed),
            region_names=tuple(region_names),
            main_threshold_m=main_threshold_m,
            resolution_m=self._document.grid_resolution_m,
            tag_height_m=settings.tag_height_or(scene.tag_height_m),
            population=int(population),
            iterations=int(iterations),
            seed=int(seed),
            top_k=int(top_k),
            settings=project.error_map,
        )
        self.request = request
        self.layout_names = names_for_layout(request.anchor_count, {a.name for a in self._fixed})
        self._scored = self._current_positions()
        self._runner.cancel(CURRENT_KEY)
        self.end_preview()
        task = self._runner.submit_publishing(
            lambda publish: layout_study_job(scene, request, others, _best_so_far(publish), geometry=self._document.geometry), lane=LONG, key=KEY, supersede=True
        )
        task.published.connect(self._on_iteration)
        task.finished.connect(self._on_finished)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(self._on_cancelled)
        self._running = True
        self.convergence = np.zeros(0)
        self.runStarted.emit(request.iterations)

    def cancel(self) -> None:
        """Stop the run; it finishes with the best layouts found so far."""
        self._runner.cancel(KEY)

    # ------------------------------------------------------------------ results

    def preview(self, index: int | None) -> None:
        """Show result ``index`` as ghosts with its error map on the floor (None: stop previewing)."""
        if index is None or self.study is None:
            self.end_preview()
            return
        layout = self._layout(index)
        self._ghosts.show(layout.positions, _ghost_labels(self.layout_names))
        self._floor.show_preview(KEY, preview_layer(layout.error_map, self.shared_clim()))
        self._viewport.request_render()

    def end_preview(self) -> None:
        """Remove the ghosts and, if a result's map is on the floor, give the floor back to its active layer."""
        self._ghosts.clear()
        self._viewport.request_render()
        self._floor.end_preview(KEY)

    def shared_clim(self) -> tuple[float, float]:
        """One colour range for the current layout's map and every result's (0 to the largest p99)."""
        maps = [layout.error_map for layout in self.study.optimization.layouts] if self.study is not None else []
        if self.study is not None and self.study.current_map is not None:
            maps.append(self.study.current_map)
        highs = [float(np.percentile(m.cell_error[~m.degenerate], 99)) for m in maps if (~m.degenerate).any()]
        return (0.0, max(highs) if highs else 1.0)

    def accept(self, index: int) -> None:
        """Replace the document's anchors with result ``index`` (one undo step)."""
        self.end_preview()
        self._document.replace_anchors(self.layout_anchors(index), "Accept optimized layout")

    def export_sheet(self, index: int | None, csv_path: str | Path) -> tuple[Path, Path]:
        """Write the installation sheet of result ``index`` (None: the document's anchors) as
        CSV at ``csv_path`` and as a printable HTML page beside it; returns both paths."""
        csv_path = Path(csv_path)
        html_path = csv_path.with_suffix(".html")
        if index is None:
            sheet = [PlannedAnchor(a.name, a.position, "") for a in self._document.project.anchors if a.enabled]
        else:
            layout = self._layout(index)
            sheet = [PlannedAnchor(a.name, a.position, FIXED_SURFACE) for a in self._fixed]
            sheet += [
                PlannedAnchor(name, tuple(float(c) for c in p), surface)
                for name, p, surface in zip(self.layout_names, layout.positions, layout.surfaces, strict=True)
            ]
        write_sheet_csv(sheet, csv_path)
        write_sheet_html(sheet, self._document.scene, html_path)
        return csv_path, html_path

    def import_as_built(self, path: str | Path) -> list[dict]:
        """Move the document's anchors to the positions measured on site (one undo step).

        Returns the deviation of each anchor from its planned (previous) position, as
        :func:`~twinloc.optim.installation.deviations` gives it.

        Raises
        ------
        ValueError
            A malformed file or names that are not anchors of the project (nothing is changed).
        OSError
            The file cannot be read.
        """
        built = read_as_built_csv(path)
        anchors = self._document.project.anchors
        known = {a.name for a in anchors}
        unknown = sorted(set(built) - known)
        if unknown:
            raise ValueError(f"{Path(path).name}: not anchors of this project: {', '.join(unknown)}")
        plan = [PlannedAnchor(a.name, a.position) for a in anchors]
        rows = deviations(plan, built)
        moved = tuple(a.moved_to(built[a.name]) if a.name in built else a for a in anchors)
        if moved != anchors:
            self._document.replace_anchors(moved, "Import as-built positions")
        return rows

    # ------------------------------------------------------------------ regions

    def show_regions(self, names: list[str] | None) -> None:
        """Draw the named mounting regions as patches (None or empty: none)."""
        wanted = set(names or ())
        regions = [r for r in self._document.scene.mounting_regions() if r.name in wanted]
        regions += [r for r in self._document.project.mounting_regions if r.name in wanted]
        self._patches.show(regions)
        self._viewport.request_render()

    def new_region_name(self, polyline: bool) -> str:
        stem = "Drawn band" if polyline else "Drawn area"
        taken = set(self.region_names())
        return next(f"{stem} {i}" for i in itertools.count(1) if f"{stem} {i}" not in taken)

    def add_region(self, polygon, polyline: bool, height_m: float) -> str:
        """Add a drawn region to the document (undoable); returns its name."""
        name = self.new_region_name(polyline)
        region = MountingRegion(name, tuple(map(tuple, np.asarray(polygon, dtype=float))), (height_m, height_m), polyline)
        self._document.set_mounting_regions((*self._document.project.mounting_regions, region), f"Draw mounting region {name}")
        return name

    def delete_regions(self, names: list[str]) -> None:
        doomed = set(names)
        kept = tuple(r for r in self._document.project.mounting_regions if r.name not in doomed)
        if len(kept) != len(self._document.project.mounting_regions):
            self._document.set_mounting_regions(kept, "Delete mounting region" + ("s" if len(names) > 1 else ""))

    def stop(self) -> None:
        """Release the viewport objects (the window is closing)."""
        self._runner.cancel(KEY)
        self._runner.cancel(CURRENT_KEY)
        self.drawer.detach()
        self._ghosts.clear()
        self._patches.clear()

    # ------------------------------------------------------------------ internals

    def _layout(self, index: int) -> RankedLayout:
        if self.study is None:
            raise IndexError("no optimization results")
        return self.study.optimization.layouts[index]

    def _on_iteration(self, report: tuple) -> None:
        t, best, convergence = report
        self.convergence = convergence
        self._ghosts.show(best, _ghost_labels(self.layout_names))
        self._viewport.request_render()
        self.iterationDone.emit(t, self.convergence)

    def _on_finished(self, result: LayoutStudy) -> None:
        self._running = False
        self.study = result
        self.convergence = np.asarray(result.optimization.convergence)
        self.studyChanged.emit()
        self.runEnded.emit("cancelled" if result.optimization.cancelled else "finished")
        self._score_current()  # the anchors may have been edited while the run went on

    def _current_positions(self) -> tuple:
        return tuple(a.position for a in self._document.project.anchors if a.enabled)

    def _score_current(self) -> None:
        """Score the layout in place again if the anchors changed since :attr:`study` scored it."""
        positions = self._current_positions()
        if self.study is None or self._running or positions == self._scored:
            return
        self._scored = positions
        task = self._runner.submit(current_layout_job(self.study, positions), key=CURRENT_KEY, supersede=True)
        task.finished.connect(self._on_scored)

    def _on_scored(self, result: LayoutStudy) -> None:
        if not self._running and self.study is not None and result.optimization is self.study.optimization:
            self.study = result
            self.studyChanged.emit()

    def _on_failed(self, _message: str) -> None:
        self._end_without_result("failed")

    def _on_cancelled(self) -> None:
        # Cancelled before the search began (while the link tables were prepared): nothing to keep.
        self._end_without_result("cancelled")

    def _end_without_result(self, outcome: str) -> None:
        self._running = False
        self._ghosts.clear()
        self._viewport.request_render()
        self.runEnded.emit(outcome)

    def _forget_study(self) -> None:
        self._runner.cancel(KEY)
        self._runner.cancel(CURRENT_KEY)
        self.end_preview()
        self.study = None
        self.studyChanged.emit()


def _best_so_far(publish: Publish):
    """The optimizer's iteration listener, publishing (t, best (N, 3) metres, convergence (t,) metres)."""

    def listener(t: int, best: np.ndarray, _fitness: float, convergence: np.ndarray) -> None:
        publish((int(t), np.array(best), np.array(convergence)))

    return listener


def _ghost_labels(names) -> list[str]:
    """Ghost labels are primed ("A1'") so they are not mistaken for the document's anchors."""
    return [f"{name}'" for name in names]
