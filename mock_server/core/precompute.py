"""Deterministic work started early in worker threads and collected when the state machine
needs it.

Rendering a job's output (~20 ms) or merging HDR brackets (~0.5 s) inside a clock tick
would stop the event loop for every other client. The work depends only on its inputs, so
it can start as soon as they are known (a job starts processing, a group is enhanced) and be
collected at the virtual instant it completes: the bytes are the same as computing them at
that moment, only the waiting moves off the loop. If the result is not ready when needed
(the clock jumped ahead), it is computed right there; work still waiting in the pool's queue
is cancelled first so it never waits behind other jobs' renders.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Pending(Generic[T]):
    """One piece of work: started in a worker thread if there is one, else run when asked."""

    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[], T], future: Future[T] | None = None) -> None:
        self.fn = fn
        self.future = future

    def result(self) -> T:
        """The result (exceptions of the work are raised here, as if it ran now)."""
        future = self.future
        if future is None or future.cancel():  # not started yet: do it here, now
            return self.fn()
        try:
            return future.result()
        except CancelledError:  # pragma: no cover - cancelled by a shutdown in between
            return self.fn()

    def cancel(self) -> None:
        if self.future is not None:
            self.future.cancel()


class Precomputer:
    """Starts work in ``executor`` (``None``: everything runs when collected)."""

    def __init__(self, executor: Executor | None = None) -> None:
        self.executor = executor

    def start(self, fn: Callable[[], T]) -> Pending[T]:
        if self.executor is None:
            return Pending(fn)
        try:
            return Pending(fn, self.executor.submit(fn))
        except RuntimeError:  # the executor is shut down: run when collected
            return Pending(fn)

    def shutdown(self) -> None:
        shutdown: Any = getattr(self.executor, "shutdown", None)
        if shutdown is not None:
            shutdown(wait=False, cancel_futures=True)
