"""Awkward but legal upstreams, written byte by byte: a raw asyncio server on 127.0.0.1 (plain
or TLS) in a thread of its own. Each request's path picks a canned answer (``ANSWERS``); the
server counts the connections it accepted, so keep-alive can be proven from the outside."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: The answers, by request path: the bytes written (each item one write), then what the
#: connection does next ("keep", "close", "stall": stop writing and keep it open).
CHUNKED_BODY = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
GZIPPED = gzip.compress(b"hello world", mtime=0)
ANSWERS: dict[str, tuple[list[bytes], str]] = {
    "/plain": ([b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\n"
                b"hello"], "keep"),
    "/chunked": ([b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-kind: chunked\r\n\r\n"
                  + CHUNKED_BODY], "keep"),
    "/gzip": ([b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-type: text/plain\r\n"
               b"content-length: %d\r\n\r\n" % len(GZIPPED) + GZIPPED], "keep"),
    "/close": ([b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n\r\nbye"],
               "close"),
    "/http10": ([b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\n", b"read to ",
                 b"the end"], "close"),
    "/not-modified": ([b'HTTP/1.1 304 Not Modified\r\netag: "v1"\r\ncontent-length: 1234'
                       b"\r\n\r\n"], "keep"),
    "/no-content": ([b"HTTP/1.1 204 No Content\r\ncontent-length: 7\r\nx-n: 1\r\n\r\n"],
                    "keep"),
    "/continue-one-read": ([b"HTTP/1.1 100 Continue\r\nx-interim: 1\r\n\r\n"
                            b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\nx-final: 1\r\n\r\n"
                            b"ok"], "keep"),
    "/continue-apart": ([b"HTTP/1.1 100 Continue\r\n\r\n",
                         b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"], "keep"),
    "/early-hints": ([b"HTTP/1.1 103 Early Hints\r\nlink: </s.css>; rel=preload\r\n\r\n"
                      b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nlink: </s.css>\r\n\r\ndone"],
                     "keep"),
    "/trailers": ([b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-checksum\r\n"
                   b"\r\n4\r\nbody\r\n0\r\nx-checksum: abc123\r\n\r\n"], "keep"),
    "/redirect": ([b"HTTP/1.1 302 Found\r\nlocation: /plain\r\ncontent-length: 0\r\n\r\n"],
                  "keep"),
    "/stall": ([b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part"], "stall"),
    "/cut": ([b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part"], "close"),
}


@dataclass
class RawUpstream:
    """A running awkward upstream: its origin, and what it saw."""

    origin: str = ""
    connections: int = 0
    requests: list[str] = field(default_factory=list)
    #: serve the first request of each connection, then close on the next without a word
    #: (an upstream that dropped an idle keep-alive connection)
    drop_second: bool = False


async def _serve(up: RawUpstream, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
    up.connections += 1
    served = 0
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            request_line = head.split(b"\r\n", 1)[0].decode()
            method, path = request_line.split(" ")[:2]
            up.requests.append(f"{method} {path}")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if length:
                await reader.readexactly(length)
            if up.drop_second and served == 1:
                return
            name = "/" + path.split("?")[0].rsplit("/", 1)[-1]  # any prefix: the proxy's
            writes, then = ANSWERS.get(name, ANSWERS["/plain"])
            if method == "HEAD":
                writes, then = [writes[0].split(b"\r\n\r\n")[0] + b"\r\n\r\n"], "keep"
            for data in writes:
                writer.write(data)
                await writer.drain()
            served += 1
            if then == "close":
                return
            if then == "stall":
                await asyncio.Event().wait()
    finally:
        writer.close()


@contextmanager
def raw_upstream(tls: ssl.SSLContext | None = None, drop_second: bool = False
                 ) -> Iterator[RawUpstream]:
    """An awkward upstream on 127.0.0.1:<free port> (TLS with ``tls``)."""
    up = RawUpstream(drop_second=drop_second)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop: list[asyncio.Event] = []

    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: _serve(up, r, w), "127.0.0.1", 0,
                                            ssl=tls)
        port = server.sockets[0].getsockname()[1]
        up.origin = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        stop.append(asyncio.Event())
        started.set()
        async with server:
            await stop[0].wait()
        handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in handlers:  # a stalled answer, a connection the client still holds
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    def run() -> None:
        loop.run_until_complete(main())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the raw upstream did not start"
    try:
        yield up
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(10)
