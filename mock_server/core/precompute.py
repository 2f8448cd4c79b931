"""Image work in worker processes, started early and collected when the state machine needs
it.

Rendering a job's output or merging HDR brackets inside a clock tick would stop the event
loop for every other client, and worker *threads* are no better: the work holds the GIL most
of the time and the event loop waits for it (measured: docs/performance.md). So the work
runs in worker processes. It depends only on its
inputs, so it starts as soon as they are known (a job starts processing, a group is
enhanced) and is collected at the virtual instant it completes: the bytes are the same as
computing them at that moment. If the result is not ready when needed (the clock jumped
ahead), it is computed right there; work still waiting in the queue is cancelled first, so
nothing waits behind other jobs' renders.

Work must be picklable: a module-level function with plain arguments (``functools.partial``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
log = logging.getLogger("stagemock")

#: Imported once by the fork server, so each worker starts with NumPy and Pillow loaded.
PRELOAD = ["mock_server.images.work"]


def process_pool(workers: int = 2) -> ProcessPoolExecutor:
    """Workers forked from a clean fork server (never from the server itself, whose threads
    and sockets must not be copied), or spawned where there is no fork server (Windows);
    they start on first use and end with the server, however it ends. They never import the
    caller's ``__main__`` (see ``_WorkerContext``)."""
    ctx: BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = _WorkerContext()
        ctx.set_forkserver_preload(PRELOAD)
    else:  # pragma: no cover - Windows
        ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=start_worker, initargs=(os.getpid(),)
    )


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """``__main__`` replaced by an empty module while a worker is launched: multiprocessing
    would otherwise have each worker re-run the main script (as ``__mp_main__``), which in a
    user's script without an ``if __name__ == "__main__":`` guard runs the whole script again
    in every worker, servers and requests included. The workers run only this package's
    module-level functions, so they need nothing from ``__main__``."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


if "forkserver" in multiprocessing.get_all_start_methods():
    from multiprocessing import popen_forkserver
    from multiprocessing.context import ForkServerContext, ForkServerProcess

    class _WorkerPopen(popen_forkserver.Popen):
        def _launch(self, process_obj: BaseProcess) -> None:
            with _main_hidden():
                super()._launch(process_obj)  # type: ignore[misc]  # private, not in typeshed

    class _WorkerProcess(ForkServerProcess):
        @staticmethod
        def _Popen(process_obj: BaseProcess) -> _WorkerPopen:
            return _WorkerPopen(process_obj)

    class _WorkerContext(ForkServerContext):
        """The fork-server context, whose processes never import the caller's ``__main__``."""

        Process = _WorkerProcess


#: glibc's ``mallopt`` parameters (malloc.h) and the values image work wants.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP_BELOW_BYTES = 128 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Let glibc keep freed blocks up to ``KEEP_BELOW_BYTES`` for reuse instead of returning
    each one to the kernel. A render allocates a dozen frame-sized NumPy temporaries; by
    default each is a fresh ``mmap`` whose every page faults in zeroed, about a third of a
    1024×768 render's time. Only the process's own allocator changes, never a byte of
    output. ``False`` where there is no glibc (musl, macOS): nothing changes there."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, KEEP_BELOW_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, 2 * KEEP_BELOW_BYTES))


def start_worker(server_pid: int) -> None:
    """Each image worker's start: its allocator tuned for frame-sized arrays, and a watch on
    the server process."""
    keep_freed_memory()
    watch_server(server_pid)


def watch_server(server_pid: int, every: float = 0.5) -> None:
    """In each worker: exit once the server process is gone (killed with SIGKILL, nothing
    tells the workers), and take the idle fork server along (it is ours alone)."""

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                parent = os.getppid()
                if parent not in (1, server_pid):
                    with contextlib.suppress(OSError):
                        os.kill(parent, signal.SIGTERM)
                os._exit(0)
            except PermissionError:  # pragma: no cover - the pid was reused by another user
                os._exit(0)

    threading.Thread(target=watch, name="stagemock-watch-server", daemon=True).start()


class Pending(Generic[T]):
    """One piece of work: started in a worker if there is one, else run when asked."""

    __slots__ = ("fn", "future", "owner")

    def __init__(
        self, fn: Callable[[], T], future: Future[T] | None = None,
        owner: Precomputer | None = None,
    ) -> None:
        self.fn = fn
        self.future = future
        self.owner = owner

    def result(self) -> T:
        """The result (exceptions of the work are raised here, as if it ran now)."""
        future = self.future
        if future is None or future.cancel():  # not started yet: do it here, now
            return self._here()
        try:
            return future.result()
        except (CancelledError, BrokenExecutor):  # shut down or a worker died: do it here
            return self._here()

    @property
    def unfinished(self) -> Future[T] | None:
        """The worker's future while the work is still running or queued there."""
        future = self.future
        return future if future is not None and not future.done() else None

    def _here(self) -> T:
        if self.owner is not None:
            self.owner.done_in_caller += 1
        return self.fn()

    def cancel(self) -> None:
        if self.future is not None:
            self.future.cancel()


class _Shutdown(Protocol):
    """``Executor.shutdown``, as ``Precomputer.shutdown`` calls it."""

    def __call__(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


class Precomputer:
    """Starts work in ``executor`` (``None``: everything runs in the caller when needed)."""

    def __init__(self, executor: Executor | None = None) -> None:
        self.executor = executor
        #: Work that ended up running in the caller (the event loop) instead of a worker.
        self.done_in_caller = 0

    def _submit(self, fn: Callable[[], T]) -> Future[T] | None:
        if self.executor is None:
            return None
        try:
            return self.executor.submit(fn)
        except RuntimeError:  # shut down, or broken (BrokenExecutor): run in the caller
            log.warning("image workers unavailable: image work runs in the server process")
            self.executor = None
            return None

    def start(self, fn: Callable[[], T]) -> Pending[T]:
        return Pending(fn, self._submit(fn), self)

    async def run(self, fn: Callable[[], T]) -> T:
        """Do ``fn`` in a worker and wait for it without blocking the event loop."""
        pending = self.start(fn)
        if pending.future is None:
            return pending.result()
        try:
            return await asyncio.wrap_future(pending.future)
        except BrokenExecutor:
            return pending._here()

    def warm(self) -> None:
        """Start the workers now (blocking: call it from a thread). The fork server imports
        NumPy and Pillow once, which would otherwise stall the first submit by ~0.3 s."""
        future = self._submit(int)
        if future is not None:
            try:
                future.result(timeout=60)
            except Exception:  # noqa: BLE001 - a broken pool falls back on first use
                pass

    def shutdown(self) -> None:
        """Stop the workers and release the pool's named semaphores now. They are normally
        unlinked by finalizers at interpreter exit, but ``stagemock serve`` ends on SIGTERM by
        re-raising the signal once the server has stopped (uvicorn does): the process dies
        before any finalizer, and multiprocessing's resource tracker then warns about "leaked
        semaphore objects". Waiting for the workers (queued work is cancelled; a render in
        progress takes milliseconds) and dropping the pool frees its queues and their locks,
        whose finalizers unlink the semaphores right here."""
        executor, self.executor = self.executor, None
        shutdown: _Shutdown | None = getattr(executor, "shutdown", None)
        if shutdown is None:
            return
        shutdown(wait=True, cancel_futures=True)
        del executor, shutdown
        gc.collect()
