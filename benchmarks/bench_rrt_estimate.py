"""One reverse-ray-tracing estimate, max and median over 50 drops, with and without PT.

The first part of the ``rrt`` benchmark on its own (that one also runs 500-drop evaluations).

Run: ``python benchmarks/run.py rrt_estimate`` (writes benchmarks/results/rrt_estimate.json).
"""

from __future__ import annotations

from bench_rrt import single_estimate


def run() -> dict:
    return single_estimate()
