"""Serving a twin on a real loopback socket: :func:`running_twin` for tests (uvicorn on a
thread, a free port), ``python -m tests.twins`` by hand."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from tests.twins import stagepro, stagerai
from tests.twins.common import Clock, wall_clock
from tests.waiting import wait_for

APIS = ("stagepro", "stagerai")


def build(api: str, breaking: bool = False, job_seconds: float = 1.0,
          clock: Clock = wall_clock) -> Starlette:
    """The ASGI app of the twin of ``api`` ("stagepro" or "stagerai")."""
    if api == "stagepro":
        return stagepro.create_app(breaking, job_seconds, clock)
    if api == "stagerai":
        return stagerai.create_app(breaking, job_seconds, clock)
    raise ValueError(f"api must be one of {', '.join(APIS)}, not {api!r}")


def base_path(api: str) -> str:
    """Where the API lives under the server's root: StagePro's reference gives /api/v1;
    Stager AI's base URL is the root (its paths start with /api/)."""
    return "/api/v1" if api == "stagepro" else ""


@contextmanager
def running_twin(api: str, breaking: bool = False, job_seconds: float = 1.0,
                 clock: Clock = wall_clock) -> Iterator[str]:
    """Serve the twin of ``api`` on 127.0.0.1 at a free port; yields its API base URL
    (``http://127.0.0.1:PORT/api/v1`` for StagePro, ``http://127.0.0.1:PORT`` for Stager AI)
    and stops the server on exit."""
    app = build(api, breaking, job_seconds, clock)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           loop="asyncio"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                              name=f"twin-{api}", daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), 10, f"the {api} twin starting")
        if not server.started:
            raise RuntimeError(f"the {api} twin did not start")
        yield f"http://127.0.0.1:{port}{base_path(api)}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
