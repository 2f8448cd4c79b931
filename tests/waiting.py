"""Polling for what happens on another thread or process in real time (a webhook delivery
over a socket, a browser's next poll, a server process starting): the one place the tests
wait on the wall clock. What the mock does on its own clock is asserted on that clock (the
journal, the deliveries' state and due times), never after a pause."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import subprocess

    import httpx

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 10.0) -> T:
    """``predicate()``'s first truthy value, polled every 20 ms; fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout:g} s")


def answering(url: str, proc: subprocess.Popen[Any] | None = None, timeout: float = 30.0,
              output: Callable[[], str] | None = None, **kwargs: Any) -> httpx.Response:
    """The first answer of ``GET url`` from a server that is starting (``kwargs`` go to
    ``httpx.get``); fails at once, with ``output()``, if ``proc`` exits first."""
    import httpx

    def answer() -> httpx.Response | None:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode} before answering "
                                 f"{url}: {output() if output else ''}")
        try:
            return httpx.get(url, **{"timeout": 2, **kwargs})
        except httpx.TransportError:
            return None

    return wait_for(answer, timeout)
