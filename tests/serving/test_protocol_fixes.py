"""The defects uvicorn's own protocol tests and the side-by-side audit found in the mock's
HTTP/1.1 protocol (``mock_server.serving``), each proven over a real socket against a real
uvicorn server running the class: what uvicorn's ``HttpToolsProtocol`` does, this does."""

from __future__ import annotations

import gc
import logging
import socket
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from mock_server.serving import HttpProtocol
from tests.waiting import wait_for

#: Each connection's protocol, weakly (the reference-cycle test reads them).
PROTOCOLS: list[weakref.ref[HttpProtocol]] = []


class Watched(HttpProtocol):
    """The class under test, remembering each connection's protocol (weakly)."""

    def connection_made(self, transport: Any) -> None:
        PROTOCOLS.append(weakref.ref(self))
        super().connection_made(transport)


async def app(scope: Any, receive: Any, send: Any) -> Any:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return None
    path = scope["path"]
    if path == "/hold":  # answers once the client has gone
        await receive()
        await receive()
        return None
    more = True
    while more:  # the whole body, or http.disconnect
        more = (await receive()).get("more_body", False)
    headers = [(b"content-length", b"2")]
    if path == "/bad-name":
        headers.append((b"bad\x00header", b"v"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})
    return 123 if path == "/returns" else None


def _serve(**options: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http=Watched, lifespan="on", log_config=None, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=10, what="the server started")
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module", params=["asyncio", "uvloop"])
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _serve(loop=request.param)


def _connect(address: str) -> socket.socket:
    host, port = address.split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def _read_all(s: socket.socket) -> bytes:
    """Everything until the server closes the connection."""
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    return out


def _exchange(address: str, data: bytes) -> bytes:
    with _connect(address) as s:
        s.sendall(data)
        return _read_all(s)


def test_data_after_connection_close_does_not_lose_the_answer(server: str) -> None:
    """llhttp refuses bytes after a ``Connection: close`` request unless told to be lenient
    (uvicorn is): without it, the whole read was refused and the first request unanswered."""
    out = _exchange(server, b"GET /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"\r\n\r\nok")
    assert out.count(b"HTTP/1.1") == 1  # the request after the close is not answered


def test_an_invalid_response_header_name_is_never_written(server: str) -> None:
    out = _exchange(server, b"GET /bad-name HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"bad\x00header" not in out and b"500" not in out
    assert out == b""  # as uvicorn: the answer had begun, so the connection is just closed


def test_the_400_is_uvicorns(server: str) -> None:
    out = _exchange(server, b"GET / HTTP1.1\r\nHost: x\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\nserver: uvicorn\r\n" in head and b"\r\ndate: " in head  # the default headers
    assert b"\r\ncontent-length: 30\r\n" in head and head.endswith(b"\r\nconnection: close")
    assert body == b"Invalid HTTP request received."


@pytest.mark.parametrize("request_bytes", [
    pytest.param(b"POST /bad-chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"zz\r\nabc\r\n0\r\n\r\n", id="bad-chunk-size"),
    pytest.param(b"POST /xchunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
                 b"abc", id="unknown-transfer-encoding"),
])
def test_an_error_after_the_headers_is_a_400(server: str, request_bytes: bytes) -> None:
    """llhttp finds these after the headers, when the request is already with the app: the
    client still gets the 400 (it got an empty reply), and the app's answer is dropped."""
    out = _exchange(server, request_bytes)
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert out.endswith(b"\r\n\r\nInvalid HTTP request received.")
    assert out.count(b"HTTP/1.1") == 1


def test_an_app_that_returns_a_value_is_flagged(server: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
        out = _exchange(server, b"GET /returns HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive
        # the answer is sent, then the connection closed (the read above returned)
        assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"\r\n\r\nok")
        wait_for(lambda: caplog.records, timeout=5, what="the error logged")
    assert [r.getMessage() for r in caplog.records] == [
        "ASGI callable should return None, but returned '123'."]


def test_limit_concurrency_answers_503_as_uvicorn() -> None:
    """``--limit-concurrency 2``: uvicorn counts open connections and running requests; a
    request past the limit gets its 503, and a request within it is served."""
    for address in _serve(limit_concurrency=2):
        with _connect(address) as first:
            first.sendall(b"GET /alone HTTP/1.1\r\nHost: x\r\n\r\n")
            assert first.recv(1000).startswith(b"HTTP/1.1 200 OK")  # 1 connection: served
            first.sendall(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")  # held until it leaves
            out = _exchange(address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # a 2nd connection
        head, _, body = out.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert head.endswith(b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"content-length: 19\r\nconnection: close")
        assert body == b"Service Unavailable"


@pytest.mark.parametrize("ending", ["connection-close", "client-leaves", "bad-request"])
def test_a_closed_connection_is_freed_without_the_collector(server: str, ending: str) -> None:
    """The parser and the protocol point at each other, and so do a protocol and its cycle:
    ``connection_lost`` drops them, so a closed connection's memory (its request headers and
    body; 8 MB headers made the server grow by hundreds of MB) goes by reference counting,
    with the cyclic collector off, not at some later full collection."""
    request = {"connection-close": b"POST /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                   b"Content-Length: 3\r\nX-Big: " + b"y" * 1_000_000
                                   + b"\r\n\r\nabc",
               "client-leaves": b"GET /k HTTP/1.1\r\nHost: x\r\n\r\n",
               "bad-request": b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                              b"\r\n\r\nzz\r\n"}[ending]
    gc.collect()
    gc.disable()
    try:
        PROTOCOLS.clear()
        with _connect(server) as s:
            s.sendall(request)
            assert s.recv(100).startswith(b"HTTP/1.1 ")
        wait_for(lambda: PROTOCOLS and PROTOCOLS[0]() is None, timeout=5,
                 what="the closed connection's protocol freed by reference counting")
    finally:
        gc.enable()
