"""The reference-point plan of the Fingerprinting feature: outer markers in, RPs and a route out.

:class:`PlanController` keeps the outer markers the user drew (view state: a plan belongs to
a survey being prepared, not to the project) and the plan settings, and replans in the live
lane whenever either changes, superseding the plan still being made. The planner's refusals
(markers that cross, a spacing of zero) are results, not failures: while a marker is being
dragged they only show in the section, and after a click, a release or a settings edit they
are reported once as ``problem`` (the dock shows a dialog). The plan then stays empty and
nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from twinloc.compute.jobs import Job
from twinloc.gui.document import ProjectDocument
from twinloc.gui.tasks import JobRunner

if TYPE_CHECKING:
    from twinloc.fingerprint.rp_plan import ReferencePointPlan

KEY = "rp_plan"
"""The key of the plan's tasks."""
LEAST_MARKERS = 3


@dataclass(frozen=True)
class PlanSettings:
    """How RPs are placed along the outline (see :func:`~twinloc.fingerprint.rp_plan.plan_reference_points`).

    loops : inner loops inset from the outline (0: the outline only).
    spacing_m : distance between RPs along a loop, metres; None: ``between`` RPs between two vertices.
    between : RPs between two vertices (used when ``spacing_m`` is None).
    clearance_m : least distance of an RP from a wall or object, metres.
    """

    loops: int = 1
    spacing_m: float | None = 0.9
    between: int = 3
    clearance_m: float = 0.3


@dataclass(frozen=True)
class PlanOutcome:
    """What planning gave: the plan, or None and the planner's reason in the user's words."""

    plan: ReferencePointPlan | None
    problem: str = ""


class PlanController(QObject):
    """Plans reference points from the document's scene and the drawn outer markers.

    Signals
    -------
    planChanged()
        :attr:`plan`, :attr:`problem` or :attr:`markers` changed.
    problem(str)
        A plan the user asked for (a click, a release, a settings edit) was refused: why.
    """

    planChanged = Signal()
    problem = Signal(str)

    def __init__(self, document: ProjectDocument, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._runner = runner
        self.markers = np.zeros((0, 2))
        """(K, 2) float64: the outer markers, metres, in outline order."""
        self.settings = PlanSettings()
        self.height_m = 1.0
        """Height of the RPs (the receiver height of the radio map), metres."""
        self.plan: ReferencePointPlan | None = None
        self.note = ""
        """Why there is no plan ("" when there is one or nothing was asked)."""
        document.sceneChanged.connect(self._replan_quietly)
        document.materialsChanged.connect(self._replan_quietly)
        document.objectsChanged.connect(self._replan_quietly)

    @property
    def planning(self) -> bool:
        return self._runner.task(KEY) is not None

    def set_markers(self, markers, final: bool = True) -> None:
        """Plan for ``markers`` ((K, 2) metres); ``final``: the user finished this edit (a refusal is reported)."""
        self.markers = np.array(markers, dtype=np.float64).reshape(-1, 2)
        self._replan(report=final)

    def set_settings(self, settings: PlanSettings) -> None:
        self.settings = settings
        self._replan(report=True)

    def set_height(self, height_m: float) -> None:
        self.height_m = float(height_m)
        self._replan(report=False)

    def stop(self) -> None:
        """Stop planning for good (the window is closing)."""
        self._runner.cancel(KEY)

    # ------------------------------------------------------------------ exports

    def export_csv(self, path: str | Path) -> None:
        """Write the RPs in route order (see :func:`~twinloc.fingerprint.rp_plan.write_plan_csv`)."""
        from twinloc.fingerprint.rp_plan import write_plan_csv  # the planner loads with the first plan

        write_plan_csv(self._checked_plan(), path)

    def export_waypoints(self, path: str | Path) -> None:
        """Write the route as a waypoint list (see :func:`~twinloc.fingerprint.rp_plan.write_waypoints_json`)."""
        from twinloc.fingerprint.rp_plan import write_waypoints_json

        write_waypoints_json(self._checked_plan(), path)

    def _checked_plan(self) -> ReferencePointPlan:
        if self.plan is None:
            raise ValueError("There is no reference-point plan: draw at least three outer markers first.")
        return self.plan

    # ------------------------------------------------------------------ planning

    def _replan_quietly(self) -> None:
        self._replan(report=False)

    def _replan(self, report: bool) -> None:
        if len(self.markers) < LEAST_MARKERS:
            self._runner.discard(KEY)  # a plan of the markers before must not come back
            self.plan = None
            self.note = f"Click at least {LEAST_MARKERS} outer markers on the floor ({len(self.markers)} so far)."
            self.planChanged.emit()
            return
        markers, settings, height = self.markers.copy(), self.settings, self.height_m
        scene, geometry = self._document.scene, self._document.geometry

        def run(progress, cancel) -> PlanOutcome:
            from twinloc.fingerprint.rp_plan import plan_reference_points  # the planner loads with the first plan

            progress(0.0, "Planning reference points")
            engine = geometry.ray_engine(scene)
            cancel.raise_if_cancelled()
            spacing = settings.spacing_m
            try:
                plan = plan_reference_points(
                    markers, settings.loops, spacing_m=spacing, between=None if spacing is not None else settings.between,
                    clearance_m=settings.clearance_m, scene=scene, engine=engine, height_m=height,
                )
            except ValueError as error:
                return PlanOutcome(None, str(error))
            return PlanOutcome(plan)

        task = self._runner.submit(Job("Reference-point plan", run), key=KEY, supersede=True)
        task.finished.connect(lambda outcome: self._on_planned(outcome, report))

    def _on_planned(self, outcome: PlanOutcome, report: bool) -> None:
        self.plan, self.note = outcome.plan, outcome.problem
        self.planChanged.emit()
        if outcome.problem and report:
            self.problem.emit(outcome.problem)
