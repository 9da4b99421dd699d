"""The best few layouts that differ from each other, out of everything an optimizer evaluated."""

from __future__ import annotations

import numpy as np


def layout_difference_m(first, second) -> float:
    """How far apart two layouts are, metres: anchors are unordered, so they are matched.

    first, second : (N, 3) float64, metres. The anchors are paired to minimise the summed
    distance, and the largest paired distance is returned (0 for the same layout listed in
    another order).
    """
    from scipy.optimize import linear_sum_assignment  # loaded with the first ranking, not at start-up

    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    distance = np.linalg.norm(first[:, None, :] - second[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(distance)
    return float(distance[rows, cols].max())


def best_distinct(layouts, fitness, count: int, min_difference_m: float = 0.5) -> np.ndarray:
    """Indices of the best ``count`` layouts, each more than ``min_difference_m`` from the better ones.

    layouts : (E, N, 3) float64, metres; fitness : (E,) float64, lower is better.
    Returns (K,) int64 indices, best first, K <= count.
    """
    layouts = np.asarray(layouts, dtype=np.float64)
    order = np.argsort(np.asarray(fitness, dtype=np.float64), kind="stable")
    chosen: list[int] = []
    for index in order:
        if len(chosen) == count:
            break
        if all(layout_difference_m(layouts[index], layouts[other]) > min_difference_m for other in chosen):
            chosen.append(int(index))
    return np.array(chosen, dtype=np.int64)
