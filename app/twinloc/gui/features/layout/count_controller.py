"""The "How many anchors?" commands: run the count study, preview a count's layout, accept it.

The Qt side of :mod:`twinloc.layout.plan_count`: it captures the document's scene (with the
drawn mounting regions) into a request, runs the study in the long lane of the application's
:class:`JobRunner` on a study runner (worker processes on every core, or this process), shows
a count's best layout as ghost anchors with its error map on the floor, and makes accepting it
one undo step. The optimize section's own preview is ended first, so one proposal shows at a time.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from twinloc.compute.layout_jobs import plan_count_job
from twinloc.compute.study_jobs import on_scheduler
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.layout.layers import preview_layer
from twinloc.gui.tasks import LONG, JobRunner
from twinloc.gui.viewport.floor_stack import FloorStack
from twinloc.gui.viewport.ghosts import GhostLayout
from twinloc.layout.plan_count import CountPlan, CountStudy
from twinloc.layout.problem import LayoutRequest
from twinloc.layout.study import names_for_layout
from twinloc.model.devices import Anchor
from twinloc.workspace import scene_with_mounting_regions

KEY = "layout-count"


class CountController(QObject):
    """Runs anchor-count studies for a document and previews their layouts.

    Parameters
    ----------
    document, runner, viewport, floor : as :class:`~twinloc.gui.features.layout.controller.LayoutController`.
    layout : LayoutController; its preview is ended when a count is previewed.

    Signals
    -------
    runStarted()
    progressed(float, str)
        The study's progress: fraction done and what is being done.
    studyChanged()
        :attr:`study` changed (a study finished, or the scene changed and it was forgotten).
    runEnded(str)
        "finished", "cancelled" or "failed: <message>".
    dashboardLinked(str)
        The Dask dashboard's address of the study starting ("" in this process); emitted from
        the job's thread, so connections to widgets are queued.
    """

    runStarted = Signal()
    dashboardLinked = Signal(str)
    progressed = Signal(float, str)
    studyChanged = Signal()
    runEnded = Signal(str)

    def __init__(self, document: ProjectDocument, runner: JobRunner, viewport, floor: FloorStack, layout, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._viewport = viewport
        self._floor = floor
        self._layout = layout
        self._ghosts = GhostLayout(viewport.plotter, viewport.anchor_label_boxes)
        self._running = False
        self.study: CountStudy | None = None
        """The last study's result (None before the first or after the scene changed)."""
        self.previewed: int | None = None
        """The anchor count previewed now, or None."""
        document.sceneChanged.connect(self._forget_study)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def ghost_positions(self):
        """(N, 3) float64: the ghost anchors drawn now, metres."""
        return self._ghosts.positions

    def plan(self, count: int) -> CountPlan:
        """The study's plan of ``count`` anchors (KeyError: not in the study)."""
        for plan in self.study.plans if self.study is not None else ():
            if plan.anchor_count == count:
                return plan
        raise KeyError(count)

    def run(self, target_p90_m: float, fewest: int, most: int, region_names: list[str], min_distance_m: float,
            population: int, iterations: int, seed: int, scheduler: str) -> None:
        """Start a study of ``fewest`` to ``most`` anchors on the document's scene.

        Raises
        ------
        ValueError
            No region chosen or fewest > most; problems found while the study starts arrive as
            ``runEnded("failed: ...")``.
        """
        if not region_names:
            raise ValueError("Choose at least one mounting region.")
        if fewest > most:
            raise ValueError(f"The fewest anchors ({fewest}) are more than the most ({most}).")
        project = self._document.project
        scene = scene_with_mounting_regions(self._document.scene, project.mounting_regions)
        request = LayoutRequest(
            anchor_count=int(fewest),
            min_distance_m=float(min_distance_m),
            region_names=tuple(region_names),
            resolution_m=self._document.grid_resolution_m,
            tag_height_m=project.settings.tag_height_or(scene.tag_height_m),
            population=int(population),
            iterations=int(iterations),
            seed=int(seed),
            settings=project.error_map,
        )
        self.end_preview()
        counts = range(fewest, most + 1)
        job = on_scheduler(lambda runner: plan_count_job(scene, counts, target_p90_m, request, runner), scheduler,
                           self.dashboardLinked.emit)
        task = self._runner.submit(job, lane=LONG, key=KEY, supersede=True)
        task.progress.connect(self.progressed)
        task.finished.connect(self._on_finished)
        task.failed.connect(lambda message: self._end(f"failed: {message}"))
        task.cancelled.connect(lambda: self._end("cancelled"))
        self._running = True
        self.runStarted.emit()

    def cancel(self) -> None:
        self._runner.cancel(KEY)

    def preview(self, count: int) -> None:
        """Show the best layout of ``count`` anchors as ghosts and its error map on the floor."""
        plan = self.plan(count)
        self._layout.end_preview()
        self._ghosts.show(plan.positions, [f"{name}'" for name in names_for_layout(count)])
        finite = plan.error_map.cell_error[~plan.error_map.degenerate]
        high = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        self._floor.show_preview(KEY, preview_layer(plan.error_map, (0.0, high)))
        self.previewed = count
        self._viewport.request_render()

    def end_preview(self) -> None:
        self._ghosts.clear()
        self._floor.end_preview(KEY)
        self.previewed = None
        self._viewport.request_render()

    def accept(self, count: int) -> None:
        """Make the best layout of ``count`` anchors the project's anchors, named A1..AN (one undo step)."""
        plan = self.plan(count)
        anchors = tuple(Anchor(name, tuple(float(c) for c in p)) for name, p in zip(names_for_layout(count), plan.positions, strict=True))
        self.end_preview()
        self._document.replace_anchors(anchors, f"Accept the {count}-anchor plan")

    def stop(self) -> None:
        """Cancel a study and remove the ghosts (the window is closing)."""
        self._runner.cancel(KEY)
        self._ghosts.clear()

    def _on_finished(self, study: CountStudy) -> None:
        self.study = study
        self.studyChanged.emit()
        self._end("finished")

    def _end(self, outcome: str) -> None:
        self._running = False
        self.runEnded.emit(outcome)

    def _forget_study(self) -> None:
        self._runner.cancel(KEY)
        self.end_preview()
        self.study = None
        self.studyChanged.emit()
