"""HAR files written by real tools, of a session against a running mock, read by ``stagemock
drift`` and ``stagemock replay``: more than 0 exchanges replayed, 0 differences.

- Chromium through Playwright's ``record_har_path``: a page of the mock's own origin (its
  dashboard, so the fetch() calls are same-origin: the mock sends no CORS headers) creates a
  job, polls it, reads the usage; the page, its assets and its control-plane calls are in the
  HAR and are skipped.
- mitmproxy's HAR export: ``mitmdump --mode reverse:<mock> --set hardump=FILE`` in front of
  the mock while httpx makes the requests. mitmproxy pins h11 older than this project's, so it
  lives in a venv of its own (built once by uv, reused: ``$TMPDIR/stagemock-mitmproxy-venv``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from mock_server.proxy import record
from mock_server.settings import Settings
from mock_server.testing import RunningServer
from tests.proxy.test_replay import JOB, _session
from tests.ui.conftest import CHROMIUM_ARGS, chromium_path
from tests.waiting import answering

ROOT = Path(__file__).resolve().parents[2]
MITMPROXY = "mitmproxy==11.0.2"  # the last release for Python 3.11
MITM_VENV = Path(tempfile.gettempdir()) / "stagemock-mitmproxy-venv"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mock_server", *args], capture_output=True,
                          text=True, timeout=180, check=False)


def _drift_and_replay_are_clean(har: Path, api: str = "stagepro") -> int:
    """``drift`` and ``replay`` (against a fresh mock) of ``har``: both replay > 0 exchanges
    and report 0 differences, exit 0; the number replayed."""
    drift = _cli("drift", str(har), "--json")
    assert drift.returncode == 0, drift.stdout + drift.stderr
    report = json.loads(drift.stdout)
    assert report["replayed"] > 0 and report["differences"] == [], report
    base, key = ("/api/v1", "sk_test_replayer") if api == "stagepro" else ("", "stager_test_r")
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        replay = _cli("replay", str(har), "--base-url", fresh.url + base, "--api-key", key,
                      "--json")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    again = json.loads(replay.stdout)
    assert again["replayed"] == report["replayed"] and again["differences"] == [], again
    return int(report["replayed"])


FETCHES = """async ([key, job]) => {
  const h = {'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json'};
  const created = await (await fetch('/api/v1/jobs', {method: 'POST', headers: h,
                                                        body: JSON.stringify(job)})).json();
  const first = await (await fetch('/api/v1/jobs/' + created.id, {headers: h})).json();
  return [created.id, first.status];
}"""
POLL = """async ([key, id]) => {
  const h = {'Authorization': 'Bearer ' + key};
  const done = await (await fetch('/api/v1/jobs/' + id, {headers: h})).json();
  await fetch('/api/v1/usage', {headers: h});
  return done.status;
}"""


def test_a_chromium_har_recorded_by_playwright_drifts_and_replays_clean(tmp_path):
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    assert executable, "Chromium is needed: `make chromium` (Debian's package)"
    har = tmp_path / "chromium.har"
    key = "sk_test_browser_session"
    with RunningServer(Settings(deterministic=True, image_workers=0)) as server, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(record_har_path=str(har))
        page = context.new_page()
        # the mock's own dashboard: the same origin as its API, and its CSP allows
        # connect-src 'self' (the index page's allows nothing)
        page.goto(server.url + "/__mock/ui")
        job_id, first = page.evaluate(FETCHES, [key, JOB])
        assert first in ("queued", "processing")
        server.advance(30)
        assert page.evaluate(POLL, [key, job_id]) == "completed"
        context.close()  # writes the HAR
        browser.close()
    doc = json.loads(har.read_text())
    assert doc["log"]["creator"]["name"] == "Playwright"
    header, exchanges = record.load(har)
    assert [e["operation_id"] for e in exchanges] == ["createJob", "getJob", "getJob",
                                                      "getUsage"]
    assert any("no operation of the spec matches" in s for s in header["skipped"])  # the page
    assert _drift_and_replay_are_clean(har) == 4


def _mitmdump() -> Path:
    binary = MITM_VENV / "bin" / "mitmdump"
    if not binary.exists():
        uv = Path(sys.executable).with_name("uv")
        subprocess.run([str(uv), "venv", "--quiet", "--python", sys.executable, str(MITM_VENV)],
                       check=True, timeout=300)
        subprocess.run([str(uv), "pip", "install", "--quiet", "--python",
                        str(MITM_VENV / "bin" / "python"), MITMPROXY], check=True, timeout=600)
    return binary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_a_mitmproxy_har_export_drifts_and_replays_clean(tmp_path, api):
    mitmdump = _mitmdump()
    har = tmp_path / "mitmproxy.har"
    port = _free_port()
    with RunningServer(Settings(deterministic=True, image_workers=0)) as server:
        proc = subprocess.Popen(
            [str(mitmdump), "--mode", f"reverse:{server.url}", "--listen-host", "127.0.0.1",
             "--listen-port", str(port), "--set", f"hardump={har}",
             "--set", f"confdir={tmp_path / 'mitm'}", "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "HOME": str(tmp_path)})
        origin = f"http://127.0.0.1:{port}"
        try:
            answering(origin + "/__mock/health", proc, timeout=60,
                      output=lambda: proc.stdout.read() if proc.stdout else "")
            if api == "stagepro":
                _session(origin, "sk_test_through_mitmproxy", server.advance)
            else:
                with httpx.Client(base_url=origin, timeout=30,
                                  headers={"stager-api-key": "stager_test_mitm"}) as sa:
                    project = sa.post("/api/projects", json={"title": "t"}).json()["id"]
                    sa.post("/api/hdr-image-group", json={"projectId": project})
        finally:
            proc.send_signal(signal.SIGINT)  # mitmdump writes the HAR as it shuts down
            out, _ = proc.communicate(timeout=60)
    assert har.exists(), out
    assert json.loads(har.read_text())["log"]["creator"]["name"] == "mitmproxy"
    header, exchanges = record.load(har)
    assert header["api"] == api and exchanges
    # the readiness probe (GET /__mock/health) went through mitmproxy too: skipped, counted
    assert header["skipped"] == ["1 HAR entries no operation of the spec matches (pages, "
                                 "static files, preflights)"]
    replayed = _drift_and_replay_are_clean(har, api)
    assert replayed == (7 if api == "stagepro" else 2)
