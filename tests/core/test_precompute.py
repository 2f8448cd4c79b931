"""Work started ahead in workers gives the result computing it later would."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mock_server.core.precompute import Pending, Precomputer
from tests.waiting import wait_for


def test_without_an_executor_work_runs_when_collected():
    calls = []
    pending = Precomputer().start(lambda: calls.append(1) or "done")
    assert calls == []
    assert pending.result() == "done" and calls == [1]


def test_with_an_executor_work_runs_in_a_worker_thread():
    pool = ThreadPoolExecutor(1)
    try:
        pending = Precomputer(pool).start(lambda: threading.current_thread().name)
        pending.future.result(5)  # let it run in the pool
        assert pending.result() != threading.current_thread().name
    finally:
        pool.shutdown()


def test_work_still_queued_is_cancelled_and_done_on_the_spot():
    pool = ThreadPoolExecutor(1)
    gate = threading.Event()
    try:
        blocker = pool.submit(gate.wait, 5)  # the only worker is busy
        pending = Precomputer(pool).start(lambda: threading.current_thread().name)
        # Not started: it must not wait behind the blocker.
        assert pending.result() == threading.current_thread().name
        assert pending.future.cancelled()
    finally:
        gate.set()
        blocker.result(5)
        pool.shutdown()


def test_errors_of_the_work_are_raised_when_collected():
    pool = ThreadPoolExecutor(1)

    def boom() -> None:
        raise ValueError("bad bracket")

    try:
        pending = Precomputer(pool).start(boom)
        with pytest.raises(ValueError, match="bad bracket"):
            pending.future.result(5)
        with pytest.raises(ValueError, match="bad bracket"):
            pending.result()
        with pytest.raises(ValueError):
            Pending(boom).result()
    finally:
        pool.shutdown()


def test_after_shutdown_work_runs_when_collected():
    pool = ThreadPoolExecutor(1)
    pre = Precomputer(pool)
    pre.shutdown()
    pending = pre.start(lambda: 42)
    assert pending.future is None and pending.result() == 42


def test_image_work_in_worker_processes_gives_the_same_bytes():
    """The real pool: a fork-server process renders exactly what the caller would."""
    import asyncio
    import os
    from functools import partial

    from mock_server.core.precompute import process_pool
    from mock_server.images.work import stager_edit

    photo = (Path(__file__).resolve().parents[2] / "fixtures" / "photos" / "exterior.jpg").read_bytes()
    work = partial(stager_edit, photo, "sky-replace", "low", {"skyType": "blue"})
    pre = Precomputer(process_pool(1))
    try:
        pre.warm()
        pid = pre.executor.submit(os.getpid).result(30)
        assert pid != os.getpid()
        ahead = pre.start(work)
        assert ahead.future.result(60) == work()
        assert asyncio.run(pre.run(work)) == work()
    finally:
        pre.shutdown()


def test_workers_end_with_a_killed_server(tmp_path):
    """SIGKILL tells nobody: the workers notice the server is gone, end, and take the fork
    server along (no orphans left behind by a killed `stagemock serve`)."""
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "server.py"
    script.write_text(
        "import os, sys, time\n"
        "from mock_server.core.precompute import Precomputer, process_pool\n"
        "if __name__ == '__main__':  # as multiprocessing requires of a main script\n"
        "    pre = Precomputer(process_pool(1))\n"
        "    pre.warm()\n"
        "    worker = pre.executor.submit(os.getpid).result(30)\n"
        "    server = pre.executor.submit(os.getppid).result(30)\n"
        "    print(worker, server, flush=True)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and proc.pid not in pids
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

        def alive(pid: int) -> bool:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            # a zombie (exited, not yet reaped by init) counts as gone
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().split(")")[-1].split()[0] != "Z"

        try:
            wait_for(lambda: not any(alive(p) for p in pids))
        except AssertionError:
            raise AssertionError("worker or fork server outlived the server: "
                                 f"{[p for p in pids if alive(p)]}") from None
    finally:
        proc.kill()


def test_image_workers_keep_freed_memory_for_reuse():
    """Frame-sized temporaries are reused instead of page-faulted in afresh on every render
    (glibc's mallopt; a no-op elsewhere). The workers set it when they start."""
    import platform

    from mock_server.core import precompute

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert precompute.keep_freed_memory() is True
    pool = precompute.process_pool(1)
    try:
        assert pool._initializer is precompute.start_worker
    finally:
        pool.shutdown()
