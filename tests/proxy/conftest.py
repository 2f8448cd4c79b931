"""Servers for the proxy's tests: any ASGI app on a real socket, the proxy in front of an
upstream, and the small deviating upstream (``deviating.py``)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from mock_server.proxy.app import Proxy
from tests.waiting import wait_for


async def lifespan(receive: Any, send: Any) -> None:
    """The ASGI lifespan of a test upstream that needs no start-up nor shutdown work."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return


@contextmanager
def serving(app: Any, http: Any = "httptools") -> Iterator[str]:
    """``app`` on 127.0.0.1:<free port> in a thread (stock uvicorn's protocol unless ``http``
    says otherwise); yields its origin."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="on",
                                           http=http))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive())
    assert server.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def proxying(api: str, upstream: str, record: Path | None = None,
             timeout: float = 30.0, http: Any = "httptools") -> Iterator[tuple[str, Proxy]]:
    """A proxy in front of ``upstream``; yields (its origin, the proxy)."""
    proxy = Proxy(api, upstream, record=record, timeout=timeout)
    with serving(proxy, http) as origin:
        yield origin, proxy


@pytest.fixture
def mock_upstream(stagemock_server: Any) -> Iterator[Any]:
    """The plugin's mock as the upstream, as fresh afterwards."""
    yield stagemock_server
    stagemock_server.reset()
