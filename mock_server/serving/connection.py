"""One client connection: llhttp's callbacks build each request's scope and ``Cycle``;
answered requests hand the connection to the next one (pipelined) or to the keep-alive timer."""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections import deque
from typing import cast

import httptools
from starlette.types import ASGIApp as App
from starlette.types import Scope
from uvicorn.config import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.utils import get_local_addr, get_remote_addr
from uvicorn.server import ServerState

from .cycle import STATUS_LINES, Cycle, access

log = logging.getLogger("uvicorn.error")

#: Request body buffered before the socket stops being read (until the app reads it).
HIGH_WATER = 65_536
#: The scope's ``asgi`` entry, by the app's ASGI version (uvicorn wraps an ASGI 2 app and
#: says "2.0"); one dict per version, shared by every request.
ASGI = {version: {"version": version, "spec_version": "2.3"} for version in ("2.0", "3.0")}
#: uvicorn's answer to a request llhttp refuses, word for word (its ``send_400_response``).
INVALID = "Invalid HTTP request received."
BAD_REQUEST_HEADERS = (b"content-type: text/plain; charset=utf-8\r\ncontent-length: "
                       + str(len(INVALID)).encode() + b"\r\nconnection: close\r\n\r\n"
                       + INVALID.encode())
#: uvicorn's answer past ``limit_concurrency``: a 503 that closes the connection.
SERVICE_UNAVAILABLE = cast(App, service_unavailable)
NO_WEBSOCKETS = ("No supported WebSocket library detected. Please use \"pip install "
                 "'uvicorn[standard]'\", or install 'websockets' or 'wsproto' manually.")


class HttpProtocol(asyncio.Protocol):
    """One client connection (uvicorn builds one per accepted socket)."""

    def __init__(self, config: Config, server_state: ServerState,
                 app_state: dict[str, object] | None = None,
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not config.loaded:
            config.load()
        #: uvicorn wraps the app in ``ProxyHeadersMiddleware`` (``proxy_headers``, on by
        #: default), which reads every request's headers; it can only change a request that
        #: carries ``X-Forwarded-For`` or ``X-Forwarded-Proto``, so only those go through it.
        loaded = config.loaded_app
        self.forwarded_app = cast(App, loaded)
        self.app = cast(App, loaded.app if isinstance(loaded, ProxyHeadersMiddleware) else loaded)
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        # uvicorn's registry of open connections (its shutdown calls ``shutdown`` on each)
        self.connections = cast(set[asyncio.Protocol], server_state.connections)
        self.tasks = server_state.tasks
        self.app_state = app_state if app_state is not None else {}
        self.root_path: str = config.root_path
        self.asgi = ASGI[config.asgi_version]
        self.timeout_keep_alive: float = config.timeout_keep_alive
        #: uvicorn's ``--limit-concurrency``: past it, a request is answered 503 (as uvicorn
        #: counts: open connections or running requests, server-wide)
        self.limit_concurrency: int | None = config.limit_concurrency
        #: only to word the warning about an upgrade request, as uvicorn does: this class
        #: never upgrades (the mock has no WebSocket)
        self.ws_protocol_class = config.ws_protocol_class
        self.access_log = bool(config.access_log) and access.hasHandlers()
        self.parser = httptools.HttpRequestParser(self)
        # As uvicorn: bytes after a ``Connection: close`` request do not make llhttp refuse the
        # whole read (the request before them is answered; the rest is never parsed).
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.server: tuple[str, int | None] | None = None
        self.client: tuple[str, int] | None = None
        self.scheme = "http"
        self.read_paused = False
        self.write_paused = False
        self._drained: list[asyncio.Future[None]] = []
        #: uvicorn's name for it (its protocol tests read it)
        self.timeout_keep_alive_task: asyncio.TimerHandle | None = None
        self.cycle: Cycle | None = None  # the one being answered
        self.scope: Scope | None = None  # the last request's, as uvicorn keeps it
        self.pipeline: deque[Cycle] = deque()  # parsed, waiting for the one before
        # the request being parsed
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._forwarded = False
        self._expect = False
        self._parsing: Cycle | None = None

    # --- the connection -----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connections.add(self)
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        self.server = get_local_addr(self.transport)
        self.client = get_remote_addr(self.transport)
        if transport.get_extra_info("sslcontext") is not None:
            self.scheme = "https"

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self._cancel_keep_alive()
        for cycle in (self.cycle, self._parsing, *self.pipeline):
            if cycle is not None:
                cycle.lost()
        self.pipeline.clear()
        self.resume_writing()  # a send waiting for the buffer to drain returns (and sees the loss)
        # The parser points at this protocol (its callbacks) and a cycle points back at it
        # (``Cycle.conn``): drop this side of both, as uvicorn drops its parser, so a closed
        # connection (and the request bodies and headers it holds) is freed by reference
        # counting at once, not at the next full collection.
        self.parser = None  # type: ignore[assignment]
        self.cycle = self._parsing = self.scope = None

    def eof_received(self) -> None:
        pass  # the transport closes itself

    def data_received(self, data: bytes) -> None:
        self._cancel_keep_alive()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # the request was dispatched as plain HTTP; nothing here speaks WebSocket
            log.warning("Unsupported upgrade request.")
            if self.ws_protocol_class is None:
                log.warning(NO_WEBSOCKETS)
        except httptools.HttpParserError:
            log.warning(INVALID)
            self._bad_request()

    def _bad_request(self) -> None:
        """A 400 (uvicorn's), then close; also for an error found after the headers (a bad
        chunk size, an unknown ``Transfer-Encoding``), when the request is already with the
        app: its answer, not begun yet, is dropped (the app sees ``http.disconnect``). An
        answer already on the wire is cut instead: a 400 inside it would corrupt it."""
        cycle = self.cycle
        if cycle is None or cycle.complete or not cycle.started:
            if cycle is not None:
                cycle.lost()
            out = [STATUS_LINES[400]]
            for name, value in self.server_state.default_headers:
                out += (name, b": ", value, b"\r\n")
            out.append(BAD_REQUEST_HEADERS)
            self.transport.write(b"".join(out))
        self.transport.close()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        for waiter in self._drained:
            if not waiter.done():
                waiter.set_result(None)
        self._drained.clear()

    async def drain(self) -> None:
        waiter = self.loop.create_future()
        self._drained.append(waiter)
        await waiter

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: close when idle, else after the answer in flight."""
        if self.cycle is None or self.cycle.complete:
            self.transport.close()
        else:
            self.cycle.keep_alive = False

    # --- httptools callbacks ------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._forwarded = False
        self._expect = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        value = value.rstrip(b" \t")
        first = name[:1]
        if first == b"x" and name.startswith(b"x-forwarded-"):
            self._forwarded = True
        elif first == b"e" and name == b"expect" and value.lower() == b"100-continue":
            self._expect = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        version = parser.get_http_version()
        url = self._url
        if url[:1] == b"/" and b"#" not in url:  # origin-form, as clients send it
            raw_path, _, query = url.partition(b"?")
        else:  # absolute-form (``GET http://host/path``) or a fragment: llhttp's parser
            parsed = httptools.parse_url(url)
            raw_path, query = parsed.path, parsed.query or b""
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        root = self.root_path
        scope: Scope = {
            "type": "http",
            "asgi": self.asgi,
            "http_version": version,
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "method": parser.get_method().decode("ascii"),
            "root_path": root,
            "path": root + path if root else path,
            "raw_path": root.encode("ascii") + raw_path if root else raw_path,
            "query_string": query,
            "headers": self._headers,
            "state": self.app_state.copy(),
        }
        self.scope = scope
        app = self.forwarded_app if self._forwarded else self.app
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            log.warning("Exceeded concurrency limit.")
            app = SERVICE_UNAVAILABLE
        cycle = Cycle(self, scope, version != "1.0" and parser.should_keep_alive(),
                      self._expect, app)
        self._parsing = cycle
        if self.cycle is None:
            self._start(cycle)
        else:
            self.pipeline.append(cycle)
            self._pause_reading()

    def on_body(self, body: bytes) -> None:
        cycle = self._parsing
        if cycle is None or cycle.complete:
            return
        cycle.body += body
        if len(cycle.body) > HIGH_WATER:
            self._pause_reading()
        cycle.wake()

    def on_message_complete(self) -> None:
        cycle = self._parsing
        self._parsing = None
        if cycle is None:
            return
        cycle.more_body = False
        cycle.wake()

    # --- answering ----------------------------------------------------------------------
    def _start(self, cycle: Cycle) -> None:
        self.cycle = cycle
        task = self.loop.create_task(cycle.run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def answered(self, cycle: Cycle) -> None:
        """``cycle``'s answer is written: the next pipelined request, or wait for one."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        if not cycle.keep_alive:
            self.transport.close()
            return
        self.cycle = None
        self._resume_reading()
        if self.pipeline:
            self._start(self.pipeline.popleft())
        else:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._idle_timeout)

    def _idle_timeout(self) -> None:
        self.timeout_keep_alive_task = None
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def _cancel_keep_alive(self) -> None:
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None

    def _pause_reading(self) -> None:
        if not self.read_paused and not self.transport.is_closing():
            self.read_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.read_paused and not self.transport.is_closing():
            self.read_paused = False
            self.transport.resume_reading()

