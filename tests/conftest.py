"""Shared fixtures of the project's own tests. The server fixtures come from the shipped
pytest plugin (``mock_server.pytest_plugin``), so the tests exercise what integrators use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi"


@pytest.fixture
def http(stagemock_server) -> Iterator[httpx.Client]:
    """A client at the server's root URL."""
    with httpx.Client(base_url=stagemock_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def sp(stagepro_mock) -> Iterator[httpx.Client]:
    """A client authenticated with this test's own sk_test_ key, at the StagePro base URL."""
    with stagepro_mock.client() as client:
        yield client


@pytest.fixture
def sa(stagerai_mock) -> Iterator[httpx.Client]:
    """A client authenticated with this test's own stager_test_ key."""
    with stagerai_mock.client() as client:
        yield client


@pytest.fixture
def gated_renders(stagemock_server):
    """Image workers that hold every piece of work until the test opens the gate."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    gate = threading.Event()

    class Gated(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            return super().submit(lambda: (gate.wait(30), fn(*args, **kwargs))[1])

    pre = stagemock_server.context.precompute
    saved, pre.executor = pre.executor, Gated(2)
    try:
        yield gate
    finally:
        gate.set()
        pre.executor.shutdown()
        pre.executor = saved
