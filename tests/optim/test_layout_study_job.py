"""The layout study job the GUI runs: progress every iteration, live best layouts, cancel keeps the best."""

from optim_scenes import room
from twinloc.compute.jobs import ComputePool
from twinloc.compute.layout_jobs import layout_study_job
from twinloc.layout.problem import LayoutRequest

REQUEST = LayoutRequest(3, population=8, iterations=4, resolution_m=0.25, objective_resolution_m=0.5, top_k=2)


def test_job_reports_each_iteration_and_the_best_layout():
    texts, live = [], []
    with ComputePool(max_workers=1) as pool:
        handle = pool.submit(layout_study_job(room(), REQUEST, (), listener=lambda t, layout, fitness, curve: live.append((t, layout, curve))))
        handle.add_progress_listener(lambda fraction, text: texts.append(text))
        result = handle.future.result(timeout=60).optimization
    assert [t for t, _, _ in live] == [1, 2, 3, 4]
    assert any(text.startswith("iteration 4 of 4, best ") and text.endswith(" m") for text in texts)
    assert live[-1][2].shape == (4,) and not result.cancelled


def test_cancel_during_the_search_returns_the_best_so_far():
    with ComputePool(max_workers=1) as pool:
        holder = {}

        def stop(t, layout, fitness, curve):
            if t == 2:
                holder["handle"].cancel()

        request = LayoutRequest(3, population=8, iterations=10, resolution_m=0.25, objective_resolution_m=0.5)
        holder["handle"] = pool.submit(layout_study_job(room(), request, (), listener=stop))
        result = holder["handle"].future.result(timeout=60).optimization
    assert result.cancelled and result.convergence.shape == (2,)
    assert result.layouts and result.best.stats["sum_error_m"] > 0
