"""`stagemock journal-report` names what a client exercised against what the specs offer."""

from __future__ import annotations

import subprocess
import sys

import httpx


def test_journal_report_lists_exercised_operations_and_violations(stagemock_server):
    key = "sk_test_journal_report"
    stagemock_server.reset(key)
    c = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})
    c.get("/capabilities")
    c.post("/jobs", json={"type": "bogus"})
    proc = subprocess.run(
        [sys.executable, "-m", "contract_tests", "journal-report", "--base-url", stagemock_server.url, "--api-key", key],
        capture_output=True, text=True, timeout=60, check=False,
    )
    out = proc.stdout
    assert proc.returncode == 1, proc.stderr  # the client sent a request that violates the spec
    assert "stagepro: 2/18 operations exercised" in out
    assert "[x] getCapabilities" in out and "[ ] getUsage" in out
    assert "violating the spec: 1" in out and "createJob" in out
    assert "job.completed" in out


def _report(url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contract_tests", "journal-report", "--base-url", url,
         "--api-key", key, *args],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_journal_report_lists_guesses_apart_and_gates_on_fail_on(stagemock_server):
    key = "sk_test_journal_report_guesses"
    stagemock_server.reset(key)
    c = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})
    guess = {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg", "style": "victorian"}}
    assert c.post("/jobs", json=guess).status_code == 400  # strict by default: a guess
    url = stagemock_server.url
    proc = _report(url, key)
    assert proc.returncode == 0, proc.stdout  # only a guess: not a violation
    assert "violating the spec: 0" in proc.stdout
    assert "breaking only guesses of the mock" in proc.stdout and "input.style" in proc.stdout
    assert _report(url, key, "--fail-on", "guesses").returncode == 1
    c.post("/jobs", json={"type": "bogus"})  # a documented rule (the job types)
    assert _report(url, key).returncode == 1
    assert _report(url, key, "--fail-on", "never").returncode == 0


def test_journal_report_counts_lenient_warnings_as_guesses():
    from mock_server import Settings
    from mock_server.testing import RunningServer

    key = "sk_test_journal_report_lenient"
    with RunningServer(Settings(deterministic=True, lenient=True, image_workers=0)) as server:
        c = httpx.Client(base_url=server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})
        body = {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg", "style": "victorian"}}
        assert c.post("/jobs", json=body).status_code == 202
        ok = _report(server.url, key)
        strict = _report(server.url, key, "--fail-on", "guesses")
    assert ok.returncode == 0, ok.stdout
    assert "breaking only guesses of the mock (rules the vendor's reference does not state" in ok.stdout
    assert "accepted (--lenient)" in ok.stdout
    assert strict.returncode == 1
