"""One request and its answer (``Cycle``): the ASGI ``receive`` and ``send`` of one call,
the status line and headers written with the first body, the access log line."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, cast

from starlette.types import ASGIApp as App
from starlette.types import Message, Scope
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from .hook import EXTENSION

if TYPE_CHECKING:
    from uvicorn._types import WWWScope

    from .connection import HttpProtocol

log = logging.getLogger("uvicorn.error")
access = logging.getLogger("uvicorn.access")


def _status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


STATUS_LINES = {status: _status_line(status) for status in range(100, 600)}
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: uvicorn's checks of a response header (its ``httptools_impl``): a name is a token (no
#: separator, space or control byte), a value holds no control byte but tab.
BAD_NAME = re.compile(b'[\x00-\x1f\x7f()<>@,;:\\[\\]={} \t\\\\"]')
BAD_VALUE = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")
#: Names that passed ``BAD_NAME``: an app sends the same few names again and again, so each
#: is checked once (bounded, so an app inventing names cannot grow it without end).
GOOD_NAMES: set[bytes] = set()
GOOD_NAMES_MAX = 4096


class Cycle:
    """One request and its answer: ``receive`` and ``send`` of the ASGI call."""

    __slots__ = ("conn", "transport", "scope", "app", "keep_alive", "expect_continue", "body",
                 "more_body", "delivered", "disconnected", "started", "complete", "_waiter",
                 "_head", "_chunked", "_remaining", "_head_only", "_sent", "_cut")

    def __init__(self, conn: HttpProtocol, scope: Scope, keep_alive: bool,
                 expect_continue: bool, app: App) -> None:
        self.conn = conn
        self.app = app
        self.transport = conn.transport
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
        self._sent = 0  # body bytes written
        self._cut: int | None = None  # ``truncate``'s length

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def lost(self) -> None:
        if not self.complete:
            self.disconnected = True
        self.wake()

    # --- the connection hook (``hook.ConnectionHook``) ------------------------------------
    def abort(self) -> None:
        """Drop the connection now, writing nothing more."""
        self.disconnected = True
        self.transport.abort()

    def truncate(self, length: int) -> None:
        """End the body after ``length`` bytes and close the connection (now, if the answer
        has started and they are written already)."""
        self._cut = length
        if self.started and self._sent >= length:
            self._close_cut()

    def _close_cut(self) -> None:
        if self._head is not None:  # the status line and headers are still unwritten
            self.transport.write(b"".join(self._head))
            self._head = None
        self.disconnected = True
        self.transport.close()  # what is buffered goes out first

    async def run(self) -> None:
        # The request's connection hook (``hook``) is this cycle, in the scope while the app
        # runs: taken out when it ends, so the two are freed by reference counting.
        scope = self.scope
        scope["extensions"] = {EXTENSION: self}
        try:
            result = await self.app(  # type: ignore[func-returns-value]  # checked below
                self.scope, self.receive, self.send)
        except BaseException as exc:  # noqa: BLE001 - answered or closed, then logged
            log.error("Exception in ASGI application\n", exc_info=exc)
            if not self.started:
                await self._internal_error()
            else:
                self.transport.close()
            if not isinstance(exc, Exception):
                raise
        else:
            if result is not None:  # as uvicorn: a broken app, whatever it sent
                log.error("ASGI callable should return None, but returned '%s'.", result)
                self.transport.close()
            elif not self.started and not self.disconnected:
                log.error("ASGI callable returned without starting response.")
                await self._internal_error()
            elif not self.complete and not self.disconnected:
                log.error("ASGI callable returned without completing response.")
                self.transport.close()
        finally:
            scope.pop("extensions", None)

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
        cut = self._cut
        if cut is not None and len(body) > cut - self._sent:
            body, more = body[: cut - self._sent], True
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
        self._sent += len(body)
        if cut is not None and self._sent >= cut:
            self._close_cut()
            return
        if not more:
            if self._remaining and not self._head_only:
                raise RuntimeError("Response content shorter than Content-Length")
            self.complete = True
            self.wake()
            self.conn.answered(self)

    def _begin(self, status: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        """The status line and headers, kept to go out with the first body."""
        conn = self.conn
        out = [STATUS_LINES.get(status) or _status_line(status)]
        for name, value in conn.server_state.default_headers:
            out += (name, b": ", value, b"\r\n")
        length: int | None = None
        close = False
        for name, value in headers:
            if name not in GOOD_NAMES:
                if BAD_NAME.search(name):
                    raise RuntimeError("Invalid HTTP header name.")
                if len(GOOD_NAMES) < GOOD_NAMES_MAX:
                    GOOD_NAMES.add(name)
            if BAD_VALUE.search(value):
                raise RuntimeError("Invalid HTTP header value.")
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
            # uvicorn's own access-log line
            scope = cast("WWWScope", self.scope)
            access.info('%s - "%s %s HTTP/%s" %d', get_client_addr(scope),
                        self.scope["method"], get_path_with_query_string(scope),
                        self.scope["http_version"], status)
