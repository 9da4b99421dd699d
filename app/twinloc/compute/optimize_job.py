"""The layout optimisation job: prepare, search and rank, with progress every iteration."""

from __future__ import annotations

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job, input_key
from twinloc.compute.layout_optimization import IterationListener, LayoutOptimization, LayoutRequest, optimize_layout, prepare_problem
from twinloc.geometry.scene import Scene


def optimize_job(scene: Scene, request: LayoutRequest, listener: IterationListener | None = None) -> Job:
    """A job running :func:`~twinloc.compute.layout_optimization.optimize_layout`.

    Parameters
    ----------
    scene : Scene, the effective scene (material overrides applied).
    request : LayoutRequest (immutable; fixed anchors as a tuple of (x, y, z) metres).
    listener : callable or None
        ``listener(t, best_layout (N, 3) metres, best_fitness, convergence (t,))`` after
        every iteration, on the worker thread: the GUI bridges it to a signal to show the
        best layout and the convergence curve live.

    Progress: preparing the link tables (to 0.3), then "iteration t of T, best ... m" every
    iteration (to 0.93), then the full-resolution maps of the reported layouts. A cancel
    during the search returns the best so far with ``cancelled`` set.
    """

    def run(progress: ProgressFn, cancel: CancelToken) -> LayoutOptimization:
        progress(0.0, "Preparing mounting sites")
        problem = prepare_problem(scene, request, progress=scaled_progress(progress, 0.0, 0.3), cancel=cancel)
        return optimize_layout(problem, progress=scaled_progress(progress, 0.3, 1.0), cancel=cancel, listener=listener)

    key = input_key("optimize", scene.content_hash(), request)
    return Job(name="Anchor layout optimisation", function=run, key=key)
