"""An https upstream signed by a private CA (trustme), on 127.0.0.1: trusted through
``--ca-bundle``, kept alive (counted at the upstream), and refused with a 502 in the API's
envelope that names the certificate problem when the CA or the host name is wrong."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import trustme

from mock_server.proxy.app import Proxy
from tests.waiting import answering

from .awkward import raw_upstream
from .conftest import proxying, serving


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


@pytest.fixture
def bundle(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _proxy_get(upstream: str, bundle: str, path: str = "/api/v1/plain",
               times: int = 1) -> list[httpx.Response]:
    proxy = Proxy("stagepro", upstream + "/api/v1", ca_bundle=bundle, timeout=10)
    with serving(proxy) as origin, httpx.Client() as client:
        return [client.get(origin + path) for _ in range(times)]


def test_a_private_ca_is_trusted_and_the_tls_connection_kept_alive(ca, bundle):
    with raw_upstream(tls=_server_context(ca, "127.0.0.1")) as up:
        answers = _proxy_get(up.origin, bundle, times=20)
        assert [(r.status_code, r.content) for r in answers] == [(200, b"hello")] * 20
        assert up.connections <= 2, f"{up.connections} TLS handshakes for 20 requests"


def test_without_the_bundle_the_private_ca_is_refused_with_a_502_naming_it(ca):
    with raw_upstream(tls=_server_context(ca, "127.0.0.1")) as up, \
            proxying("stagepro", up.origin + "/api/v1") as (origin, _):
        r = httpx.get(origin + "/api/v1/plain")
    assert r.status_code == 502 and r.headers["x-stagemock-proxy"] == "upstream-error"
    error = r.json()["error"]
    assert error["code"] == "bad_gateway"
    assert "certificate" in error["message"] and "unable to get local issuer" in \
        error["message"], error["message"]


def test_another_ca_is_refused(ca, tmp_path):
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with raw_upstream(tls=_server_context(ca, "127.0.0.1")) as up:
        [r] = _proxy_get(up.origin, str(other))
    assert r.status_code == 502
    assert "certificate" in r.json()["error"]["message"]


def test_a_certificate_for_another_host_is_refused_naming_the_mismatch(ca, bundle):
    with raw_upstream(tls=_server_context(ca, "api.example.test")) as up:
        [r] = _proxy_get(up.origin, bundle)
    message = r.json()["error"]["message"]
    assert r.status_code == 502 and "certificate" in message
    assert "mismatch" in message.lower() and "127.0.0.1" in message, message


def test_a_missing_or_empty_bundle_is_refused_at_startup(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        Proxy("stagepro", "https://127.0.0.1:1/api/v1", ca_bundle=str(tmp_path / "none.pem"))
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    with pytest.raises(ValueError, match="not a PEM file"):
        Proxy("stagepro", "https://127.0.0.1:1/api/v1", ca_bundle=str(empty))


def test_the_command_takes_a_ca_bundle(ca, bundle):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with raw_upstream(tls=_server_context(ca, "127.0.0.1")) as up:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "proxy", "stagepro", "--upstream",
             up.origin + "/api/v1", "--port", str(port), "--ca-bundle", bundle],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            origin = f"http://127.0.0.1:{port}"
            answering(origin + "/__mock/health", proc, timeout=20, output=proc.stderr.read)
            r = httpx.get(origin + "/api/v1/plain")
            assert r.status_code == 200 and r.content == b"hello"
        finally:
            proc.terminate()
            proc.wait(10)
