"""``stagemock proxy`` as a user runs it: a real process in front of a real mock."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx

from tests.waiting import answering


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_command_relays_and_journals(mock_upstream, tmp_path):
    port = _free_port()
    recording = tmp_path / "cli.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "proxy", "stagepro", "--upstream",
         mock_upstream.url + "/api/v1", "--port", str(port), "--record", str(recording)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        origin = f"http://127.0.0.1:{port}"
        health = answering(origin + "/__mock/health", proc, timeout=20,
                           output=proc.stderr.read).json()
        assert health["mode"] == "proxy" and health["base_path"] == "/api/v1"
        key = {"Authorization": "Bearer sk_test_cli_proxy"}
        via = httpx.get(origin + "/api/v1/capabilities", headers=key)
        direct = httpx.get(mock_upstream.url + "/api/v1/capabilities", headers=key)
        assert via.status_code == 200 and via.content == direct.content
        [entry] = httpx.get(origin + "/__mock/journal").json()["entries"]
        assert entry["operation_id"] == "getCapabilities" and entry["response_conformant"]
        page = httpx.get(origin + "/__mock/ui")
        assert page.status_code == 200 and "stagemock proxy" in page.text
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/api/v1 → {mock_upstream.url}/api/v1" in out
    assert len(recording.read_text().splitlines()) == 2  # the header and the exchange


def test_a_bad_upstream_is_one_line():
    proc = subprocess.run(
        [sys.executable, "-m", "mock_server", "proxy", "stagepro", "--upstream", "ftp://x"],
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "stagemock proxy: --upstream 'ftp://x': give an http(s) URL, e.g. "
        "https://api.example.com/api/v1"]
