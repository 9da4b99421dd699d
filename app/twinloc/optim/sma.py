"""The slime mould algorithm (SMA), vectorised over the population.

Li, Chen, Wang, Heidari and Mirjalili, "Slime mould algorithm: A new method for stochastic
optimization", Future Generation Computer Systems 111 (2020) 300-323. Each iteration:

1. evaluate the whole population in one call of the objective (the layout objective solves
   all agents' multilaterations as one batch);
2. sort the fitness S; bF and wF are this iteration's best and worst, DF and X_b the best
   fitness and position found so far;
3. weights W(i, j) = 1 + r log10((bF - S(i)) / (bF - wF) + 1) for the better half of the
   ranks and 1 - r log10(...) for the rest, r ~ U(0, 1) per element (paper Eq. 2.5);
4. a = arctanh(1 - t/T), b = 1 - t/T with t = 1..T (t = 0 would make a infinite),
   vb ~ U(-a, a), vc ~ U(-b, b) per element, p = tanh|S(i) - DF| (Eqs. 2.2-2.4);
5. with probability z = 0.03 an agent restarts uniformly inside the bounds; otherwise each
   element becomes X_b + vb (W X_A - X_B) when rand < p (A, B random agents) and vc X
   otherwise (Eq. 2.7). As in the authors' reference code, the rand < p test and the agents
   A and B are drawn per element, and out-of-bounds elements are clipped.

The paper's vc X branch contracts toward the origin, so positions are handled in
coordinates centred on the search box: the contraction pulls toward the box centre instead
of toward an arbitrary corner of the problem's coordinate system. The fitness that enters
p = tanh|S - DF| is used in the objective's own units, as in the paper; the fitness scale
therefore sets how often agents follow the best (|S - DF| of several units: nearly always).

The evaluation budget is exactly population x iterations: the population is evaluated at
the top of every iteration and the update after the last evaluation is skipped (it would
never be evaluated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twinloc.cancellation import CancelToken, JobCancelled, ProgressFn

#: Probability that an agent restarts at a uniformly random position (the paper's z).
RESTART_PROBABILITY = 0.03

Objective = Callable[[np.ndarray], np.ndarray]
"""``objective(X)``: X (P, D) float64 -> (P,) float64 fitness, lower is better."""

Repair = Callable[[np.ndarray], np.ndarray]
"""``repair(X)``: X (P, D) float64 inside the bounds -> (P, D) float64 feasible positions."""

IterationCallback = Callable[[int, np.ndarray, float, np.ndarray], None]
"""``callback(t, best_x (D,), best_fitness, convergence (t,))`` after iteration t (1-based)."""


@dataclass(frozen=True, eq=False)
class SmaResult:
    """What a slime mould run found.

    best_x : (D,) float64; the best position evaluated.
    best_fitness : float; its fitness.
    convergence : (T',) float64; best fitness so far after each completed iteration
        (T' = iterations unless cancelled).
    history : (T', D) float64; best position so far after each completed iteration.
    evaluations : int; objective values computed (population x completed iterations).
    evaluated_x : (E, D) float64; every position evaluated, in evaluation order.
    evaluated_fitness : (E,) float64; their fitness.
    final_x : (P, D) float64; the last population evaluated.
    final_fitness : (P,) float64; its fitness.
    cancelled : bool; the run stopped early at a cancel request (best so far kept).
    """

    best_x: np.ndarray
    best_fitness: float
    convergence: np.ndarray
    history: np.ndarray
    evaluations: int
    evaluated_x: np.ndarray
    evaluated_fitness: np.ndarray
    final_x: np.ndarray
    final_fitness: np.ndarray
    cancelled: bool = False


def slime_mould_minimize(
    objective: Objective,
    lower,
    upper,
    population: int = 50,
    iterations: int = 80,
    seed: int = 0,
    repair: Repair | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    callback: IterationCallback | None = None,
    restarts: int = 1,
) -> SmaResult:
    """Minimise ``objective`` over the box [lower, upper] with the slime mould algorithm.

    Parameters
    ----------
    objective : callable
        ``objective(X)`` with X (P, D) float64 returns (P,) float64 fitness; called once per
        iteration with the whole population.
    lower, upper : (D,) array_like of float
        Bounds of the search box, lower < upper element-wise.
    population : int, default: 50
        Agents, >= 4 (the better and the worse half need two each).
    iterations : int, default: 80
        T, >= 1. The defaults are the paper's (50 x 80).
    seed : int, default: 0
        The run is a deterministic function of the seed (given a deterministic objective
        and repair).
    repair : callable or None, default: None
        Maps a clipped population into the feasible set (for example mounting regions and a
        minimum distance between anchors); applied before every evaluation. The objective
        and every reported position see the repaired layouts; the agents move on from their
        own (unrepaired) positions.
    progress : callable or None
        ``progress(fraction, text)`` after every iteration.
    cancel : CancelToken or None
        Checked before every evaluation; a run cancelled after its first iteration returns
        the best so far with ``cancelled`` set.
    callback : callable or None
        ``callback(t, best_x, best_fitness, convergence)`` after every iteration.
    restarts : int, default: 1
        Independent runs the iterations are split over, as evenly as possible: each is a whole
        SMA (its own random start, schedule and best) and the best of all is returned. The
        budget stays population x iterations; t, the progress and the convergence count the
        iterations of all runs in turn, the convergence being the best of all runs so far.

    Returns
    -------
    SmaResult

    Raises
    ------
    ValueError
        Bad bounds, population or iteration count, or an objective returning the wrong shape.
    JobCancelled
        Cancelled before the first population was evaluated.
    """
    lower = np.asarray(lower, dtype=np.float64).reshape(-1)
    upper = np.asarray(upper, dtype=np.float64).reshape(-1)
    if lower.shape != upper.shape or not np.all(np.isfinite(lower) & np.isfinite(upper)) or not np.all(lower < upper):
        raise ValueError("bounds must be finite (D,) arrays with lower < upper")
    if population < 4:
        raise ValueError(f"the population must have at least 4 agents, got {population}")
    if iterations < 1:
        raise ValueError(f"at least one iteration is needed, got {iterations}")
    if isinstance(restarts, bool) or not isinstance(restarts, int) or not 1 <= restarts <= iterations:
        raise ValueError(f"restarts must be an integer from 1 to the {iterations} iterations, got {restarts!r}")
    rng = np.random.default_rng(seed)
    dimensions = lower.size
    centre = 0.5 * (lower + upper)
    low, high = lower - centre, upper - centre  # the box in centred coordinates
    fix = repair if repair is not None else (lambda X: X)
    report = progress or (lambda fraction, text: None)

    best_x = np.zeros(dimensions)
    best_fitness = np.inf
    convergence, history, evaluated_x, evaluated_fitness = [], [], [], []
    final_x = final_fitness = None
    half = population // 2
    run_lengths = [iterations // restarts + (run < iterations % restarts) for run in range(restarts)]
    t = 0  # iterations done, over all runs
    for length in run_lengths:
        X = low + rng.random((population, dimensions)) * (high - low)
        run_best_x, run_best_fitness = np.zeros(dimensions), np.inf  # each run follows its own best
        for step in range(1, length + 1):
            if cancel is not None and cancel.cancelled:
                if t == 0:
                    raise JobCancelled("cancelled")
                break
            t += 1
            positions = fix(np.clip(X, low, high) + centre)
            # The agents keep their own positions and are scored at the repaired ones (the repair
            # only says what a position stands for): moving them onto the repaired layouts pulls
            # crowded agents together and cost 1-7 % in the 8-anchor benchmarks.
            X = np.clip(X, low, high)
            fitness = np.asarray(objective(positions), dtype=np.float64).reshape(-1)
            if fitness.shape != (population,):
                raise ValueError(f"the objective returned shape {fitness.shape}, expected ({population},)")
            fitness = np.where(np.isnan(fitness), np.inf, fitness)
            evaluated_x.append(positions)
            evaluated_fitness.append(fitness)
            final_x, final_fitness = positions, fitness

            order = np.argsort(fitness, kind="stable")
            if fitness[order[0]] < run_best_fitness:
                run_best_fitness = float(fitness[order[0]])
                run_best_x = positions[order[0]].copy()
            if run_best_fitness < best_fitness:
                best_fitness, best_x = run_best_fitness, run_best_x.copy()
            convergence.append(best_fitness)
            history.append(best_x.copy())
            report(t / iterations, f"iteration {t} of {iterations}, best {best_fitness:.6g}")
            if callback is not None:
                callback(t, best_x.copy(), best_fitness, np.array(convergence))
            if step < length:
                X = _move(X, fitness, order, half, run_best_x - centre, run_best_fitness, step, length, low, high, rng)
        if cancel is not None and cancel.cancelled:
            break

    return SmaResult(
        best_x=best_x,
        best_fitness=best_fitness,
        convergence=np.array(convergence),
        history=np.array(history),
        evaluations=population * len(convergence),
        evaluated_x=np.concatenate(evaluated_x),
        evaluated_fitness=np.concatenate(evaluated_fitness),
        final_x=final_x,
        final_fitness=final_fitness,
        cancelled=len(convergence) < iterations,
    )


def _move(X, fitness, order, half, best_x, best_fitness, t, iterations, low, high, rng) -> np.ndarray:
    """One SMA position update in centred coordinates: X (P, D) -> (P, D)."""
    population, dimensions = X.shape
    sorted_fitness = fitness[order]
    best_now, worst_now = sorted_fitness[0], sorted_fitness[-1]
    spread = best_now - worst_now
    # (bF - S) / (bF - wF) lies in [0, 1]; a population of equal fitness has no spread and
    # every weight is 1 (the paper divides by bF - wF + eps, which gives the same).
    ratio = (best_now - sorted_fitness) / spread if spread < 0 else np.zeros(population)
    ratio = np.where(np.isfinite(ratio), ratio, 1.0)
    change = rng.random((population, dimensions)) * np.log10(ratio + 1.0)[:, None]
    sign = np.where(np.arange(population) < half, 1.0, -1.0)[:, None]
    weights = np.empty((population, dimensions))
    weights[order] = 1.0 + sign * change

    a = np.arctanh(1.0 - t / iterations)
    b = 1.0 - t / iterations
    p = np.tanh(np.abs(fitness - best_fitness))[:, None]
    vb = rng.uniform(-a, a, (population, dimensions))
    vc = rng.uniform(-b, b, (population, dimensions))
    # A and B are drawn per element, as in the authors' reference code (randi inside the loop
    # over dimensions): each coordinate mixes its own pair of agents.
    columns = np.arange(dimensions)[None, :]
    X_A = X[rng.integers(0, population, (population, dimensions)), columns]
    X_B = X[rng.integers(0, population, (population, dimensions)), columns]
    approach = best_x[None, :] + vb * (weights * X_A - X_B)
    contract = vc * X
    moved = np.where(rng.random((population, dimensions)) < p, approach, contract)
    restart = rng.random(population) < RESTART_PROBABILITY
    moved[restart] = low + rng.random((int(restart.sum()), dimensions)) * (high - low)
    return np.clip(moved, low, high)
