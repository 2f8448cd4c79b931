"""Work started ahead in workers gives the result computing it later would."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mock_server.core.precompute import Pending, Precomputer


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
