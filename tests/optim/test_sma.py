"""The slime mould algorithm on functions with known optima, its budget, determinism and cancel."""

import numpy as np
import pytest

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.optim.sma import slime_mould_minimize


def sphere(X):
    return np.sum(X**2, axis=1)


def rastrigin(X):
    return 10.0 * X.shape[1] + np.sum(X**2 - 10.0 * np.cos(2.0 * np.pi * X), axis=1)


@pytest.mark.parametrize("seed", range(5))
def test_sphere_6d_reaches_zero_with_the_papers_budget(seed):
    # Optimum 0 at the origin; 50 x 80 reaches below 1e-20 at every seed tried (about 1e-110).
    result = slime_mould_minimize(sphere, -100 * np.ones(6), 100 * np.ones(6), seed=seed)
    assert result.best_fitness < 1e-20
    assert np.abs(result.best_x).max() < 1e-10


@pytest.mark.parametrize("seed", range(5))
def test_rastrigin_6d_reaches_the_global_minimum(seed):
    # Optimum 0 at the origin among ~11^6 local minima; 50 x 80 suffices at these seeds.
    result = slime_mould_minimize(rastrigin, -5.12 * np.ones(6), 5.12 * np.ones(6), seed=seed)
    assert result.best_fitness < 1e-8


@pytest.mark.parametrize("seed", range(3))
def test_shifted_sphere_is_found_away_from_the_box_centre(seed):
    # The vc X branch contracts toward the box centre; an optimum at 30 (box +-100) still
    # needs to be found: 200 iterations reach below 1e-2 (measured about 2e-4).
    result = slime_mould_minimize(lambda X: np.sum((X - 30.0) ** 2, axis=1), -100 * np.ones(6), 100 * np.ones(6), iterations=200, seed=seed)
    assert result.best_fitness < 1e-2


def test_budget_convergence_and_history():
    result = slime_mould_minimize(sphere, -np.ones(3), np.ones(3), population=20, iterations=30, seed=1)
    assert result.evaluations == 600
    assert result.evaluated_x.shape == (600, 3) and result.evaluated_fitness.shape == (600,)
    assert result.convergence.shape == (30,) and result.history.shape == (30, 3)
    assert np.all(np.diff(result.convergence) <= 0)
    assert result.convergence[-1] == result.best_fitness == result.evaluated_fitness.min()
    assert np.all(result.evaluated_x >= -1) and np.all(result.evaluated_x <= 1)
    assert not result.cancelled


def test_restarts_split_the_budget_into_fresh_runs_and_keep_the_best():
    result = slime_mould_minimize(sphere, -np.ones(3), np.ones(3), population=20, iterations=10, seed=1, restarts=3)
    assert result.evaluations == 200 and result.convergence.shape == (10,)
    # The best of all runs so far after every iteration: the running minimum of what was scored.
    per_iteration = result.evaluated_fitness.reshape(10, 20)
    np.testing.assert_array_equal(result.convergence, np.minimum.accumulate(per_iteration.min(axis=1)))
    # Runs of 4, 3 and 3 iterations: each starts from a population spread over the box
    # (uniform on [-1, 1]: a spread of 0.58 per coordinate) however far the run before had
    # contracted toward its best.
    spread = result.evaluated_x.reshape(10, 20, 3).std(axis=1).min(axis=1)
    assert spread[0] > 0.3 and spread[4] > 0.3 and spread[7] > 0.3
    assert spread[3] < 0.05 and spread[6] < 0.1 and spread[9] < 0.1


def test_same_seed_same_result_other_seed_other_result():
    run = lambda seed: slime_mould_minimize(rastrigin, -5.12 * np.ones(4), 5.12 * np.ones(4), population=10, iterations=10, seed=seed)
    first, again, other = run(7), run(7), run(8)
    assert np.array_equal(first.evaluated_x, again.evaluated_x)
    assert not np.array_equal(first.evaluated_x, other.evaluated_x)


def test_repair_is_applied_before_every_evaluation():
    seen = []

    def objective(X):
        seen.append(X.copy())
        return sphere(X - 0.5)

    slime_mould_minimize(objective, -np.ones(2), np.ones(2), population=8, iterations=10, repair=lambda X: np.abs(X))
    assert all(np.all(X >= 0) for X in seen)


def test_cancel_keeps_the_best_so_far():
    token = CancelToken()

    def stop_after_five(t, best_x, best_fitness, convergence):
        assert convergence.shape == (t,)
        if t == 5:
            token.cancel()

    result = slime_mould_minimize(sphere, -np.ones(2), np.ones(2), population=8, iterations=50, cancel=token, callback=stop_after_five)
    assert result.cancelled and result.convergence.shape == (5,) and result.evaluations == 40
    assert result.best_fitness == result.evaluated_fitness.min()


def test_cancel_before_the_first_evaluation_raises():
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        slime_mould_minimize(sphere, -np.ones(2), np.ones(2), cancel=token)


def test_progress_reports_every_iteration():
    reports = []
    slime_mould_minimize(sphere, -np.ones(2), np.ones(2), population=4, iterations=6, progress=lambda f, text: reports.append((f, text)))
    assert [f for f, _ in reports] == pytest.approx([t / 6 for t in range(1, 7)])
    assert reports[0][1].startswith("iteration 1 of 6, best ")


@pytest.mark.parametrize("kwargs", [{"population": 3}, {"iterations": 0}, {"lower": [1.0], "upper": [0.0]},
                                    {"restarts": 0}, {"iterations": 2, "restarts": 3}, {"restarts": 1.5}])
def test_bad_arguments_are_refused(kwargs):
    arguments = {"lower": [-1.0], "upper": [1.0], **kwargs}
    with pytest.raises(ValueError):
        slime_mould_minimize(sphere, **arguments)
