"""The control plane is open on loopback and needs its bearer token anywhere else."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import httpx
import pytest

from mock_server.settings import Settings, is_loopback
from mock_server.testing import RunningServer
from tests.waiting import answering


@pytest.mark.parametrize(
    "host, loopback",
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("10.0.0.5", False),
     ("mock.example", False)],
)
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


@pytest.fixture(scope="module")
def exposed():
    # Listens on every interface; the test only ever connects through loopback.
    with RunningServer(Settings(host="0.0.0.0", deterministic=True, image_workers=0,
                                admin_token="s3cret")) as server:
        yield f"http://127.0.0.1:{server.port}"


def test_without_the_token_the_control_plane_answers_401(exposed):
    for method, path in [("GET", "health"), ("GET", "journal"), ("POST", "reset"),
                         ("POST", "clock/advance")]:
        r = httpx.request(method, f"{exposed}/__mock/{path}", json={"seconds": 1})
        assert r.status_code == 401, (path, r.text)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.json()["error"]["field"] == "Authorization"
    wrong = httpx.get(f"{exposed}/__mock/health", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_the_token_opens_it_as_bearer_or_cookie(exposed):
    ok = httpx.get(f"{exposed}/__mock/health", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json()["status"] == "ok"
    cookie = httpx.get(f"{exposed}/__mock/health", cookies={"stagemock_admin": "s3cret"})
    assert cookie.status_code == 200


def test_the_vendor_apis_do_not_need_it(exposed):
    r = httpx.get(f"{exposed}/api/v1/capabilities",
                  headers={"Authorization": "Bearer sk_test_token"})
    assert r.status_code == 200


def test_running_server_passes_its_token():
    with RunningServer(Settings(host="0.0.0.0", deterministic=True, image_workers=0)) as server:
        token = server.app.state.admin_token
        assert token and len(token) >= 24  # generated: nobody can guess it
        assert server.advance(5)["unix"] > 0
        assert httpx.get(f"http://127.0.0.1:{server.port}/__mock/health").status_code == 401


def test_loopback_needs_no_token(stagemock_server):
    assert httpx.get(f"{stagemock_server.url}/__mock/health").status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mock_server", "--image-workers", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_on_a_non_loopback_host_prints_a_generated_token():
    port = _free_port()
    proc = _serve("--host", "0.0.0.0", "--port", str(port))
    try:
        banner = [proc.stdout.readline() for _ in range(5)]
        match = re.search(r"Bearer (\S+)'", banner[-1])
        assert match, banner
        r = answering(f"http://127.0.0.1:{port}/__mock/health", proc,
                      headers={"Authorization": f"Bearer {match.group(1)}"})
        assert r.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/__mock/health").status_code == 401
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_a_busy_port_is_one_line_and_no_banner():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _serve("--port", str(port))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert out == ""  # no "serving on" banner for a server that never served
    assert err.strip().count("\n") == 0 and "already in use" in err and "--port" in err, err
