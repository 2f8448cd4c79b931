"""The HTTP/1.1 protocol ``stagemock serve`` speaks: bytes in, ASGI calls out.

uvicorn still runs the process (sockets, lifespan, signals, graceful shutdown, the ``date``
header): it takes this class as its ``http`` protocol (``uvicorn.Config(http=HttpProtocol)``,
the constructor uvicorn gives its own protocols). Why not uvicorn's own: its per-request
bookkeeping (an ``asyncio.Event`` per request, the header regexes, the access-log check, two
socket writes per answer) costs as much CPU as the mock's whole request path (measurements:
``bench/RESULTS.md``). This one parses with the same ``httptools`` (llhttp) and writes the
status line, headers and a complete body in one write.

What it keeps of HTTP/1.1: keep-alive (``Connection: close`` and HTTP/1.0 honoured), request
bodies in any framing llhttp accepts (``Content-Length``, chunked) streamed to ``receive``
with read back-pressure, ``Expect: 100-continue`` answered when the app first reads,
pipelined requests answered in order, ``HEAD`` answered without a body, responses without a
``Content-Length`` sent chunked, a client that leaves seen as ``http.disconnect``, an idle
connection closed after uvicorn's ``timeout_keep_alive``, and a malformed request answered
400 and closed. No upgrades (the mock has no WebSocket). Each request's ``send`` is a bound
method of its ``Cycle``, whose ``transport`` is the socket's: that is how a fault drops or
truncates a connection (``mock_server.faults.responses``).
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections import deque
from collections.abc import Iterable
from http import HTTPStatus
from typing import cast

import httptools
from starlette.types import ASGIApp as App
from starlette.types import Message, Scope
from uvicorn.config import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.server import ServerState

log = logging.getLogger("uvicorn.error")
access = logging.getLogger("uvicorn.access")

#: Request body buffered before the socket stops being read (until the app reads it).
HIGH_WATER = 65_536


def _status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


STATUS_LINES = {status: _status_line(status) for status in range(100, 600)}
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: The scope's ``asgi`` entry (the same for every request).
ASGI = {"version": "3.0", "spec_version": "2.3"}
BAD_REQUEST = (b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
               b"content-length: 20\r\nconnection: close\r\n\r\nInvalid HTTP request")


class HttpProtocol(asyncio.Protocol):
    """One client connection (uvicorn builds one per accepted socket)."""

    def __init__(self, config: Config, server_state: ServerState,
                 app_state: dict[str, object] | None = None,
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not config.loaded:
            config.load()
        self.config = config
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
        self.timeout_keep_alive: float = config.timeout_keep_alive
        self.access_log = bool(config.access_log) and access.hasHandlers()
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.scheme = "http"
        self.read_paused = False
        self.write_paused = False
        self._drained: list[asyncio.Future[None]] = []
        self.keep_alive_timer: asyncio.TimerHandle | None = None
        self.cycle: Cycle | None = None  # the one being answered
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
        self.server = _address(transport.get_extra_info("sockname"))
        self.client = _address(transport.get_extra_info("peername"))
        if transport.get_extra_info("sslcontext") is not None:
            self.scheme = "https"

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self._cancel_keep_alive()
        for cycle in (self.cycle, self._parsing, *self.pipeline):
            if cycle is not None:
                cycle.lost()
        self.pipeline.clear()
        self.write_paused = False
        for waiter in self._drained:
            if not waiter.done():
                waiter.set_result(None)
        self._drained.clear()

    def eof_received(self) -> None:
        pass  # the transport closes itself

    def data_received(self, data: bytes) -> None:
        self._cancel_keep_alive()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # the request was dispatched as plain HTTP; nothing here speaks WebSocket
        except httptools.HttpParserError:
            log.warning("Invalid HTTP request received.")
            if self.cycle is None or self.cycle.complete:
                self.transport.write(BAD_REQUEST)
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
            "asgi": ASGI,
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
        cycle = Cycle(self, scope, version != "1.0" and parser.should_keep_alive(),
                      self._expect, self.forwarded_app if self._forwarded else self.app)
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
            self.keep_alive_timer = self.loop.call_later(
                self.timeout_keep_alive, self._idle_timeout)

    def _idle_timeout(self) -> None:
        self.keep_alive_timer = None
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def _cancel_keep_alive(self) -> None:
        if self.keep_alive_timer is not None:
            self.keep_alive_timer.cancel()
            self.keep_alive_timer = None

    def _pause_reading(self) -> None:
        if not self.read_paused and not self.transport.is_closing():
            self.read_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.read_paused and not self.transport.is_closing():
            self.read_paused = False
            self.transport.resume_reading()


class Cycle:
    """One request and its answer: ``receive`` and ``send`` of the ASGI call."""

    __slots__ = ("conn", "transport", "scope", "app", "keep_alive", "expect_continue", "body",
                 "more_body", "delivered", "disconnected", "started", "complete", "_waiter",
                 "_head", "_chunked", "_remaining", "_head_only", "status")

    def __init__(self, conn: HttpProtocol, scope: Scope, keep_alive: bool,
                 expect_continue: bool, app: App) -> None:
        self.conn = conn
        self.app = app
        self.transport = conn.transport  # reached by the faults that drop a connection
        self.scope = scope
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue
        self.body = bytearray()
        self.more_body = True
        self.delivered = False  # the whole body went to the app: receive waits for the end
        self.disconnected = False
        self.started = False
        self.complete = False
        self._waiter: asyncio.Future[None] | None = None
        self._head: list[bytes] | None = None  # status line and headers, not yet written
        self._chunked = False
        self._remaining = 0
        self._head_only = scope["method"] == "HEAD"
        self.status = 0

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def lost(self) -> None:
        if not self.complete:
            self.disconnected = True
        self.wake()

    async def run(self) -> None:
        try:
            await self.app(self.scope, self.receive, self.send)
        except BaseException as exc:  # noqa: BLE001 - answered or closed, then logged
            log.error("Exception in ASGI application\n", exc_info=exc)
            if not self.started:
                await self._internal_error()
            else:
                self.transport.close()
            if not isinstance(exc, Exception):
                raise
        else:
            if not self.started and not self.disconnected:
                log.error("ASGI callable returned without starting response.")
                await self._internal_error()
            elif not self.complete and not self.disconnected:
                log.error("ASGI callable returned without completing response.")
                self.transport.close()

    async def _internal_error(self) -> None:
        self.keep_alive = False
        await self.send({"type": "http.response.start", "status": 500, "headers": [
            (b"content-type", b"text/plain; charset=utf-8")]})
        await self.send({"type": "http.response.body", "body": b"Internal Server Error"})

    async def receive(self) -> Message:
        if self.expect_continue and not self.transport.is_closing():
            self.transport.write(CONTINUE)
            self.expect_continue = False
        while not (self.disconnected or self.complete) and (
            self.delivered or (self.more_body and not self.body)
        ):
            self.conn._resume_reading()
            self._waiter = self.conn.loop.create_future()
            await self._waiter
            self._waiter = None
        if self.disconnected or self.complete:
            return {"type": "http.disconnect"}
        body, self.body = bytes(self.body), bytearray()
        if self.more_body:
            self.conn._resume_reading()
        else:
            self.delivered = True
        return {"type": "http.request", "body": body, "more_body": self.more_body}

    async def send(self, message: Message) -> None:
        if self.conn.write_paused and not self.disconnected:
            await self.conn.drain()
        if self.disconnected:
            return
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"Expected 'http.response.start', but got {kind!r}.")
            self.started = True
            self.expect_continue = False
            self._begin(message["status"], message.get("headers", ()))
            return
        if self.complete:
            raise RuntimeError(f"Unexpected ASGI message {kind!r} after the response completed.")
        if kind != "http.response.body":
            raise RuntimeError(f"Expected 'http.response.body', but got {kind!r}.")
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        out = self._head or []
        self._head = None
        if self._head_only:
            pass
        elif self._chunked:
            if body:
                out += (b"%x\r\n" % len(body), body, b"\r\n")
            if not more:
                out.append(b"0\r\n\r\n")
        else:
            if len(body) > self._remaining:
                raise RuntimeError("Response content longer than Content-Length")
            self._remaining -= len(body)
            if body:
                out.append(body)
        if out:
            self.transport.write(b"".join(out) if len(out) > 1 else out[0])
        if not more:
            if self._remaining and not self._head_only:
                raise RuntimeError("Response content shorter than Content-Length")
            self.complete = True
            self.wake()
            self.conn.answered(self)

    def _begin(self, status: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        """The status line and headers, kept to go out with the first body."""
        self.status = status
        conn = self.conn
        out = [STATUS_LINES.get(status) or _status_line(status)]
        for name, value in conn.server_state.default_headers:
            out += (name, b": ", value, b"\r\n")
        length: int | None = None
        close = False
        for name, value in headers:
            if b"\n" in value or b"\r" in value or b"\n" in name or b":" in name:
                raise RuntimeError("Invalid HTTP header.")
            lower = name.lower()
            if lower == b"content-length":
                length = int(value)
            elif lower == b"connection" and b"close" in value.lower():
                close = True
            elif lower == b"transfer-encoding" and value.lower() == b"chunked":
                self._chunked = True
            out += (name, b": ", value, b"\r\n")
        if close:
            self.keep_alive = False
        elif not self.keep_alive:
            out.append(b"connection: close\r\n")
        if length is not None and not self._chunked:
            self._remaining = length
        elif not self._chunked and not self._head_only and status not in (204, 304):
            self._chunked = True
            out.append(b"transfer-encoding: chunked\r\n")
        out.append(b"\r\n")
        self._head = out
        if conn.access_log:
            access.info('%s - "%s %s HTTP/%s" %d', _client(self.scope), self.scope["method"],
                        _path_query(self.scope), self.scope["http_version"], status)


def _address(value: object) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return (str(value[0]), int(value[1]))
    return None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else ""


def _path_query(scope: Scope) -> str:
    path = urllib.parse.quote(scope["root_path"] + scope["path"])
    query = scope["query_string"]
    return f"{path}?{query.decode('ascii')}" if query else path
