"""``stagemock journal-report`` reads what a client did after each injected fault."""

from __future__ import annotations

import subprocess
import sys

import httpx

JOB = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
       "style": "modern", "room_type": "bedroom"}}


def _report(url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "journal-report", "--base-url", url,
         "--api-key", key, *args],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_fail_on_resilience_names_the_duplicate_and_injected_codes_are_not_undocumented(
        server):
    key = "sk_test_resilience_report"
    server.fault("stagepro", "lose_response", operation="createJob", api_key=key)
    server.fault("stagepro", "error", operation="getUsage", api_key=key, status=503)
    with httpx.Client(base_url=server.url + "/api/v1", timeout=10,
                      headers={"Authorization": f"Bearer {key}"}) as api:
        assert api.post("/jobs", json=JOB).status_code == 502
        job = api.post("/jobs", json=JOB).json()["id"]
        assert api.get("/usage").status_code == 503  # and never retried
    proc = _report(server.url, key, "--fail-on", "resilience")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "client resilience: 2 injected answers, 2 findings" in out, out
    assert "[duplicate]" in out and job in out
    assert "[never_retried] GET /api/v1/usage (getUsage)" in out
    assert "UNDOCUMENTED" not in out  # 502 and 503 were the faults', not the mock's
    assert _report(server.url, key).returncode == 0  # the default gate: spec violations only


def test_the_resilience_report_over_http_is_journal_reports_own(server):
    """``GET /__mock/resilience`` gives a client in any language what ``journal-report --json``
    says of its faults: the same count of injected answers and the same findings."""
    import json

    key = "sk_test_resilience_http"
    other = "sk_test_resilience_http_other"
    server.fault("stagepro", "lose_response", operation="createJob", api_key=key)
    server.fault("stagepro", "error", operation="getUsage", api_key=key, status=503)
    server.fault("stagepro", "error", operation="getUsage", api_key=other, status=503)
    for k in (key, other):
        with httpx.Client(base_url=server.url + "/api/v1", timeout=10,
                          headers={"Authorization": f"Bearer {k}"}) as api:
            if k == key:
                assert api.post("/jobs", json=JOB).status_code == 502
                assert api.post("/jobs", json=JOB).status_code == 202
            assert api.get("/usage").status_code == 503
    answer = httpx.get(f"{server.url}/__mock/resilience", params={"api_key": key}, timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    report = json.loads(_report(server.url, key, "--json", "--fail-on", "never").stdout)
    assert body["faults_injected"] == report["faults_injected"] == 2
    assert body["resilience"] == report["resilience"]
    assert [f["kind"] for f in body["resilience"]] == ["duplicate", "never_retried"]
    assert {f["api_key"] for f in body["resilience"]} == {key}
    every = httpx.get(f"{server.url}/__mock/resilience", timeout=10).json()["resilience"]
    assert len([f for f in every if f["api_key"] in (key, other)]) == 3  # no key: every key
    assert httpx.get(f"{server.url}/__mock/resilience", params={"max_retries": -1},
                     timeout=10).status_code == 400


def test_the_control_client_reads_the_resilience_report(server):
    """``ControlPlane.resilience_report()`` is ``GET /__mock/resilience`` (one key's, or
    every key's; ``max_retries`` passed on), and a scoped view sends its own key."""
    from mock_server.control import ScopedControlPlane

    key = "sk_test_resilience_client"
    server.fault("stagepro", "error", operation="getUsage", api_key=key, status=503, times=3)
    with httpx.Client(base_url=server.url + "/api/v1", timeout=10,
                      headers={"Authorization": f"Bearer {key}"}) as api:
        for _ in range(3):  # sent, retried twice, then given up
            assert api.get("/usage").status_code == 503
    report = server.resilience_report(key)
    assert report["faults_injected"] == 3 and report["max_retries"] == 5
    kinds = [f["kind"] for f in report["resilience"]]
    assert "never_retried" in kinds and "retry_storm" not in kinds, kinds
    strict = server.resilience_report(key, max_retries=1)
    assert strict["max_retries"] == 1
    assert "retry_storm" in [f["kind"] for f in strict["resilience"]]
    view = ScopedControlPlane(server, key)
    assert view.resilience_report(max_retries=1) == strict
    assert {f["api_key"] for f in server.resilience_report()["resilience"]} >= {key}
