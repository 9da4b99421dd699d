"""The fuzz suite: about 450 broken and hostile inputs, each through the entry points a user
reaches it by (see hostile_inputs.py for the corpus, fuzz_driver.py for how it runs).

Every input must be refused the way TwinLoc refuses bad input: the CLI exits with status 2
and one line ``twinloc: error: ...``; a GUI loader raises its one error type with a message
naming the file; an autosave folder never stops start-up. Nothing may end in an internal
error, a hang (a case still running after 120 s: a hang detector, not a speed test) or a
peak memory of 1 GB or more (measured per input class, in the child process that ran it).
Random mutations of valid files may also be accepted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_inputs import INPUT_CLASSES

DRIVER = Path(__file__).with_name("fuzz_driver.py")
PEAK_RSS_LIMIT_KB = 10**9 // 1024  # 1 GB

_PASSING = {"refused", "handled"}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("fuzz")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TWINLOC_DATA_DIR": str(folder / "data"),
           "MPLBACKEND": "Agg"}
    # The driver stops each hanging case itself; this limit only guards the driver.
    driver = subprocess.run([sys.executable, str(DRIVER), str(folder / "corpus"), str(folder / "report.json")],
                            env=env, capture_output=True, text=True, timeout=3600)
    assert driver.returncode == 0, driver.stderr[-4000:]
    result = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    for input_class, outcome in result.items():
        print(f"{input_class:14s} {outcome['inputs']:4d} cases  {outcome['seconds']:6.1f} s  "
              f"peak {outcome['peak_rss_kb'] / 1024:6.0f} MB  hung {len(outcome['hung'])}")
    return result


def test_the_corpus_covers_every_input_class(report: dict) -> None:
    assert list(report) == list(INPUT_CLASSES)
    for input_class, outcome in report.items():
        assert outcome["inputs"] >= 18 and len(outcome["cases"]) == outcome["inputs"], input_class
    assert sum(outcome["inputs"] for outcome in report.values()) >= 600


@pytest.mark.parametrize("input_class", INPUT_CLASSES)
def test_every_input_is_refused_cleanly_and_nothing_hangs(report: dict, input_class: str) -> None:
    failures = [case for case in report[input_class]["cases"]
                if not (case["outcome"] in _PASSING or (case["outcome"] == "accepted" and not case["must_refuse"]))]
    assert not failures, f"{len(failures)} of {len(report[input_class]['cases'])} cases failed:\n" + "\n".join(
        f"- [{case['via']}] {case['name']}: {case['outcome']}: {' '.join(case['detail'].split())[:300]}" for case in failures
    )


@pytest.mark.parametrize("input_class", INPUT_CLASSES)
def test_no_input_takes_a_gigabyte_of_memory(report: dict, input_class: str) -> None:
    assert report[input_class]["peak_rss_kb"] < PEAK_RSS_LIMIT_KB
