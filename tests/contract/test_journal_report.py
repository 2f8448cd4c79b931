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
    assert proc.returncode == 0, proc.stderr
    assert "stagepro: 2/18 operations exercised" in out
    assert "[x] getCapabilities" in out and "[ ] getUsage" in out
    assert "violating the spec: 1" in out and "createJob" in out
    assert "job.completed" in out


def _report(*args):
    return subprocess.run(
        [sys.executable, "-m", "contract_tests", "journal-report", *args],
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
        proc = _report("--base-url", stagemock_server.url, "--api-key", key_)
        assert proc.returncode == 0, proc.stderr
        assert "UNDOCUMENTED" not in proc.stdout, proc.stdout


def test_journal_report_lists_every_violation_on_demand(stagemock_server):
    import json

    key = "sk_test_journal_report_limit"
    stagemock_server.reset(key)
    with httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"}) as c:
        for i in range(25):
            c.post("/jobs", json={"type": f"bogus-{i}"})
    out = _report("--base-url", stagemock_server.url, "--api-key", key).stdout
    assert "violating the spec: 25" in out
    assert out.count("POST /api/v1/jobs (createJob)") == 20
    assert "  … 5 more (--limit N, --json)" in out
    out = _report("--base-url", stagemock_server.url, "--api-key", key, "--limit", "30").stdout
    assert out.count("POST /api/v1/jobs (createJob)") == 25 and "more (--limit" not in out
    out = _report("--base-url", stagemock_server.url, "--api-key", key, "--limit", "3").stdout
    assert out.count("POST /api/v1/jobs (createJob)") == 3 and "… 22 more" in out
    proc = _report("--base-url", stagemock_server.url, "--api-key", key, "--json")
    data = json.loads(proc.stdout)
    assert len(data["violating"]) == 25 and data["requests"] == 25
    assert data["apis"]["stagepro"]["operations"]["createJob"]["exercised"] == {"400": 25}
    assert any(v["field"] == "type" for v in data["violating"][0]["violations"])


def test_journal_report_with_no_server_is_one_line():
    import socket

    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        proc = _report("--base-url", url)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "nothing answers" in lines[0], lines
