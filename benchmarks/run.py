"""Run every benchmark and write its results as JSON.

    python benchmarks/run.py            # all benchmarks -> benchmarks/results/<name>.json
    python benchmarks/run.py rays       # only bench_rays.py
    python benchmarks/run.py optimize_peers --quick   # its small setting (benchmarks that have one)

Each ``bench_<name>.py`` module exposes ``run() -> dict``; one with a small setting takes
``run(quick=True)``, written to ``results/<name>_quick.json``. Speeds are reported as ratios
against a baseline measured in the same run, because the machines are noisy.
"""

from __future__ import annotations

import importlib
import inspect
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
    quick = "--quick" in argv
    names = [name for name in argv if name != "--quick"] or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(HERE))
    RESULTS.mkdir(exist_ok=True)
    modules = {name: importlib.import_module(f"bench_{name}") for name in names}
    without = [name for name, module in modules.items() if quick and "quick" not in inspect.signature(module.run).parameters]
    if without:
        print(f"--quick: no small setting in {', '.join(without)}", file=sys.stderr)
        return 2
    for name, module in modules.items():
        started = time.perf_counter()
        result = module.run(quick=True) if quick else module.run()
        result["machine"] = {"platform": platform.platform(), "python": platform.python_version()}
        result["benchmark_seconds"] = round(time.perf_counter() - started, 2)
        (RESULTS / f"{name}{'_quick' if quick else ''}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"{name}: {json.dumps(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
