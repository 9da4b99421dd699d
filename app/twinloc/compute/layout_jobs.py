"""Layout optimization jobs: the GUI's study of a request, the current layout scored again after an edit,
and the best layout of every anchor count."""

from __future__ import annotations

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn
from twinloc.compute.jobs import Job
from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.scene import Scene
from twinloc.layout.plan_count import CountStudy, plan_count
from twinloc.layout.problem import LayoutRequest
from twinloc.layout.search import IterationListener
from twinloc.layout.study import LayoutStudy, rescore_current, study_layouts


def layout_study_job(
    scene: Scene,
    request: LayoutRequest,
    current_anchors,
    listener: IterationListener | None = None,
    geometry: GeometryCache | None = None,
) -> Job:
    """A job running :func:`~twinloc.layout.study.study_layouts`.

    Parameters
    ----------
    scene : Scene
        The effective scene with every mounting region the request may name
        (see :func:`twinloc.workspace.scene_with_mounting_regions`).
    request : LayoutRequest
    current_anchors : (A, 3) array_like of float, metres
        The enabled anchors in place now other than the request's fixed ones (copied).
    listener : callable or None
        ``listener(t, best_layout (N, 3) metres, best_fitness, convergence (t,))``, called on
        the worker thread after every iteration (the GUI bridges it to a queued signal).
    geometry : GeometryCache or None
        The application's ray engines and floor grids (None: the job builds its own).

    The job has no cache key: a cancelled run returns normally with its best layouts so far,
    which must not be remembered as the answer to the request.
    """
    current = np.array(current_anchors, dtype=np.float64).reshape(-1, 3)

    def run(progress: ProgressFn, cancel: CancelToken) -> LayoutStudy:
        return study_layouts(scene, request, current, progress, cancel, listener=listener, geometry=geometry)

    return Job(name="Anchor layout optimization", function=run, key=None)


def current_layout_job(study: LayoutStudy, anchors) -> Job:
    """A job scoring the layout in place now on ``study``'s grid, after the anchors were edited.

    ``anchors`` : (A, 3) array_like of float, metres; every enabled anchor of the project now
    (copied), the kept-fixed ones included. Its result is the study with the new "now"
    statistics (see :func:`~twinloc.layout.study.rescore_current`).
    """
    current = np.array(anchors, dtype=np.float64).reshape(-1, 3)

    def run(progress: ProgressFn, cancel: CancelToken) -> LayoutStudy:
        return rescore_current(study, current, progress, cancel)

    return Job(name="Error map of the current layout", function=run, key=None)



def plan_count_job(scene: Scene, counts, target_p90_m: float, request: LayoutRequest, runner) -> Job:
    """A job running :func:`~twinloc.layout.plan_count.plan_count` on the study runner ``runner``
    (open it on the job's thread with :func:`twinloc.compute.study_jobs.on_scheduler`).

    ``counts`` : the anchor counts to try (copied). A cancel stops the study without a result.
    """
    counts = tuple(int(count) for count in counts)

    def run(progress: ProgressFn, cancel: CancelToken) -> CountStudy:
        return plan_count(scene, counts, target_p90_m, request, runner, progress=progress, cancel=cancel)

    return Job(name="How many anchors", function=run, key=None)
