"""Progress reporting and cancellation shared by every long computation.

These primitives live at the top of the package, below every layer, because the
algorithm packages (``uwb``, ``rrt``, ``optim``, ``learn``) must check a cancel token
and report progress, yet may not import ``twinloc.compute`` (which sits above them).
``twinloc.compute.jobs`` re-exports them as the public names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

ProgressFn = Callable[[float, str], None]
"""``progress(fraction, text)``: fraction of the work done in [0, 1] and what is being done."""


class JobCancelled(Exception):
    """Raised inside a computation when its cancel token is set; ends the job."""


class CancelToken:
    """A thread-safe flag a computation checks between chunks of work.

    Examples
    --------
    >>> token = CancelToken()
    >>> token.cancelled
    False
    >>> token.cancel()
    >>> token.raise_if_cancelled()
    Traceback (most recent call last):
    ...
    twinloc.cancellation.JobCancelled: cancelled
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the computation to stop at its next check. Safe from any thread."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`JobCancelled` when cancellation was asked for."""
        if self._event.is_set():
            raise JobCancelled("cancelled")


def report_nothing(fraction: float, text: str) -> None:
    """A progress function for callers that do not want progress."""


def scaled_progress(progress: ProgressFn, start: float, stop: float) -> ProgressFn:
    """A progress function mapping a sub-step's [0, 1] onto [start, stop] of ``progress``.

    Lets a job made of several steps hand each step its own 0-to-1 progress.
    """
    span = stop - start

    def report(fraction: float, text: str) -> None:
        progress(start + span * fraction, text)

    return report
