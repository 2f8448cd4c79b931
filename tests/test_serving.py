"""The HTTP/1.1 protocol ``stagemock serve`` runs on (``mock_server.serving``), over real
sockets: framing, keep-alive, pipelining, bodies both ways, and the failures a client causes."""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.serving.running import running
from tests.waiting import wait_for

#: What the app saw, per request path (the tests read it after the answers).
SEEN: dict[str, Any] = {}


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/boom":
        raise RuntimeError("a bug")
    if path == "/wait-disconnect":
        await receive()
        SEEN[path] = await receive()  # after the body: waits for the client to leave
        return
    digest = hashlib.sha256()
    size = 0
    more = True
    while more:
        message = await receive()
        digest.update(message.get("body", b""))
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    SEEN[path] = {"method": scope["method"], "size": size, "sha256": digest.hexdigest(),
                  "query": scope["query_string"], "raw_path": scope["raw_path"],
                  "http_version": scope["http_version"], "headers": scope["headers"],
                  "client": scope["client"], "scheme": scope["scheme"]}
    body = f"{scope['method']} {path} {size}".encode()
    if path == "/stream":  # no Content-Length: sent chunked
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part1,", "more_body": True})
        await send({"type": "http.response.body", "body": b"part2", "more_body": False})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running(app, timeout_keep_alive=1) as address:
        yield address


def _raw(address: str, data: bytes, *, until: bytes | None = None, timeout: float = 5) -> bytes:
    """Send ``data`` on a fresh connection; read until ``until`` is seen or the server closes."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while until is None or until not in out:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out


def test_keep_alive_answers_several_requests_on_one_connection(server: str) -> None:
    with httpx.Client(base_url=f"http://{server}") as client:
        for i in range(3):
            r = client.get(f"/k{i}", params={"a": "1 2"})
            assert r.status_code == 200 and r.text == f"GET /k{i} 0"
            assert r.headers["content-length"] == str(len(r.text))
            assert "date" in r.headers and r.headers["server"] == "uvicorn"
    assert SEEN["/k2"]["query"] == b"a=1+2"


def test_pipelined_requests_are_answered_in_order(server: str) -> None:
    req = b"GET /p%d HTTP/1.1\r\nHost: x\r\n\r\n"
    out = _raw(server, b"".join(req % i for i in range(3)), until=b"GET /p2 0")
    assert out.count(b"HTTP/1.1 200 OK") == 3
    assert out.index(b"GET /p0 0") < out.index(b"GET /p1 0") < out.index(b"GET /p2 0")


def test_an_upload_streams_through_unchanged(server: str) -> None:
    data = bytes(range(256)) * 40_000  # 10 MB, far over the read-ahead limit
    r = httpx.post(f"http://{server}/upload", content=data)
    assert r.text == f"POST /upload {len(data)}"
    assert SEEN["/upload"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_chunked_request_body_arrives_whole(server: str) -> None:
    out = _raw(server, b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", until=b"POST /chunked 11")
    assert out.startswith(b"HTTP/1.1 200 OK")
    assert SEEN["/chunked"]["sha256"] == hashlib.sha256(b"hello world").hexdigest()


def test_expect_100_continue_is_answered_when_the_app_reads(server: str) -> None:
    host, port = server.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"PUT /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"data")
        answer = b""
        while b"PUT /expect 4" not in answer:
            answer += s.recv(1000)
    assert answer.startswith(b"HTTP/1.1 200 OK")


def test_head_gets_the_headers_without_a_body(server: str) -> None:
    out = _raw(server, b"HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: 9" in head.lower()  # "HEAD /h 0"
    assert body == b""


def test_a_response_without_length_is_chunked(server: str) -> None:
    r = httpx.get(f"http://{server}/stream")
    assert r.headers["transfer-encoding"] == "chunked" and r.text == "part1,part2"


def test_http_1_0_and_connection_close_end_the_connection(server: str) -> None:
    out = _raw(server, b"GET /old HTTP/1.0\r\n\r\n")  # returns only when the server closes
    assert out.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in out.lower()
    assert SEEN["/old"]["http_version"] == "1.0"
    out = _raw(server, b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert out.endswith(b"GET /bye 0")


def test_a_malformed_request_gets_400_and_a_closed_connection(server: str) -> None:
    out = _raw(server, b"NOT HTTP AT ALL\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 Bad Request")
    assert out.endswith(b"\r\n\r\nInvalid HTTP request received.")  # uvicorn's text


def test_an_app_error_is_a_500_and_the_server_goes_on(server: str) -> None:
    r = httpx.get(f"http://{server}/boom")
    assert r.status_code == 500 and r.text == "Internal Server Error"
    assert httpx.get(f"http://{server}/after").text == "GET /after 0"


def test_the_app_sees_a_client_that_leaves(server: str) -> None:
    host, port = server.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET /wait-disconnect HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_for(lambda: "/wait-disconnect" in SEEN, timeout=5)
    assert SEEN["/wait-disconnect"] == {"type": "http.disconnect"}


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(server: str) -> None:
    host, port = server.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while b"GET /idle 0" not in answer:
            answer += s.recv(1000)
        assert s.recv(1000) == b""  # timeout_keep_alive=1: the server closes, no answer


def test_bad_response_headers_are_refused_not_sent(server: str) -> None:
    async def bad(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"x-evil", b"a\r\nset-cookie: x")]})

    class Conn:  # the parts of a connection a cycle's ``send`` reads
        write_paused = False
        disconnected = False
        access_log = False

        class server_state:  # noqa: N801
            default_headers: list[tuple[bytes, bytes]] = []

        transport: Any = None

    from mock_server.serving import Cycle

    cycle = Cycle(Conn(), {"method": "GET"}, True, False, bad)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="Invalid HTTP header"):
        asyncio.run(bad({}, cycle.receive, cycle.send))


def test_forwarded_headers_from_a_trusted_proxy_set_the_client(server: str) -> None:
    httpx.get(f"http://{server}/fwd", headers={"X-Forwarded-For": "203.0.113.9",
                                               "X-Forwarded-Proto": "https"})
    httpx.get(f"http://{server}/direct")
    assert SEEN["/fwd"]["client"] == ("203.0.113.9", 0) and SEEN["/fwd"]["scheme"] == "https"
    assert SEEN["/direct"]["client"][0] == "127.0.0.1" and SEEN["/direct"]["scheme"] == "http"


def test_the_path_and_query_as_asgi_gives_them(server: str) -> None:
    _raw(server, b"GET /a%20b?x=1&y=%2F HTTP/1.1\r\nHost: x\r\n\r\n", until=b"GET /a b 0")
    assert SEEN["/a b"]["raw_path"] == b"/a%20b" and SEEN["/a b"]["query"] == b"x=1&y=%2F"
    _raw(server, b"GET http://example.com/abs?q=2 HTTP/1.1\r\nHost: x\r\n\r\n",
         until=b"GET /abs 0")  # absolute-form, as sent to a proxy
    assert SEEN["/abs"]["raw_path"] == b"/abs" and SEEN["/abs"]["query"] == b"q=2"


def test_a_request_to_the_mock_leaves_no_reference_cycle() -> None:
    """Each request's scope and cycle are freed by reference counting when it ends: none is
    left for the garbage collector, whose passes would otherwise cost every request CPU and
    the slowest ones their latency (bench/RESULTS.md)."""
    import gc

    from mock_server.serving import Cycle
    from mock_server.testing import RunningServer

    server = RunningServer()
    server.start()
    try:
        with httpx.Client(base_url=server.url,
                          headers={"Authorization": "Bearer sk_test_cycles"}) as client:
            job = client.post("/api/v1/jobs", json={"type": "empty-room", "input": {
                "image_url": "https://example.com/room.jpg"}}).json()
            gc.collect()
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                for _ in range(20):
                    assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 200
                    assert client.get("/api/v1/capabilities").status_code == 200
                    # refused (no key, a wrong key) and invalid: the error's traceback
                    # must not hold the request's frame (issue 32's 401 leak)
                    assert client.get("/api/v1/usage", headers={
                        "Authorization": ""}).status_code == 401
                    assert client.get("/api/v1/usage", headers={
                        "Authorization": "Bearer sk_live_nobody"}).status_code == 401
                    assert client.post("/api/v1/jobs", json={}).status_code == 400
                gc.collect()
                left = [o for o in gc.garbage if isinstance(o, Cycle)
                        or (isinstance(o, dict) and o.get("type") == "http")]
            finally:
                gc.set_debug(0)
                gc.garbage.clear()
    finally:
        server.stop()
    assert left == [], f"{len(left)} request objects were left to the collector"


def test_the_access_log_line_is_uvicorns(caplog: pytest.LogCaptureFixture) -> None:
    async def ok(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": []})

    class Conn:  # the parts of a connection a cycle's ``send`` reads, the access log on
        write_paused = False
        access_log = True
        transport: Any = None

        class server_state:  # noqa: N801
            default_headers: list[tuple[bytes, bytes]] = []

    from mock_server.serving import Cycle

    scope = {"method": "POST", "client": ("127.0.0.1", 5001), "raw_path": b"/api/v1/jobs",
             "query_string": b"a=1", "http_version": "1.1"}
    cycle = Cycle(Conn(), scope, True, False, ok)  # type: ignore[arg-type]
    with caplog.at_level("INFO", logger="uvicorn.access"):
        asyncio.run(ok(scope, cycle.receive, cycle.send))
    assert caplog.messages == ['127.0.0.1:5001 - "POST /api/v1/jobs?a=1 HTTP/1.1" 201']
