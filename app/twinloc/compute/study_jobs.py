"""Jobs whose work is a study: the runner is opened on the job's thread, for that run only.

Starting a LocalCluster takes seconds and must not happen on the GUI thread; a runner also
must not outlive the run that uses it (its worker processes hold memory). So the job opens
the runner itself, tells the caller the dashboard's address, runs, and closes it.
"""

from __future__ import annotations

from collections.abc import Callable

from twinloc.cancellation import CancelToken, ProgressFn
from twinloc.compute.jobs import Job
from twinloc.geometry.cache import prepare_study_worker
from twinloc.studies import Runner, open_runner


def on_scheduler(job_for: Callable[[Runner | None], Job], scheduler: str, show_dashboard: Callable[[str], None]) -> Job:
    """The job ``job_for(runner)`` run on a runner for ``scheduler`` opened when the job starts.

    Parameters
    ----------
    job_for : ``job_for(runner) -> Job``; ``job_for(None)`` gives the key (the result does not
        depend on the runner).
    scheduler : "none", "local" or a scheduler address (see :data:`twinloc.studies.SCHEDULER_CHOICES`).
    show_dashboard : called on the job's thread with the Dask dashboard's address once the
        runner is open ("" in-process); a GUI connects it to a queued signal.
    """
    keyed = job_for(None)

    def run(progress: ProgressFn, cancel: CancelToken):
        if scheduler != "none":
            progress(0.0, "Starting the Dask workers")
        with open_runner(scheduler, worker_setup=prepare_study_worker) as runner:
            show_dashboard(runner.dashboard_link or "")
            return job_for(runner).function(progress, cancel)

    return Job(name=keyed.name, function=run, key=keyed.key)
