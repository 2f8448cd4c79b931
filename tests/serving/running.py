"""An ASGI app served by the mock's own protocol (``HttpProtocol``) on 127.0.0.1, in a thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from mock_server.serving import HttpProtocol
from tests.waiting import wait_for


@contextmanager
def running(app: Any, **config: Any) -> Iterator[str]:
    """``app`` on a free port (``config``: more ``uvicorn.Config`` options); yields
    ``host:port``."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(app, http=HttpProtocol, lifespan="on",
                                        log_level="critical", **config))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: srv.started, timeout=10)
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        srv.should_exit = True
        thread.join(10)
