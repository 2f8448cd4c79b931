"""The upstream client held to httpx: the same awkward loopback upstreams (``awkward.py``) read
through both must give the same status, the same headers (hop-by-hop ones aside: they
describe a connection, not the answer) and the same body bytes (httpx's raw, undecoded ones:
the proxy relays bytes, it decodes nothing). A redirect is relayed, not followed."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mock_server.proxy.upstream import Upstream, UpstreamError, UpstreamTimeout

from .awkward import raw_upstream

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "trailer"}

Answer = tuple[int, list[tuple[str, str]], bytes]


def _headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode().lower(), v.decode()) for k, v in raw
            if k.decode().lower() not in HOP_BY_HOP]


async def ours(origin: str, path: str, method: str) -> Answer:
    client = Upstream(origin, timeout=5)
    try:
        response = await client.send(method, path, [], None)
        body = b"".join([chunk async for chunk in response.body()])
        return response.status, _headers(response.headers), body
    finally:
        await client.close()


async def oracle(origin: str, path: str, method: str) -> Answer:
    async with httpx.AsyncClient(follow_redirects=False, timeout=5) as client:
        async with client.stream(method, origin + path) as response:
            body = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, _headers(response.headers.raw), body


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/plain"), ("GET", "/chunked"), ("GET", "/gzip"), ("GET", "/close"),
    ("GET", "/http10"), ("GET", "/not-modified"), ("GET", "/no-content"),
    ("GET", "/continue-one-read"), ("GET", "/continue-apart"), ("GET", "/early-hints"),
    ("GET", "/trailers"), ("GET", "/redirect"), ("HEAD", "/plain"), ("HEAD", "/chunked"),
])
def test_the_client_reads_what_httpx_reads(method, path):
    with raw_upstream() as up:
        expected = asyncio.run(oracle(up.origin, path, method))
        got = asyncio.run(ours(up.origin, path, method))
    assert got == expected


def test_a_stall_mid_body_times_out_in_both_after_the_same_bytes():
    async def partial_ours(origin: str) -> tuple[bytes, BaseException]:
        client = Upstream(origin, timeout=0.3)
        response = await client.send("GET", "/stall", [], None)
        got = b""
        try:
            async for chunk in response.body():
                got += chunk
        except UpstreamError as exc:
            return got, exc
        finally:
            await client.close()
        raise AssertionError("the stalled body ended")

    async def partial_httpx(origin: str) -> tuple[bytes, BaseException]:
        async with httpx.AsyncClient(timeout=0.3) as client:
            async with client.stream("GET", origin + "/stall") as response:
                got = b""
                try:
                    async for chunk in response.aiter_raw():
                        got += chunk
                except httpx.ReadTimeout as exc:
                    return got, exc
        raise AssertionError("the stalled body ended")

    with raw_upstream() as up:
        expected, _ = asyncio.run(partial_httpx(up.origin))
        got, error = asyncio.run(partial_ours(up.origin))
    assert got == expected == b"only part"
    assert isinstance(error, UpstreamTimeout)
