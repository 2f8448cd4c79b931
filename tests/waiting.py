"""Polling for what happens on another thread or process in real time (a webhook delivery
over a socket, a browser's next poll, a server process starting): the one place the tests
wait on the wall clock. What the mock does on its own clock is asserted on that clock (the
journal, the deliveries' state and due times), never after a pause.

Three forms, one rule (poll, bounded, fail in words): :func:`wait_for` on a test's thread,
with ``pause`` for a loop that must keep pumping while it waits (Playwright's
``page.wait_for_timeout``); :func:`settled` inside a running event loop (the loop keeps
running the work waited for); :func:`answering` for a server that is starting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import subprocess

    import httpx

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition",
             pause: Callable[[float], object] = time.sleep) -> T:
    """``predicate()``'s first truthy value, polled every 20 ms (``pause(0.02)`` between
    polls); fails after ``timeout`` s, saying ``what`` was not met."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        pause(0.02)
    raise AssertionError(f"{what} not met within {timeout:g} s")


async def settled(predicate: Callable[[], T], timeout: float = 5.0,
                  what: str = "condition") -> T:
    """:func:`wait_for` inside a running event loop: ``predicate()``'s first truthy value,
    polled every 5 ms while the loop runs other tasks; fails after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.005)
    raise AssertionError(f"{what} not met within {timeout:g} s")


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
