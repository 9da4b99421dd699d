"""Runs the fuzz corpus and writes a JSON report; ``test_fuzz.py`` starts it as a subprocess.

    PYTHONPATH=app python tests/fuzz/fuzz_driver.py CORPUS_FOLDER REPORT.json [INPUT_CLASS ...]

TwinLoc is imported once; the corpus is written (:mod:`hostile_inputs`); then each input
class runs in forked children, so that every class has its own peak memory (``ru_maxrss``
from ``wait4``), and a case that hangs (still running after :data:`HANG_SECONDS`) is killed
and recorded while the class goes on with its next case. The report says, per class, what
each case gave, the peak memory, the time, and the cases that hung.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hostile_inputs import INPUT_CLASSES, Case, build_corpus  # noqa: E402

#: A case still running after this long has hung: a hang detector only (inputs take
#: milliseconds to a few seconds), so speed never decides whether a case passes.
HANG_SECONDS = float(os.environ.get("TWINLOC_FUZZ_HANG_SECONDS", 120))
#: Memory a class's child may allocate (RLIMIT_DATA): a bomb fails inside it with MemoryError,
#: which the report shows, instead of pushing a shared machine into swap.
MEMORY_CAP_BYTES = 3 * 2**30


def main(argv: list[str]) -> int:
    corpus_folder, report_path = Path(argv[1]), Path(argv[2])
    chosen_classes = argv[3:] or list(INPUT_CLASSES)
    loaders = _loaders()  # imports everything before forking: each child starts warm
    cases = build_corpus(corpus_folder)
    report = {}
    for input_class in chosen_classes:
        report[input_class] = _run_class([case for case in cases if case.input_class == input_class], loaders,
                                         corpus_folder / f"{input_class}.results")
    report_path.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


def _loaders() -> dict:
    """The Qt-free functions the GUI's dialogs call, and the one error type each may raise."""
    from twinloc.geometry.errors import SceneError
    from twinloc.learn.trainer import CheckpointError
    from twinloc.mitigation.files import DatasetError, load_dataset, load_mitigation_model
    from twinloc.model.project_file import ProjectFileError
    from twinloc.uwb.measured import MeasuredDataError, load_measured_csv, load_measurements
    from twinloc.workspace import open_source
    import twinloc.cli  # noqa: F401  (the CLI's verbs import their modules lazily; warm them here)

    return {
        "open_source": (open_source, (ProjectFileError, SceneError)),  # File > Open, Open Scene, recent files
        "load_measured_csv": (load_measured_csv, (MeasuredDataError,)),  # Error map > Import Measured CSV
        "load_measurements": (load_measurements, (MeasuredDataError,)),  # Calibration > Import measured CSV
        "load_mitigation_model": (load_mitigation_model, (CheckpointError,)),  # Training > Load model
        "load_dataset": (load_dataset, (DatasetError,)),  # Training > Load data
    }


def _run_class(cases: list[Case], loaders: dict, results_path: Path) -> dict:
    """Run ``cases`` in forked children: one child runs them in turn; if a case has not ended
    after HANG_SECONDS (or kills its child), it is recorded and a new child goes on after it."""
    running_path = results_path.with_suffix(".running")
    results_path.write_text("", encoding="utf-8")
    started, peak_rss_kb, hung = time.monotonic(), 0, []
    done = 0
    while done < len(cases):
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through its files
            status = 1
            try:
                status = _run_cases(cases[done:], loaders, results_path, running_path)
            finally:
                os._exit(status)
        status, usage, timed_out = _wait(child, running_path)
        peak_rss_kb = max(peak_rss_kb, usage.ru_maxrss)
        done = len(results_path.read_text(encoding="utf-8").splitlines())
        if done < len(cases):  # the child was stopped, or died, in the middle of cases[done]
            case = cases[done]
            outcome = "hung" if timed_out else f"killed the process (exit status {os.waitstatus_to_exitcode(status)})"
            hung += [f"{case.via}: {case.name}"] if timed_out else []
            with results_path.open("a", encoding="utf-8") as results:
                results.write(json.dumps({"name": case.name, "via": case.via, "must_refuse": case.must_refuse,
                                          "outcome": outcome, "detail": "", "seconds": None}) + "\n")
            done += 1
    lines = results_path.read_text(encoding="utf-8").splitlines()
    return {"cases": [json.loads(line) for line in lines], "inputs": len(cases), "hung": hung,
            "peak_rss_kb": peak_rss_kb, "seconds": round(time.monotonic() - started, 2)}


def _wait(child: int, running_path: Path) -> tuple[int, resource.struct_rusage, bool]:
    """(wait status, resource usage, whether it was killed for hanging) of ``child``; a case hangs
    when the file naming the running case has not changed for HANG_SECONDS."""
    started = time.time()
    while True:
        done, status, usage = os.wait4(child, os.WNOHANG)
        if done:
            return status, usage, False
        try:
            since = running_path.stat().st_mtime
        except FileNotFoundError:
            since = started
        if time.time() - max(since, started) > HANG_SECONDS:
            os.kill(child, signal.SIGKILL)
            _, status, usage = os.wait4(child, 0)
            return status, usage, True
        time.sleep(0.02)


def _run_cases(cases: list[Case], loaders: dict, results_path: Path, running_path: Path) -> int:
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    with results_path.open("a", encoding="utf-8") as results:
        for case in cases:
            running_path.write_text(f"{case.via}: {case.name}", encoding="utf-8")
            started = time.monotonic()
            outcome, detail = _outcome(case, loaders)
            record = {"name": case.name, "via": case.via, "must_refuse": case.must_refuse, "outcome": outcome,
                      "detail": detail[:600], "seconds": round(time.monotonic() - started, 3)}
            results.write(json.dumps(record) + "\n")
            results.flush()
    running_path.unlink()
    return 0


def _outcome(case: Case, loaders: dict) -> tuple[str, str]:
    """("refused" | "accepted" | "handled" | a failure, detail) for one case."""
    if case.via == "cli":
        return _cli_outcome(case.argv)
    if case.via == "autosave":
        return _autosave_outcome(Path(case.path))
    load, errors = loaders[case.via]
    try:
        load(case.path)
    except errors as error:
        message = str(error)
        if Path(case.path).name not in message:
            return "refused without naming the file", message
        return "refused", message
    except BaseException as error:  # noqa: BLE001 - any other error is what the suite looks for
        return "internal error", _described(error)
    return "accepted", ""


def _cli_outcome(argv: tuple[str, ...]) -> tuple[str, str]:
    from twinloc.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = main(list(argv))
    except BaseException as error:  # noqa: BLE001 - main() must catch everything itself
        return "internal error", _described(error)
    lines = stderr.getvalue().splitlines()
    if status == 2:
        if len(lines) == 1 and lines[0].startswith("twinloc: error: "):
            return "refused", lines[0]
        return "refused, but not in one line", "\n".join(lines)
    if status == 0:
        return "accepted", stdout.getvalue()[-300:]
    return ("internal error" if status == 1 else f"exit status {status}"), "\n".join(lines)


def _autosave_outcome(folder: Path) -> tuple[str, str]:
    """What the window does at start-up with an autosave folder: must never raise."""
    from twinloc.model.autosave import AutosaveStore
    from twinloc.model.project_file import ProjectFileError

    store = AutosaveStore(folder)
    try:
        store.start_session()
        candidate = store.recoverable()
        if candidate is not None:
            try:
                candidate.load()
            except ProjectFileError:  # the window shows it in a dialog
                pass
        store.end_session()
    except BaseException as error:  # noqa: BLE001
        return "internal error", _described(error)
    return "handled", ""


def _described(error: BaseException) -> str:
    frames = traceback.format_exception(error)
    return f"{type(error).__name__}: {error}"[:300] + " | " + " ".join("".join(frames[-4:-1]).split())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
