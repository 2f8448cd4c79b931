"""The proxy's HTTP/1.1 client to its upstream: an asyncio protocol feeding httptools'
response parser, a keep-alive pool, bodies streamed both ways. It does only what a reverse
proxy needs (no redirects, no cookies, no decoding: the bytes are relayed as they come), which
costs a fraction of a general client's bookkeeping per request (docs/proxy.md, bench).

The message framing is llhttp's; what llhttp leaves to its caller is done here: 1xx answers
(100, 103) are consumed, never taken for the final answer, even when they arrive in one read
with it; a HEAD's answer ends with its headers; trailers are kept apart from the headers; the
connection goes back to the pool when llhttp said keep-alive at the headers (asked after the
message ended, llhttp always says no); an idle pooled connection the upstream closed meanwhile
is retried once on a fresh one, for idempotent requests without a body."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import urlsplit

import httptools

from .tls import certificate_problem, client_context

#: Response bytes buffered ahead of the client at most before the socket stops being read.
READ_AHEAD = 256 * 1024
#: Idle connections kept per upstream.
KEEP_IDLE = 32
#: Methods a stale pooled connection may be retried for (RFC 9110 §9.2.2).
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


class UpstreamError(Exception):
    """The upstream could not be reached, or broke the exchange off."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer (or connect) in time."""


class _Stale(UpstreamError):
    """A reused connection ended before one byte of the answer: the upstream had closed it."""


class _Connection(asyncio.Protocol):
    """One upstream connection and the answer being read on it. llhttp's callbacks land here
    (one parser per connection, reused from message to message)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.error: UpstreamError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused = False
        self._reset(head=False)
        self.active = False

    def _reset(self, head: bool) -> None:
        """Ready for the answer to a new request."""
        self.head = head
        self.received = 0
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.trailers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.framed = False  # a Content-Length or chunking: the body does not end at close
        self.chunks: list[bytes] = []
        self.buffered = 0

    # asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if not self.active or self.complete:  # unasked-for bytes: the connection is unusable
            self.keep_alive = False
            self.close()
            return
        self.received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = UpstreamError(f"the upstream's answer is not HTTP/1.1: {exc}")
            self.close()
        if self.buffered > READ_AHEAD and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        self._wake()

    def eof_received(self) -> bool:
        if self.headers_done and not self.complete and not self.framed:
            self.complete = True  # HTTP/1.0 style: the body ends with the connection
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if exc is not None and self.error is None and not self.complete:
            self.error = UpstreamError(f"{type(exc).__name__}: {exc}")
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)
        self._drain = None

    # llhttp's callbacks -------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        (self.trailers if self.headers_done else self.headers).append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            return  # 100 Continue, 103 Early Hints...: the answer follows
        self.status = status
        self.headers_done = True
        # asked now: after the message ended llhttp has reset its flags and always says no
        self.keep_alive = self.parser.should_keep_alive()
        names = {k.lower() for k, _ in self.headers}
        self.framed = (b"content-length" in names or b"transfer-encoding" in names
                       or self.head or status in (204, 304))
        if self.head:
            # llhttp cannot be told the request was a HEAD: it would wait for the body a
            # Content-Length announces. The answer ends here; the next one gets a new parser.
            self.complete = True
            self.parser = httptools.HttpResponseParser(self)

    def on_body(self, body: bytes) -> None:
        if not self.complete:
            self.chunks.append(bytes(body))
            self.buffered += len(body)

    def on_message_complete(self) -> None:
        if self.headers_done:
            self.complete = True

    # used by Upstream and Response --------------------------------------------------------
    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self) -> None:
        """Until something arrives (bytes, the end, an error); UpstreamTimeout past the
        timeout."""
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(self.timeout):
                await self._waiter
        except TimeoutError:
            raise UpstreamTimeout(f"no answer within {self.timeout:g} s") from None
        finally:
            self._waiter = None

    async def drain(self) -> None:
        if self._drain is not None:
            await self._drain
        if self.closed:
            raise self.error or UpstreamError("the upstream closed the connection")

    def take(self) -> list[bytes]:
        chunks, self.chunks, self.buffered = self.chunks, [], 0
        return chunks

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Response:
    """An upstream's answer: status and raw headers at once, the body as it arrives (pulled
    by the reader: at most ``READ_AHEAD`` bytes wait in memory), trailers once it ended."""

    __slots__ = ("status", "headers", "trailers", "ended", "_conn", "_upstream")

    def __init__(self, upstream: Upstream, conn: _Connection) -> None:
        self.status = conn.status
        self.headers = conn.headers
        self.trailers = conn.trailers
        #: True while the chunk just yielded by ``body`` is the last one: the relay sends it
        #: as the end of the answer (one write, not two)
        self.ended = False
        self._conn: _Connection | None = conn
        self._upstream = upstream

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        for k, v in self.headers:
            if k.lower() == key:
                return v.decode("latin-1")
        return None

    async def body(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        while True:
            chunks = conn.take()
            last = len(chunks) - 1 if conn.complete else -1
            for i, chunk in enumerate(chunks):
                self.ended = i == last
                yield chunk
            if conn.complete:
                self.ended = True
                self._conn = None
                self.trailers = conn.trailers
                self._upstream._release(conn)
                return
            if conn.error is not None or conn.closed:
                self._conn = None
                conn.close()
                raise conn.error or UpstreamError("the upstream closed the connection mid-body")
            try:
                await conn.wait()
            except BaseException:
                self._conn = None
                conn.close()
                raise

    async def close(self) -> None:
        """Give up on the rest of the body (the connection is not reused)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Upstream:
    """Requests to one origin (``http(s)://host:port``); ``ca_bundle``: a PEM file of the
    authorities an ``https`` upstream's certificate is verified against (default: the
    system's)."""

    def __init__(self, origin: str, timeout: float, connect_timeout: float = 10.0,
                 ca_bundle: str | None = None) -> None:
        parts = urlsplit(origin)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.tls else 80)
        self.netloc = parts.netloc
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self._idle: list[_Connection] = []
        self._context: ssl.SSLContext | None = client_context(ca_bundle) if self.tls else None
        #: Connections opened so far (the bench and the tests read it).
        self.opened = 0

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await loop.create_connection(
                    lambda: _Connection(self.timeout), self.host, self.port, ssl=self._context)
        except TimeoutError:
            raise UpstreamTimeout(f"no connection within {self.connect_timeout:g} s") from None
        except ssl.SSLCertVerificationError as exc:
            raise UpstreamError(certificate_problem(exc, self.host)) from None
        except OSError as exc:
            raise UpstreamError(f"{type(exc).__name__}: {exc}") from None
        self.opened += 1
        return conn

    def _pooled(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and conn.transport is not None \
                    and not conn.transport.is_closing():
                return conn
            conn.close()
        return None

    def _release(self, conn: _Connection) -> None:
        conn.active = False
        if conn.keep_alive and not conn.closed and len(self._idle) < KEEP_IDLE:
            self._idle.append(conn)
        else:
            conn.close()

    async def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()

    async def send(self, method: str, target: str, headers: list[tuple[str, str]],
                   body: AsyncIterator[bytes] | None) -> Response:
        """Send a request (``headers`` as the client sent them, hop-by-hop ones removed;
        the body streamed, chunked unless a ``Content-Length`` is given) and return once the
        final response's headers are in."""
        pooled = self._pooled()
        conn = pooled or await self._connect()
        try:
            return await self._exchange(conn, method, target, headers, body)
        except _Stale:
            conn.close()
            if pooled is None or body is not None or method not in IDEMPOTENT:
                raise UpstreamError("the upstream closed the connection without an answer") \
                    from None
        except BaseException:
            conn.close()
            raise
        conn = await self._connect()  # once, on a fresh connection
        try:
            return await self._exchange(conn, method, target, headers, None)
        except _Stale:
            conn.close()
            raise UpstreamError("the upstream closed the connection without an answer") \
                from None
        except BaseException:
            conn.close()
            raise

    async def _exchange(self, conn: _Connection, method: str, target: str,
                        headers: list[tuple[str, str]],
                        body: AsyncIterator[bytes] | None) -> Response:
        lines = [f"{method} {target} HTTP/1.1", f"host: {self.netloc}"]
        sized = any(k.lower() == "content-length" for k, _ in headers)
        lines += [f"{k}: {v}" for k, v in headers]
        chunked = body is not None and not sized
        if chunked:
            lines.append("transfer-encoding: chunked")
        conn._reset(head=method == "HEAD")
        conn.active = True
        transport = conn.transport
        assert transport is not None
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if body is not None:
            async for chunk in body:
                if conn.closed:
                    break
                if chunked:
                    transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                else:
                    transport.write(chunk)
                await conn.drain()
            if chunked and not conn.closed:
                transport.write(b"0\r\n\r\n")
        while not conn.headers_done:
            if conn.closed and conn.received == 0:
                raise _Stale()
            if conn.error is not None:
                raise conn.error
            if conn.closed:
                raise UpstreamError("the upstream closed the connection without an answer")
            await conn.wait()
        return Response(self, conn)
