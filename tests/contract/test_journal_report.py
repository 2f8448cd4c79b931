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
