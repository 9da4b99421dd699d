"""Studies: many independent tasks over shared data, in-process or on a Dask cluster.

A study maps a module-level task function over items (batches of UE drops, candidate
layouts, anchor counts). :func:`open_runner` picks where the tasks run; the results are the
same everywhere because every task's seed derives from the study seed and the item's index,
never from where or when it ran. See docs/studies.md.
"""

from twinloc.studies.runner import SCHEDULER_CHOICES, Runner, open_runner

__all__ = ["SCHEDULER_CHOICES", "Runner", "open_runner"]
