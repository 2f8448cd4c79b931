"""Run the mock in-process on a real socket (a background thread with its own event loop).
Used by the pytest plugin, the contract suite and the project's own tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import NotRequired, TypedDict, Unpack

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from .app import create_app
from .context import AppContext
from .control import ControlPlane, RequestOptions
from .http import read_body
from .jsontypes import Json, JsonObject
from .serving import HttpProtocol
from .settings import Settings


def listening_socket(host: str, port: int | None) -> socket.socket:
    """A socket bound to ``host:port`` (``port`` 0 or ``None``: a free one). A port already in
    use raises ``OSError`` (``errno.EADDRINUSE``) here, before any server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port or 0))
    except OSError:
        sock.close()
        raise
    return sock


class RunningServer(ControlPlane):
    """A mock listening on ``settings.host``:``port`` until ``stop()``; ``port`` 0 or
    ``None`` (the default): a free port. Binding happens here: a port already in use raises
    ``OSError`` from the constructor.

    It is its own control-plane client: every ``ControlPlane`` method (``reset``,
    ``advance``, ``journal``, ``fault``, ``wait_for_webhook``...) is there, written once in
    ``mock_server/control.py``; ``admin(method, path)`` is any other ``/__mock/`` call."""

    def __init__(
        self,
        settings: Settings | None = None,
        app_wrapper: Callable[[Starlette], ASGIApp] | None = None,
        port: int | None = None,
    ) -> None:
        settings = settings or Settings(deterministic=True)
        self.sock = listening_socket(settings.host, port)
        self.port = self.sock.getsockname()[1]
        self.settings = replace(settings, port=self.port)
        self.app = create_app(self.settings)
        served = app_wrapper(self.app) if app_wrapper else self.app
        super().__init__(f"http://{self.settings.host}:{self.port}", self.app.state.admin_token)
        config = uvicorn.Config(
            served, log_level="error", access_log=False, lifespan="on",
            http=HttpProtocol, loop="auto",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
            name=f"stagemock-{self.port}",
        )

    @property
    def context(self) -> AppContext:
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
        self.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> RunningServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def control(self) -> ControlPlane:
        """The control-plane client: the server itself."""
        return self

    def admin(self, method: str, path: str,
              **kwargs: Unpack[RequestOptions]) -> httpx.Response:
        """Any ``/__mock/`` call (``path`` relative to it), answered as it came."""
        return self.request(method, path, **kwargs)


class Received(TypedDict):
    """One request a ``WebhookReceiver`` answered: its headers (lower-case names), raw body,
    the body as JSON (``None``: not JSON) and the status answered; ``on_request`` also gets
    ``challenge`` (a verification challenge?) and ``path``."""

    headers: dict[str, str]
    body: bytes
    json: Json
    status: NotRequired[int]
    challenge: NotRequired[bool]
    path: NotRequired[str]


class WebhookReceiver:
    """A real HTTP webhook receiver on 127.0.0.1:<port> for tests: answers the verification
    challenge, records every delivery (headers, raw body, JSON), answers the statuses you
    queue with ``respond_with([500, 500, 200])`` (then 200), and can be stopped and started
    again on the same port to simulate an outage. ``port`` 0 or ``None`` (the default): a
    free port; a port already in use raises ``OSError`` from ``start()``. ``on_request``
    (called with each request's record, challenges included, from the receiver's thread)
    serves ``stagemock webhook-receiver``."""

    def __init__(self, port: int | None = None,
                 on_request: Callable[[Received], None] | None = None) -> None:
        import json as _json
        import threading as _threading

        self._json = _json
        self.lock = _threading.Lock()
        self.deliveries: list[Received] = []
        self.challenges: list[Received] = []
        self.statuses: list[int] = []
        self.echo_challenge = True
        self.on_request = on_request
        if port:
            self.port = port
        else:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            data = self._json.loads(body)
        except ValueError:
            data = None
        status, reply = 200, b"{}"
        with self.lock:
            record: Received
            if isinstance(data, dict) and data.get("type") == "webhook.verification":
                record = {"headers": headers, "body": body, "json": data}
                self.challenges.append(record)
                if self.echo_challenge:
                    reply = self._json.dumps({"challenge": data["challenge"]}).encode()
                else:
                    reply = b'{"nope": true}'
                record = {**record, "status": status, "challenge": True}
            else:
                status = self.statuses.pop(0) if self.statuses else 200
                record = {"headers": headers, "body": body, "json": data, "status": status}
                self.deliveries.append(record)
                record = {**record, "challenge": False}
        if self.on_request is not None:
            self.on_request({**record, "path": scope["path"]})
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": reply})

    def start(self) -> WebhookReceiver:
        # Bound here, not by uvicorn: a port in use is an OSError now, not a thread's exit.
        self._sock = listening_socket("127.0.0.1", self.port)
        config = uvicorn.Config(self._app, log_level="error", access_log=False,
                                lifespan="off", interface="asgi3")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True,
            name=f"stagemock-webhooks-{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("webhook receiver did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def respond_with(self, statuses: list[int]) -> None:
        with self.lock:
            self.statuses = list(statuses)

    @property
    def events(self) -> list[JsonObject]:
        with self.lock:
            return [d["json"] for d in self.deliveries if d["status"] < 300]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait (bounded) until ``count`` deliveries arrived (any status); return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.deliveries) >= count:
                    return list(self.deliveries)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} deliveries, got {len(self.deliveries)}")
