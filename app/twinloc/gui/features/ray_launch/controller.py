"""Reverse ray tracing of one UE, live in the viewport, and batch evaluations.

The controller captures the document's enabled base stations, the UE position and the
:class:`RayLaunchSettings` into a locate job, runs it in the live lane of the application's
:class:`JobRunner` (key "locate": a newer run supersedes an older one) and draws the result
through :mod:`twinloc.gui.viewport.rays`. Moving the UE marker or a base station reruns it,
throttled. Evaluations run in the long lane (key "evaluation"). The drawing's arrays are built on the worker,
the actors on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from twinloc.cancellation import CancelToken, ProgressFn
from twinloc.compute.jobs import Job
from twinloc.compute.rrt_jobs import default_ue_job, evaluation_job, locate_job
from twinloc.compute.study_jobs import on_scheduler
from twinloc.gui.document import ProjectDocument
from twinloc.gui.tasks import LONG, JobRunner
from twinloc.gui.viewport.rays import MarkerDrag, RayActors, UeMarker
from twinloc.gui.viewport.widget import SceneViewport
from twinloc.rrt.drawing import RayDrawing, drawing_for
from twinloc.rrt.evaluation import EvaluationSetting
from twinloc.rrt.locate import LocateSettings
from twinloc.rrt.measurement import NoiseModel
from twinloc.rrt.simulation import LocateResult

LOCATE_KEY = "locate"
EVALUATION_KEY = "evaluation"
DEFAULT_UE_KEY = "default_ue"
FUSIONS = {"none": "AoA only", "pt": "PT (Algorithm 1)", "rpt": "RPT (Algorithm 2)"}
#: Reruns after a UE or base-station move wait this long for the next move.
RERUN_DELAY_MS = 120


@dataclass(frozen=True)
class RayLaunchSettings:
    """How the Ray Launch dock measures and locates.

    aoa_sigma_deg : AoA noise on azimuth and elevation, degrees.
    fusion : "none", "pt" (propagation time) or "rpt" (relative propagation time).
    time_sigma_m : noise of the propagation time (or of the differences), metres.
    rays, bounces, mode, seed : as in :class:`~twinloc.rrt.locate.LocateSettings`; the seed
        drives noise and launching.
    """

    aoa_sigma_deg: float = 1.0
    fusion: str = "pt"
    time_sigma_m: float = 0.5
    rays: int = 2000
    bounces: int = 3
    mode: str = "2d"
    seed: int = 0

    def noise(self, aoa_sigma_deg: float | None = None) -> NoiseModel:
        aoa = self.aoa_sigma_deg if aoa_sigma_deg is None else aoa_sigma_deg
        if self.fusion == "pt":
            return NoiseModel(aoa, pt_sigma_m=self.time_sigma_m)
        if self.fusion == "rpt":
            return NoiseModel(aoa, rpt_sigma_m=self.time_sigma_m)
        return NoiseModel(aoa)

    def locate_settings(self) -> LocateSettings:
        return LocateSettings(rays=self.rays, bounces=self.bounces, mode=self.mode)


@dataclass(frozen=True)
class LocateFailure:
    """A run that could not estimate (e.g. no station heard the UE): the truth and why."""

    truth: np.ndarray
    message: str


class RayLaunchController(QObject):
    """Runs reverse ray tracing for the UE marker and draws it in ``viewport``.

    Signals
    -------
    updated(object)
        A new :class:`~twinloc.rrt.simulation.LocateResult`, a :class:`LocateFailure`, or None (cleared).
    ueChanged(object)
        The UE's (x, y, z) metres.
    evaluated(object)
        An :class:`~twinloc.rrt.evaluation.Evaluation` finished.
    evaluationProgress(float, str)
    evaluationEnded(str)
        "finished", "cancelled" or the failure message.
    dashboardLinked(str)
        The Dask dashboard's address of the evaluation starting ("" in this process); emitted
        from the job's thread, so connections to widgets are queued.
    """

    updated = Signal(object)
    ueChanged = Signal(object)
    evaluated = Signal(object)
    evaluationProgress = Signal(float, str)
    evaluationEnded = Signal(str)
    dashboardLinked = Signal(str)

    def __init__(self, document: ProjectDocument, runner: JobRunner, viewport: SceneViewport, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self._viewport = viewport
        plotter = viewport.plotter
        self._actors = RayActors(plotter)
        self._marker = UeMarker(plotter)
        self._drag = MarkerDrag(plotter, plotter.renderer, self._marker, viewport.request_render)
        self._drag.dragPreview.connect(self._on_drag)
        self._drag.dragFinished.connect(self._on_drag)
        self.settings = RayLaunchSettings()
        self._ue = _scene_middle(document.scene)
        self._ue_moved = False
        self._visible = False
        self._draw_rays = True
        self._result: LocateResult | LocateFailure | None = None
        self._drawing: RayDrawing | None = None
        self._evaluation = None
        self._stopped = False
        self._rerun = QTimer(self)
        self._rerun.setSingleShot(True)
        self._rerun.setInterval(RERUN_DELAY_MS)
        self._rerun.timeout.connect(self.run)
        document.baseStationsChanged.connect(self._on_stations_changed)
        document.sceneChanged.connect(self._on_scene_changed)
        self._place_default_ue()

    # ---- state ---------------------------------------------------------------------------

    @property
    def ue(self) -> np.ndarray:
        """(3,) float64: the true UE position, metres."""
        return self._ue.copy()

    @property
    def result(self) -> LocateResult | LocateFailure | None:
        return self._result

    @property
    def drawing(self) -> RayDrawing | None:
        return self._drawing

    @property
    def actors(self) -> RayActors:
        return self._actors

    @property
    def marker(self) -> UeMarker:
        return self._marker

    @property
    def evaluation(self):
        return self._evaluation

    @property
    def visible(self) -> bool:
        return self._visible

    def stations(self) -> np.ndarray:
        """(B, 3) float64 metres: the enabled base stations, in the project's order."""
        enabled = [b.position for b in self._document.project.base_stations if b.enabled]
        return np.array(enabled, dtype=np.float64).reshape(-1, 3)

    # ---- commands ------------------------------------------------------------------------

    def set_visible(self, visible: bool) -> None:
        """Show or hide the UE marker, the stations and the last result."""
        self._visible = bool(visible)
        self._redraw()

    def set_rays_drawn(self, drawn: bool) -> None:
        """Draw the launched rays with the result, or leave them out."""
        self._draw_rays = bool(drawn)
        self._redraw()

    def set_settings(self, settings: RayLaunchSettings) -> None:
        """Use ``settings`` from the next run on (a shown result is rerun)."""
        if settings != self.settings:
            self.settings = settings
            self._schedule_rerun()

    def set_ue(self, position) -> None:
        """Put the UE at ``position`` (x, y, z) metres; a shown result is rerun."""
        position = np.asarray(position, dtype=np.float64).reshape(3)
        if np.array_equal(position, self._ue):
            return
        self._ue = position
        self._ue_moved = True
        if self._visible:
            self._marker.show(position)
            self._viewport.request_render()
        self.ueChanged.emit(tuple(float(c) for c in position))
        self._schedule_rerun()

    def run(self) -> None:
        """Locate the UE now in the background (superseding a run still going)."""
        self._rerun.stop()
        if self._stopped:
            return
        stations = self.stations()
        if not self._visible:
            self.set_visible(True)
        if len(stations) == 0:
            self._show_result(LocateFailure(self.ue, "no enabled base stations: add one in the table"))
            return
        job = locate_job(
            self._document.scene, self._ue, stations, self.settings.noise(), self.settings.locate_settings(),
            self.settings.seed, keep_trace=True, geometry=self._document.geometry,
        )
        task = self._runner.submit(_drawing_job(job, self._ue, stations, self.settings.mode), key=LOCATE_KEY, supersede=True)
        task.finished.connect(lambda outcome: self._show_result(*outcome))

    def evaluate(self, drops: int, aoa_sigmas_deg, scheduler: str = "none") -> None:
        """Evaluate ``drops`` random UEs for each AoA sigma in the background, as a study on
        ``scheduler`` (see :func:`twinloc.studies.open_runner`)."""
        settings = [EvaluationSetting(self.settings.noise(float(s)), self.settings.mode) for s in aoa_sigmas_deg]
        stations = self.stations()
        if len(stations) == 0 or not settings:
            self.evaluationEnded.emit("no enabled base stations or no sigma values")
            return
        scene, locate_settings, seed, geometry = (
            self._document.scene, replace(self.settings.locate_settings(), mode=self.settings.mode), self.settings.seed,
            self._document.geometry,
        )

        def job_for(runner):
            return evaluation_job(scene, stations, settings, int(drops), locate_settings, seed, geometry, runner)

        job = on_scheduler(job_for, scheduler, self.dashboardLinked.emit)
        task = self._runner.submit(job, lane=LONG, key=EVALUATION_KEY, supersede=True)
        task.progress.connect(self.evaluationProgress)
        task.finished.connect(self._on_evaluated)
        task.failed.connect(self.evaluationEnded)
        task.cancelled.connect(lambda: self.evaluationEnded.emit("cancelled"))

    def cancel_evaluation(self) -> None:
        self._runner.cancel(EVALUATION_KEY)

    def clear(self) -> None:
        """Forget the result (the marker and stations stay while visible)."""
        self._rerun.stop()
        self._runner.cancel(LOCATE_KEY)
        self._result, self._drawing = None, None
        self._redraw()
        self.updated.emit(None)

    def stop(self) -> None:
        """Stop rerunning and release the actors and the event filter (the window is closing)."""
        self._stopped = True
        self._rerun.stop()
        self._drag.detach()
        self._actors.clear()
        self._marker.hide()

    # ---- internals -----------------------------------------------------------------------

    def _schedule_rerun(self) -> None:
        if self._visible and self._result is not None and not self._stopped:
            self._rerun.start()

    def _on_drag(self, position) -> None:
        self.set_ue(position)
        if self._result is None:
            self._rerun.start()

    def _on_stations_changed(self) -> None:
        if self._visible and self._result is None:
            self._redraw()
        self._schedule_rerun()

    def _on_scene_changed(self) -> None:
        self._runner.cancel(LOCATE_KEY)
        self._result, self._drawing = None, None
        self._ue, self._ue_moved = _scene_middle(self._document.scene), False
        self._redraw()
        self.updated.emit(None)
        self.ueChanged.emit(tuple(float(c) for c in self._ue))
        self._place_default_ue()

    def _on_evaluated(self, evaluation) -> None:
        self._evaluation = evaluation
        self.evaluated.emit(evaluation)
        self.evaluationEnded.emit("finished")

    def _show_result(self, result, drawing: RayDrawing | None = None) -> None:
        if self._stopped:
            return
        self._result, self._drawing = result, drawing
        self._redraw()
        self.updated.emit(result)

    def _redraw(self) -> None:
        if self._stopped:
            return
        if self._visible:
            self._actors.show(self._drawing, stations_only=self.stations(), rays=self._draw_rays)
            self._marker.show(self._ue)
        else:
            self._actors.clear()
            self._marker.hide()
        self._viewport.request_render()

    def _place_default_ue(self) -> None:
        """Move the UE, in the background, to the free point at tag height nearest the middle of
        the scene (a UE inside a solid hears nothing), unless the user places it first. The
        search builds a ray engine, which must not hold up the GUI thread on a big scene."""
        task = self._runner.submit(default_ue_job(self._document.scene, self._document.geometry), key=DEFAULT_UE_KEY, supersede=True)
        task.finished.connect(self._on_default_ue)

    def _on_default_ue(self, position) -> None:
        if self._stopped or self._ue_moved:
            return
        self.set_ue(position)
        self._ue_moved = False


def _scene_middle(scene) -> np.ndarray:
    """(3,) metres: the middle of ``scene``'s footprint at tag height, where the UE waits for
    its default position."""
    low, high = scene.bounds
    return np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, scene.tag_height_m])


def _drawing_job(job: Job, ue: np.ndarray, stations: np.ndarray, mode: str) -> Job:
    """``job`` returning (result, drawing), or (LocateFailure, None) when nothing could be estimated."""

    def run(progress: ProgressFn, cancel: CancelToken):
        try:
            result = job.function(progress, cancel)
        except ValueError as error:  # a UE nobody hears is an answer, not a crash
            return LocateFailure(ue, str(error)), None
        return result, drawing_for(result, stations, mode, np.random.default_rng(0))

    return Job(job.name, run, None)
