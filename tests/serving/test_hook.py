"""The connection hook (``mock_server.serving.hook``): ``abort`` and ``truncate`` seen from a
real socket under the mock's server, and the plain exception a server without the hook gives."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_server.serving.hook import EXTENSION, NoSocket, connection_of
from tests.serving.running import running
from tests.waiting import wait_for

BODY = b"0123456789" * 10
#: Each request's scope, and whether it held the hook while the app ran.
SCOPES: list[tuple[dict[str, Any], bool]] = []


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    hook = connection_of(scope)
    path = scope["path"]
    if path == "/abort":
        hook.abort()
        await send({"type": "http.response.start", "status": 200, "headers": []})  # dropped
        return
    length = [(b"content-length", b"100")] if path != "/chunked" else []
    await send({"type": "http.response.start", "status": 200, "headers": length})
    if path == "/cut-ahead":  # the length said first: the body stops there by itself
        hook.truncate(30)
        await send({"type": "http.response.body", "body": BODY})
    else:  # the body half written, then cut where it stands
        await send({"type": "http.response.body", "body": BODY[:40], "more_body": True})
        hook.truncate(40)
        await send({"type": "http.response.body", "body": BODY[40:]})  # dropped
    SCOPES.append((scope, EXTENSION in scope.get("extensions", {})))


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running(app) as address:
        yield address


def _raw(address: str, path: str) -> bytes:
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def test_abort_drops_the_connection_before_any_answer(server: str) -> None:
    assert _raw(server, "/abort") == b""
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"http://{server}/abort")


@pytest.mark.parametrize(("path", "kept"), [("/cut-now", 40), ("/cut-ahead", 30)])
def test_truncate_sends_the_headers_and_that_many_bytes_then_closes(
        server: str, path: str, kept: int) -> None:
    head, _, body = _raw(server, path).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: 100" in head
    assert body == BODY[:kept]
    with pytest.raises(httpx.RemoteProtocolError):  # httpx: "peer closed connection"
        httpx.get(f"http://{server}{path}")


def test_a_chunked_answer_cut_has_no_last_chunk(server: str) -> None:
    head, _, body = _raw(server, "/chunked").partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    assert body == b"28\r\n" + BODY[:40] + b"\r\n"  # no "0\r\n\r\n": the client sees it cut


def test_the_scope_lets_go_of_the_hook_when_the_request_ends(server: str) -> None:
    """The cycle holds the scope: the scope must not keep holding the cycle (a reference
    cycle per request, left to the garbage collector)."""
    SCOPES.clear()
    _raw(server, "/cut-now")
    wait_for(lambda: SCOPES and "extensions" not in SCOPES[0][0], timeout=5)
    assert SCOPES[0][1]  # it was there while the app ran


@pytest.mark.parametrize("path", ["/abort", "/cut-now"])
def test_a_server_without_the_hook_says_what_it_cannot_do(path: str) -> None:
    async def call() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            await client.get(path)

    with pytest.raises(NoSocket, match="gives the app no socket"):
        asyncio.run(call())
