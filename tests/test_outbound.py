"""Outbound safety (``mock_server/outbound.py``): ``--fetch-remote`` and, off loopback, webhook
deliveries refuse loopback, private, link-local, multicast and unspecified addresses unless
``--allow-outbound`` lists them, on every hop, at the address they checked. Loopback targets
are tried over real sockets; every other address only through a stub resolver, so no test
sends a packet off this machine."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from mock_server.outbound import AddressPolicy, Refused, RemoteFetcher
from mock_server.settings import Settings
from mock_server.webhooks.dispatcher import WebhookHub

IMAGE = b"\xff\xd8\xff" + bytes(range(256)) * 40


def stub(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    """A resolver that answers from ``table`` and never touches the network."""
    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        if host.replace(".", "").isdigit() or ":" in host:
            return [host]
        raise OSError(f"stub: {host} unknown")
    return resolve


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("192.168.1.1", "private"), ("172.16.0.9", "private"),
    ("fd00::1", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
])
def test_internal_addresses_are_refused_by_default(address, kind):
    policy = AddressPolicy()
    with pytest.raises(Refused, match=f"a {kind} address"):
        policy.pin("inside.test", 80, stub({"inside.test": [address]}))


def test_a_public_address_passes_and_the_allow_list_opens_a_network():
    resolver = stub({"photos.test": ["93.184.216.34"], "nas.test": ["10.9.8.7"]})
    assert AddressPolicy().pin("photos.test", 443, resolver) == "93.184.216.34"
    allowed = AddressPolicy.parse(["10.0.0.0/8"])
    assert allowed.pin("nas.test", 80, resolver) == "10.9.8.7"
    with pytest.raises(Refused, match="loopback"):
        allowed.pin("127.0.0.1", 80, resolver)


def test_one_internal_address_among_the_answers_refuses_the_name():
    resolver = stub({"mixed.test": ["93.184.216.34", "169.254.169.254"]})
    with pytest.raises(Refused, match=r"mixed.test \(169.254.169.254\) is a link-local"):
        AddressPolicy().pin("mixed.test", 80, resolver)


def test_a_bad_allow_list_entry_is_named():
    with pytest.raises(ValueError, match="--allow-outbound 'intranet'"):
        AddressPolicy.parse(["intranet"])


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen.append((self.path, self.headers.get("Host", "")))
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(IMAGE)))
        self.end_headers()
        self.wfile.write(IMAGE)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def photo_server() -> Iterator[tuple[int, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (_Handler,), {"seen": seen})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_refuses_loopback_by_default_without_connecting():
    with photo_server() as (port, seen):
        with pytest.raises(Refused, match="loopback"):
            RemoteFetcher().fetch(f"http://127.0.0.1:{port}/room.jpg")
        assert RemoteFetcher()(f"http://localhost:{port}/room.jpg") is None
        assert seen == []


def test_fetch_reaches_an_allowed_address_at_the_address_it_checked():
    allowed = AddressPolicy.parse(["127.0.0.1"])
    with photo_server() as (port, seen):
        resolver = stub({"photos.test": ["127.0.0.1"]})
        got = RemoteFetcher(allowed, resolver=resolver).fetch(f"http://photos.test:{port}/a.jpg")
    assert got == IMAGE
    assert seen == [("/a.jpg", f"photos.test:{port}")]


def test_every_redirect_hop_is_checked():
    allowed = AddressPolicy.parse(["127.0.0.1"])
    resolver = stub({"rebound.test": ["169.254.169.254"], "photos.test": ["127.0.0.1"]})
    with photo_server() as (port, seen):
        fetcher = RemoteFetcher(allowed, resolver=resolver)
        with pytest.raises(Refused, match=r"rebound.test \(169.254.169.254\) is a link-local"):
            fetcher.fetch(f"http://127.0.0.1:{port}/redirect?to=http://rebound.test/meta")
        assert fetcher.fetch(f"http://127.0.0.1:{port}/redirect?to="
                             f"http://photos.test:{port}/b.jpg") == IMAGE
    assert [path for path, _ in seen] == [
        "/redirect?to=http://rebound.test/meta",
        f"/redirect?to=http://photos.test:{port}/b.jpg", "/b.jpg"]


def test_downloads_are_bounded():
    allowed = AddressPolicy.parse(["127.0.0.1"])
    with photo_server() as (port, _):
        with pytest.raises(ValueError, match="limit"):
            RemoteFetcher(allowed, limit=len(IMAGE) - 1).fetch(f"http://127.0.0.1:{port}/c")
        assert RemoteFetcher(allowed, limit=len(IMAGE))(f"http://127.0.0.1:{port}/c") == IMAGE


def _hub(host: str, allow: tuple[str, ...] = (), resolver=None) -> WebhookHub:  # type: ignore[no-untyped-def]
    hub = WebhookHub(SimpleNamespace(settings=Settings(host=host, outbound_allow=allow)))  # type: ignore[arg-type]
    hub.resolver = resolver
    return hub


async def _post(hub: WebhookHub, url: str) -> int:
    try:
        return (await hub._post(url, b"{}", {"Content-Type": "application/json"})).status_code
    finally:
        await hub.close()


def test_webhooks_stay_free_on_loopback_and_follow_the_policy_off_it():
    with photo_server() as (port, seen):
        url = f"http://127.0.0.1:{port}/hook"
        # (the photo server answers POST with 501: enough to show the request arrived)
        assert asyncio.run(_post(_hub("127.0.0.1"), url)) == 501
        with pytest.raises(Refused, match="loopback"):
            asyncio.run(_post(_hub("0.0.0.0"), url))
        resolver = stub({"hooks.test": ["127.0.0.1"], "meta.test": ["169.254.169.254"]})
        opened = _hub("0.0.0.0", ("127.0.0.1",), resolver)
        assert asyncio.run(_post(opened, f"http://hooks.test:{port}/hook")) == 501
        with pytest.raises(Refused, match="link-local"):
            asyncio.run(_post(_hub("0.0.0.0", ("127.0.0.1",), resolver), "http://meta.test/"))
