"""The proxy's upstream client against awkward loopback upstreams (``awkward.py``): keep-alive
reused (counted at the upstream), 1xx consumed, bodiless answers, trailers, stale pooled
connections; and the proxy relaying them to a real client."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mock_server.proxy.upstream import Upstream, UpstreamError
from mock_server.serving import HttpProtocol

from .awkward import raw_upstream
from .conftest import proxying


async def _get(client: Upstream, path: str, method: str = "GET"
               ) -> tuple[int, list[tuple[bytes, bytes]], bytes, list[tuple[bytes, bytes]]]:
    response = await client.send(method, path, [], None)
    body = b"".join([chunk async for chunk in response.body()])
    return response.status, response.headers, body, response.trailers


def test_twenty_requests_through_the_proxy_open_at_most_two_connections():
    with raw_upstream() as up, proxying("stagepro", up.origin + "/api/v1") as (origin, _):
        with httpx.Client() as client:
            for i in range(20):
                r = client.get(f"{origin}/api/v1/plain", params={"n": i})
                assert r.status_code == 200 and r.content == b"hello"
        assert len(up.requests) == 20
        assert up.connections <= 2, f"{up.connections} upstream connections for 20 requests"


def test_a_connection_close_answer_is_not_reused():
    async def run(origin: str) -> int:
        client = Upstream(origin, timeout=5)
        for _ in range(3):
            assert (await _get(client, "/close"))[2] == b"bye"
        await client.close()
        return client.opened

    with raw_upstream() as up:
        assert asyncio.run(run(up.origin)) == 3 == up.connections


@pytest.mark.parametrize("path", ["/continue-one-read", "/continue-apart", "/early-hints"])
def test_1xx_answers_are_consumed_and_the_connection_stays_usable(path):
    async def run(origin: str) -> list[tuple[int, list[tuple[bytes, bytes]], bytes]]:
        client = Upstream(origin, timeout=5)
        out = []
        for p in (path, "/plain"):
            status, headers, body, _ = await _get(client, p)
            out.append((status, headers, body))
        await client.close()
        return out

    with raw_upstream() as up:
        (status, headers, body), after = asyncio.run(run(up.origin))
        assert up.connections == 1
    names = [k for k, _ in headers]
    assert 100 <= 200 <= status < 300 and body in (b"ok", b"done")
    assert b"x-interim" not in names, "a 1xx's headers taken for the answer's"
    assert names.count(b"content-length") == 1
    assert after == (200, [(b"content-type", b"text/plain"), (b"content-length", b"5")],
                     b"hello")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/not-modified", 304), ("GET", "/no-content", 204), ("HEAD", "/plain", 200)])
def test_bodiless_answers_with_a_content_length_end_at_their_headers(method, path, status):
    async def run(origin: str) -> tuple[int, bytes, bytes]:
        client = Upstream(origin, timeout=2)
        got, _, body, _ = await _get(client, path, method)
        _, _, next_body, _ = await _get(client, "/plain")  # the same connection, in step
        await client.close()
        return got, body, next_body

    with raw_upstream() as up:
        assert asyncio.run(run(up.origin)) == (status, b"", b"hello")
        assert up.connections == 1


def test_trailers_are_kept_apart_from_the_headers():
    async def run(origin: str) -> tuple[list[tuple[bytes, bytes]], bytes,
                                        list[tuple[bytes, bytes]]]:
        client = Upstream(origin, timeout=5)
        _, headers, body, trailers = await _get(client, "/trailers")
        await client.close()
        return headers, body, trailers

    with raw_upstream() as up:
        headers, body, trailers = asyncio.run(run(up.origin))
    assert body == b"body"
    assert b"x-checksum" not in [k for k, _ in headers]
    assert trailers == [(b"x-checksum", b"abc123")]


def test_a_stale_pooled_connection_is_retried_once_for_idempotent_requests():
    async def run(origin: str) -> tuple[int, int, str]:
        client = Upstream(origin, timeout=5)
        await _get(client, "/plain")
        status = (await _get(client, "/plain"))[0]  # the pooled one is dropped: retried
        opened = client.opened
        await _get(client, "/plain")

        async def body():
            yield b"{}"

        with pytest.raises(UpstreamError) as err:  # a POST is never sent twice
            await client.send("POST", "/plain", [("content-length", "2")], body())
        await client.close()
        return status, opened, str(err.value)

    with raw_upstream(drop_second=True) as up:
        status, opened, error = asyncio.run(run(up.origin))
        assert up.requests.count("POST /plain") == 1
    assert status == 200 and opened == 2
    assert "closed the connection without an answer" in error


@pytest.mark.parametrize(("path", "status", "headers", "body"), [
    ("/not-modified", 304, {"etag": '"v1"'}, b""),
    ("/continue-one-read", 201, {"x-final": "1"}, b"ok"),
    ("/trailers", 200, {}, b"body"),
    ("/redirect", 302, {"location": "/plain"}, b""),
])
def test_the_proxy_relays_awkward_answers_and_keeps_the_connection(path, status, headers,
                                                                   body):
    with raw_upstream() as up, proxying("stagepro", up.origin + "/api/v1") as (origin, _):
        with httpx.Client() as client:
            r = client.get(f"{origin}/api/v1{path}")
            again = client.get(f"{origin}/api/v1/plain")
        assert up.connections == 1
    assert r.status_code == status and r.content == body
    assert {k: r.headers.get(k) for k in headers} == headers
    assert "x-interim" not in r.headers and "x-checksum" not in r.headers
    assert again.status_code == 200 and again.content == b"hello"


@pytest.mark.parametrize("server", ["stagemock", "stock uvicorn"])
def test_an_upstream_body_cut_short_reaches_the_client_cut(server):
    """The proxy passes a broken body on as broken (through the connection hook under the
    mock's server; under stock uvicorn, by the hook's exception), and journals why."""
    http = HttpProtocol if server == "stagemock" else "httptools"
    with raw_upstream() as up, proxying("stagepro", up.origin + "/api/v1",
                                        http=http) as (origin, proxy):
        with httpx.Client() as client, pytest.raises(httpx.RemoteProtocolError):
            client.get(f"{origin}/api/v1/cut")
        entry = proxy.journal.entries()[-1]
    assert entry.status == 200 and "broke off mid-body" in (entry.error or "")
