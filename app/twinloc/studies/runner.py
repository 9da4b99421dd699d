"""Where a study's tasks run: in this process, on a LocalCluster of this machine, or on a Dask cluster.

A :class:`Runner` maps a task over items. The data every task shares (the scene, the
settings) is sent to each worker once, not once per task; each task's seed is the item's
child of the study seed (``np.random.SeedSequence(seed).spawn(len(items))[i]``), so the
results do not depend on the scheduler, the number of workers or the order tasks finish in.
Dask is imported only for a cluster: ``"none"`` runs without it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from twinloc.cancellation import CancelToken, JobCancelled, ProgressFn, report_nothing

SCHEDULER_CHOICES = ("local", "none")
"""The named schedulers: ``"local"`` (a LocalCluster: worker processes, one per core, one thread
each) and ``"none"`` (in this process). Any other value is the address of a running Dask
scheduler, such as ``tcp://host:8786``."""

#: Most workers a LocalCluster may start: more is a typing mistake, not a machine.
MAX_LOCAL_WORKERS = 256
#: Seconds to wait for a remote scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 20
#: Seconds between checks of the cancel token while tasks run on a cluster.
CANCEL_POLL_S = 0.2

Task = Callable[[Any, Any, np.random.SeedSequence], Any]
"""``task(item, shared, rng_seed) -> result``: a module-level function (workers import it by name)."""


def open_runner(
    scheduler: str = "local", *, workers: int | None = None, worker_setup: Callable[[], None] | None = None
) -> Runner:
    """A runner for ``scheduler``; use it as a context manager.

    Parameters
    ----------
    scheduler : str, default: "local"
        ``"local"``, ``"none"`` or a scheduler address (see :data:`SCHEDULER_CHOICES`).
    workers : int or None
        Worker processes of a LocalCluster, 1 to :data:`MAX_LOCAL_WORKERS` (None: one per
        core). Ignored by ``"none"`` and by a remote cluster, which has its own.
    worker_setup : callable or None
        A module-level function a worker calls before each task (so a restarted worker calls it
        too); cheap to repeat. TwinLoc's callers pass
        :func:`twinloc.geometry.cache.prepare_study_worker` (one ray thread per worker: the
        cluster already runs one task per core). Not called in-process.

    Raises
    ------
    ValueError
        An address that is not one, a remote scheduler that does not answer within
        :data:`CONNECT_TIMEOUT_S`, or a worker count out of range.
    """
    if workers is not None and not 1 <= workers <= MAX_LOCAL_WORKERS:
        raise ValueError(f"workers must be 1 to {MAX_LOCAL_WORKERS}, got {workers}")
    if scheduler == "none":
        return Runner()
    if scheduler != "local" and "://" not in scheduler:
        raise ValueError(f"{scheduler!r} is not local, none or a scheduler address such as tcp://host:8786")
    import dask
    from distributed import Client, LocalCluster

    if scheduler == "local":
        # Processes, not threads: a task holds the GIL between ray queries. Port 0 lets two
        # studies on one machine each have a dashboard. Only errors are logged: the cluster's
        # routine warnings (a worker slow to close) would clutter the verb's stderr.
        # Without Dask's MALLOC_TRIM_THRESHOLD_ (None unsets it; the thread limits stay): it turns
        # off glibc's adaptive mmap threshold, so each large NumPy array of a task is mapped and
        # unmapped afresh. A 60-drop evaluate-rrt study took 17.7 CPU s on one worker with it
        # (6.4 s in the kernel), 13.2 s without, 11.9 s in a plain process.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=logging.ERROR)
        return Runner(Client(cluster), cluster, worker_setup)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as error:
        raise ValueError(f"no Dask scheduler answered at {scheduler} within {CONNECT_TIMEOUT_S} s ({error})") from None
    return Runner(client, worker_setup=worker_setup)


class Runner:
    """Runs a study's tasks in this process (no client) or on the Dask cluster of ``client``.

    Closing it closes the client and the LocalCluster it started, never a remote cluster.
    Make one with :func:`open_runner`.
    """

    def __init__(self, client=None, cluster=None, worker_setup: Callable[[], None] | None = None) -> None:
        self._client = client
        self._cluster = cluster
        self._worker_setup = worker_setup

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    @property
    def workers(self) -> int:
        """Processes the tasks share: 1 in-process, else the cluster's workers now."""
        if self._client is None:
            return 1
        return max(1, len(self._client.scheduler_info()["workers"]))

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard's URL; None in-process or when the scheduler serves none (no bokeh)."""
        if self._client is None or "dashboard" not in self._client.scheduler_info().get("services", {}):
            return None
        return self._client.dashboard_link

    def map(
        self,
        task: Task,
        items: Sequence,
        *,
        shared: Any = None,
        seed: int = 0,
        progress: ProgressFn = report_nothing,
        cancel: CancelToken | None = None,
    ) -> list:
        """``[task(item, shared, rng_seed_i) for each item]``, in item order.

        Parameters
        ----------
        task : Task
            A module-level function; a task's exception ends the study and is raised here.
        items : sequence
            One task each; sent to its worker with the task.
        shared : any picklable value, default: None
            Data every task reads (e.g. a dict of the scene and the settings): on a cluster,
            scattered to every worker once before the tasks start.
        seed : int, default: 0
            The study seed; task ``i`` gets ``np.random.SeedSequence(seed).spawn(len(items))[i]``.
        progress : ProgressFn
            Called in this thread as tasks finish.
        cancel : CancelToken or None
            Checked between tasks (in-process) or every :data:`CANCEL_POLL_S` (cluster); when
            set, the tasks not yet done are cancelled and :class:`~twinloc.cancellation.JobCancelled`
            is raised.

        Raises
        ------
        ValueError
            On a cluster: a worker cannot import the task (TwinLoc is not installed there), or
            a task's workers kept dying (out of memory?). Any other exception of a task is
            raised as it is.
        """
        items = list(items)
        cancel = cancel or CancelToken()
        seeds = np.random.SeedSequence(seed).spawn(len(items))
        if self._client is None:
            return self._map_here(task, items, shared, seeds, progress, cancel)
        return self._map_on_cluster(task, items, shared, seeds, progress, cancel)

    @staticmethod
    def _map_here(task, items, shared, seeds, progress, cancel) -> list:
        results = []
        for index, (item, item_seed) in enumerate(zip(items, seeds)):
            cancel.raise_if_cancelled()
            results.append(task(item, shared, item_seed))
            progress((index + 1) / len(items), f"Task {index + 1} of {len(items)}")
        return results

    def _map_on_cluster(self, task, items, shared, seeds, progress, cancel) -> list:
        from distributed import wait

        client = self._client
        # In a list, so that a dict is scattered whole, not value by value. A fresh key per study
        # (hash=False): a content-hashed key could name the data a cancelled study is still releasing.
        [shared_future] = client.scatter([shared], broadcast=True, hash=False)
        futures = [client.submit(_on_worker, self._worker_setup, task, item, shared_future, item_seed, pure=False)
                   for item, item_seed in zip(items, seeds)]
        pending, done = set(futures), 0
        try:
            while pending:
                if cancel.cancelled:
                    raise JobCancelled("cancelled")
                try:
                    finished, pending = wait(pending, timeout=CANCEL_POLL_S, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for future in finished:
                    if future.status != "finished":
                        _raise_task_error(future, task)
                done += len(finished)
                progress(done / len(futures), f"Task {done} of {len(futures)}")
            return client.gather(futures)
        except BaseException:
            client.cancel(futures)
            raise


def _on_worker(setup: Callable[[], None] | None, task: Task, item, shared, rng_seed):
    """``task`` as a worker runs it: the runner's worker setup first."""
    if setup is not None:
        setup()
    return task(item, shared, rng_seed)


def _raise_task_error(future, task: Task) -> None:
    """Raise the exception of a failed task; the cluster's own failures as ValueErrors that say what to do."""
    from distributed import KilledWorker

    try:
        future.result()
    except ImportError as error:
        raise ValueError(f"a Dask worker cannot run {task.__module__}.{task.__name__} ({error}); every worker "
                         "needs the same TwinLoc installation as this machine") from None
    except KilledWorker:
        raise ValueError(f"a task of {task.__name__} kept stopping its Dask workers (out of memory?); see the memory "
                         "per worker in docs/studies.md") from None
