"""Point selection with time measurements: seed Algorithm 1 (PT) and Algorithm 2 (RPT).

Both work on point sets (:mod:`twinloc.rrt.point_sets`), whose points are already sorted
into small length bins. Algorithm 1 samples lengths from the propagation-time
distribution and takes a random point of each length's bin. Algorithm 2 samples length
differences from the relative-propagation-time distribution and takes a random pair of
points, one per base station, whose length difference falls in that difference's bin;
pairs are drawn uniformly among those pairs by rejection (see
:func:`select_by_relative_propagation_time`).
"""

from __future__ import annotations

import numpy as np

_RPT_OVERSAMPLING = 4
_RPT_ROUNDS = 8


def select_by_propagation_time(point_set, measured_length_m: float, sigma_m: float, count: int, rng: np.random.Generator):
    """Seed Algorithm 1: points whose lengths follow N(measured length, sigma^2).

    Parameters
    ----------
    point_set : PlaneCrossings or RayPoints
    measured_length_m : float, the propagation time times the speed of light, metres.
    sigma_m : float, its standard deviation, metres.
    count : int, lengths drawn; wanted lengths whose bin is empty select nothing.
    rng : numpy.random.Generator

    Returns
    -------
    points : (K, D) float64, metres, K <= count
    lengths : (K,) float64, metres
    """
    wanted = measured_length_m + sigma_m * rng.standard_normal(count)
    return point_set.select_by_length(wanted, rng)


def select_by_relative_propagation_time(
    first, second, measured_difference_m: float, sigma_m: float, count: int, rng: np.random.Generator
):
    """Seed Algorithm 2: pairs of points whose length differences follow N(measured, sigma^2).

    For each sampled difference d, the pairs (a, b) with L_a - L_b in d's bin are those
    whose b lies in the length bin of L_a - d. A uniform pair of them is drawn by taking
    a uniform point a of ``first``, accepting it with probability (points of ``second``
    in that bin) / (the most any bin holds), then a random point b of that bin.

    Parameters
    ----------
    first, second : point sets of the two base stations i and j
    measured_difference_m : float, measured L_i - L_j, metres
    sigma_m : float, metres
    count : int, pairs wanted; fewer come back when acceptance stays low.
    rng : numpy.random.Generator

    Returns
    -------
    (points_i, lengths_i), (points_j, lengths_j) : the K selected pairs, K <= count
    """
    most = second.max_bin_count
    if first.count == 0 or most == 0:
        return first.sample(0, rng), second.sample(0, rng)
    chosen_a, chosen_la, chosen_b, chosen_lb = [], [], [], []
    still = count
    for _ in range(_RPT_ROUNDS):
        trials = _RPT_OVERSAMPLING * still
        points_a, lengths_a = first.sample(trials, rng)
        difference = measured_difference_m + sigma_m * rng.standard_normal(len(lengths_a))
        target = lengths_a - difference
        accept = rng.random(len(target)) * most < second.bin_counts(target)
        accepted = np.flatnonzero(accept)[:still]
        points_b, lengths_b = second.select_by_length(target[accepted], rng)
        chosen_a.append(points_a[accepted])
        chosen_la.append(lengths_a[accepted])
        chosen_b.append(points_b)
        chosen_lb.append(lengths_b)
        still -= len(accepted)
        if still == 0:
            break
    return (np.concatenate(chosen_a), np.concatenate(chosen_la)), (np.concatenate(chosen_b), np.concatenate(chosen_lb))
