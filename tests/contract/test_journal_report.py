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


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "contract_tests", "journal-report", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


def _report(url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contract_tests", "journal-report", "--base-url", url,
         "--api-key", key, *args],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_a_wrong_content_type_is_a_documented_415(stagemock_server):
    """The mock's own 415s are in the specs: journal-report flags nothing as undocumented."""
    import yaml

    from contract_tests.target import SPECS

    for api in ("stagepro", "stagerai"):
        doc = yaml.safe_load(SPECS[api].read_text())
        for item in doc["paths"].values():
            for op in item.values():
                if isinstance(op, dict) and "requestBody" in op and op["operationId"] != "putSignedUpload":
                    assert "415" in op["responses"], (api, op["operationId"])
    key, skey = "sk_test_415_report", "stager_test_415_report"
    stagemock_server.reset(key)
    stagemock_server.reset(skey)
    with httpx.Client(base_url=stagemock_server.url, timeout=30) as c:
        sent = [
            c.post("/api/v1/jobs", content=b"type=x", headers={"Authorization": f"Bearer {key}", "Content-Type": "text/plain"}),
            c.post("/api/v1/uploads", json={"file": "x"}, headers={"Authorization": f"Bearer {key}"}),
            c.post("/api/projects", content=b"title=x", headers={"stager-api-key": skey, "Content-Type": "text/plain"}),
        ]
    for r in sent:
        assert r.status_code == 415, r.text
    for key_ in (key, skey):
        proc = _run("--base-url", stagemock_server.url, "--api-key", key_, "--fail-on", "never")
        assert proc.returncode == 0, proc.stderr
        assert "UNDOCUMENTED" not in proc.stdout, proc.stdout


def test_journal_report_lists_every_violation_on_demand(stagemock_server):
    import json

    key = "sk_test_journal_report_limit"
    stagemock_server.reset(key)
    with httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"}) as c:
        for i in range(25):
            c.post("/jobs", json={"type": f"bogus-{i}"})
    out = _run("--base-url", stagemock_server.url, "--api-key", key).stdout
    assert "violating the spec: 25" in out
    assert out.count("POST /api/v1/jobs (createJob)") == 20
    assert "  … 5 more (--limit N, --json)" in out
    out = _run("--base-url", stagemock_server.url, "--api-key", key, "--limit", "30").stdout
    assert out.count("POST /api/v1/jobs (createJob)") == 25 and "more (--limit" not in out
    out = _run("--base-url", stagemock_server.url, "--api-key", key, "--limit", "3").stdout
    assert out.count("POST /api/v1/jobs (createJob)") == 3 and "… 22 more" in out
    proc = _run("--base-url", stagemock_server.url, "--api-key", key, "--json")
    data = json.loads(proc.stdout)
    assert len(data["violating"]) == 25 and data["requests"] == 25
    assert data["apis"]["stagepro"]["operations"]["createJob"]["exercised"] == {"400": 25}
    assert any(v["field"] == "type" for v in data["violating"][0]["items"])


def test_journal_report_with_no_server_is_one_line():
    import socket

    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        proc = _run("--base-url", url)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "nothing answers" in lines[0], lines


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


def test_a_request_answered_by_a_dropped_connection_is_named_so_not_none():
    """A reset or a lost answer sent as a reset has no status (the journal's ``null``): the
    text report says the connection was dropped instead of printing Python's ``None``."""
    from mock_server import journal_report

    warning = {"field": "Idempotency-Key", "message": "the header alone", "guess": True}
    entry = {"seq": 1, "method": "POST", "path": "/api/v1/jobs", "api": "stagepro",
             "operation_id": "createJob", "status": None, "conformant": True,
             "violations": [], "warnings": [warning], "fault": "flt_1",
             "fault_action": "lose_response"}
    text = journal_report.build([entry], [])
    assert "POST /api/v1/jobs (createJob) → no answer (connection dropped): " in text
    assert "None" not in text
