"""The proxy's HTTP/1.1 client to its upstream: asyncio streams and httptools' response
parser, a small keep-alive pool, bodies streamed both ways. It does only what a reverse proxy
needs (no redirects, no cookies, no decoding: the bytes are relayed as they come), which
costs a fraction of a general client's bookkeeping per request (docs/proxy.md, bench)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

#: How much of the response is read from the socket at a time.
READ_SIZE = 64 * 1024
#: Body chunks read ahead of the client at most (memory stays a few chunks per exchange).
QUEUED = 8
#: Idle connections kept per upstream.
KEEP_IDLE = 32


class UpstreamError(Exception):
    """The upstream could not be reached, or broke the exchange off."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer (or connect) in time."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def close(self) -> None:
        self.writer.close()


@dataclass
class Response:
    """An upstream's answer: status and raw headers at once, the body as it arrives."""

    status: int
    headers: list[tuple[bytes, bytes]]
    _chunks: asyncio.Queue[bytes | BaseException | None] = field(repr=False)
    _drained: asyncio.Event = field(repr=False)
    _reader: asyncio.Task[None] | None = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        for k, v in self.headers:
            if k.lower() == key:
                return v.decode("latin-1")
        return None

    async def body(self) -> AsyncIterator[bytes]:
        while True:
            item = await self._chunks.get()
            self._drained.set()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def close(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()


class _Parser:
    """httptools callbacks: the status line and headers, then body chunks into a queue."""

    def __init__(self, head: bool) -> None:
        self.head = head
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = asyncio.Event()
        self.complete = False
        self.chunks: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        #: set by the reader of the body: the pump waits while the queue is full
        self.drained = asyncio.Event()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done.set()

    def on_body(self, body: bytes) -> None:
        self.chunks.put_nowait(bytes(body))

    def on_message_complete(self) -> None:
        self.complete = True


class Upstream:
    """Requests to one origin (``http(s)://host:port``)."""

    def __init__(self, origin: str, timeout: float, connect_timeout: float = 10.0) -> None:
        parts = urlsplit(origin)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.tls else 80)
        self.netloc = parts.netloc
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self._idle: list[_Connection] = []
        self._context = ssl.create_default_context() if self.tls else None

    async def _connect(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()
            if not conn.writer.is_closing() and not conn.reader.at_eof():
                return conn
            conn.close()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=self._context,
                                        limit=READ_SIZE),
                self.connect_timeout)
        except TimeoutError:
            raise UpstreamTimeout(f"no connection within {self.connect_timeout:g} s") from None
        except OSError as exc:
            raise UpstreamError(f"{type(exc).__name__}: {exc}") from None
        return _Connection(reader, writer)

    def _release(self, conn: _Connection, reusable: bool) -> None:
        if reusable and len(self._idle) < KEEP_IDLE and not conn.writer.is_closing():
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
        response's headers are in."""
        conn = await self._connect()
        try:
            return await self._exchange(conn, method, target, headers, body)
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
        writer = conn.writer
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if body is not None:
            async for chunk in body:
                if chunked:
                    writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                else:
                    writer.write(chunk)
                await writer.drain()
            if chunked:
                writer.write(b"0\r\n\r\n")
        await writer.drain()
        parser = _Parser(head=method == "HEAD")
        http = httptools.HttpResponseParser(parser)
        reader = conn.reader
        while not parser.headers_done.is_set():
            data = await self._read(reader)
            if not data:
                raise UpstreamError("the upstream closed the connection without an answer")
            try:
                http.feed_data(data)
            except httptools.HttpParserError as exc:
                raise UpstreamError(f"the upstream's answer is not HTTP/1.1: {exc}") from None
            if parser.headers_done.is_set() and http.get_status_code() < 200:
                # 1xx (100 Continue): the real answer follows on the same connection
                parser = _Parser(head=method == "HEAD")
                http = httptools.HttpResponseParser(parser)
        status = http.get_status_code()
        response = Response(status, parser.headers, parser.chunks, parser.drained)
        no_body = parser.head or status in (204, 304)
        response._reader = asyncio.get_running_loop().create_task(
            self._pump(conn, http, parser, no_body))
        return response

    async def _read(self, reader: asyncio.StreamReader) -> bytes:
        try:
            return await asyncio.wait_for(reader.read(READ_SIZE), self.timeout)
        except TimeoutError:
            raise UpstreamTimeout(f"no answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise UpstreamError(f"{type(exc).__name__}: {exc}") from None

    async def _pump(self, conn: _Connection, http: httptools.HttpResponseParser,
                    parser: _Parser, no_body: bool) -> None:
        """Read the rest of the body into the queue; the connection goes back to the pool
        when the message ended cleanly and both sides allow keep-alive."""
        reusable = False
        try:
            if no_body:
                parser.complete = True
                reusable = False  # a HEAD's Content-Length announces a body that never comes
            while not parser.complete:
                data = await self._read(conn.reader)
                if not data:
                    if _ends_at_close(parser):
                        parser.complete = True
                        break
                    raise UpstreamError("the upstream closed the connection mid-body")
                http.feed_data(data)
                while parser.chunks.qsize() > QUEUED:  # the client reads slower: wait
                    parser.drained.clear()
                    await parser.drained.wait()
            reusable = reusable or (not no_body and http.should_keep_alive())
            parser.chunks.put_nowait(None)
        except asyncio.CancelledError:
            conn.close()
            raise
        except (UpstreamError, httptools.HttpParserError) as exc:
            parser.chunks.put_nowait(exc if isinstance(exc, UpstreamError)
                                     else UpstreamError(str(exc)))
            conn.close()
            return
        self._release(conn, reusable)


def _ends_at_close(parser: _Parser) -> bool:
    """A body with neither a length nor chunking ends when the connection does."""
    names = {k.lower() for k, _ in parser.headers}
    return b"content-length" not in names and b"transfer-encoding" not in names
