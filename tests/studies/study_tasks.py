"""Task functions of the runner tests: module-level, so Dask workers import them by name."""

import os
import signal
import time
from pathlib import Path

import numpy as np


def scaled_draw(item, shared, rng_seed):
    """item * shared["scale"] plus the first uniform draw of the task's seed."""
    return item * shared["scale"] + np.random.default_rng(rng_seed).random()


def shared_identity(item, shared, rng_seed):
    """(worker process id, id of the shared object it got): one object per process if sent once."""
    return os.getpid(), id(shared)


def die_once(item, shared, rng_seed):
    """scaled_draw, but the first task of item shared["victim"] kills its own worker process."""
    flag = Path(shared["flag"])
    if item == shared["victim"] and not flag.exists():
        flag.write_text("killed")
        os.kill(os.getpid(), signal.SIGKILL)
    return scaled_draw(item, shared, rng_seed)


def slow_draw(item, shared, rng_seed):
    """scaled_draw after shared["sleep_s"] seconds: a task still running when the study is cancelled."""
    time.sleep(shared["sleep_s"])
    return scaled_draw(item, shared, rng_seed)


def ray_threads(item, shared, rng_seed):
    """The ray threads a query may use where the task runs."""
    from twinloc.geometry.ray_engine import default_threads

    return default_threads()


def needs_a_missing_module(item, shared, rng_seed):
    """What a worker without TwinLoc meets: the task's module cannot be imported."""
    raise ModuleNotFoundError("No module named 'twinloc'")


def always_dies(item, shared, rng_seed):
    """A task that kills every worker it runs on (as running out of memory does)."""
    os.kill(os.getpid(), signal.SIGKILL)


def environment(item, shared, rng_seed):
    """The variables of the worker's environment that shape its speed."""
    import os

    return {name: os.environ.get(name) for name in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
