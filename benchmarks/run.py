"""Run every benchmark and write its results as JSON.

    python benchmarks/run.py            # all benchmarks -> benchmarks/results/<name>.json
    python benchmarks/run.py rays       # only bench_rays.py

Each ``bench_<name>.py`` module exposes ``run() -> dict``. Speeds are reported as ratios
against a baseline measured in the same run, because the machines are noisy.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def available() -> list[str]:
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(HERE))
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        started = time.perf_counter()
        result = importlib.import_module(f"bench_{name}").run()
        result["machine"] = {"platform": platform.platform(), "python": platform.python_version()}
        result["benchmark_seconds"] = round(time.perf_counter() - started, 2)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"{name}: {json.dumps(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
