"""Run the mock in-process on a real socket (a background thread with its own event loop).
Used by the pytest plugin, the contract suite and the project's own tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import uvicorn

from .app import create_app
from .settings import Settings


class RunningServer:
    """A mock listening on 127.0.0.1:<free port> until ``stop()``."""

    def __init__(
        self, settings: Settings | None = None, app_wrapper: Callable[[Any], Any] | None = None
    ) -> None:
        settings = settings or Settings(deterministic=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((settings.host, 0))
        self.port = self.sock.getsockname()[1]
        self.settings = replace(settings, port=self.port)
        self.app = create_app(self.settings)
        served = app_wrapper(self.app) if app_wrapper else self.app
        self.url = f"http://{self.settings.host}:{self.port}"
        config = uvicorn.Config(
            served, log_level="error", access_log=False, lifespan="on",
            http="httptools", loop="auto",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
            name=f"stagemock-{self.port}",
        )

    @property
    def context(self) -> Any:
        return self.app.state.ctx

    def start(self, timeout: float = 15.0) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("stagemock did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> RunningServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # control plane helpers --------------------------------------------------------------
    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}/__mock/{path.lstrip('/')}", timeout=30, **kwargs)

    def reset(self, api_key: str | None = None) -> None:
        body = {"api_key": api_key} if api_key else None
        self.admin("POST", "reset", json=body).raise_for_status()

    def advance(self, seconds: float) -> dict[str, Any]:
        r = self.admin("POST", "clock/advance", json={"seconds": seconds})
        r.raise_for_status()
        return r.json()

    def journal(self, api_key: str | None = None, **params: Any) -> list[dict[str, Any]]:
        if api_key:
            params["api_key"] = api_key
        r = self.admin("GET", "journal", params=params)
        r.raise_for_status()
        return r.json()["entries"]
