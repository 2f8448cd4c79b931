"""The pytest plugin's session report (``--stagemock-report``, ``--stagemock-fail-on``): each
test's journal is collected before its reset wipes it, so the report covers the whole session,
every xdist worker's tests included. Each run is a real pytest subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SUITE = '''
import os


def _worker():
    with open(os.environ["WORKERS_OUT"], "a") as out:
        out.write((os.environ.get("PYTEST_XDIST_WORKER") or "main") + "\\n")


def test_reads_the_usage(stagepro_mock):
    _worker()
    with stagepro_mock.client() as api:
        assert api.get("/usage").status_code == 200


def test_reads_the_capabilities(stagepro_mock):
    _worker()
    with stagepro_mock.client() as api:
        assert api.get("/capabilities").status_code == 200


def test_sends_a_bad_job(stagepro_mock):
    _worker()
    with stagepro_mock.client() as api:
        r = api.post("/jobs", json={"type": "virtual-stage", "input": {"image_url": 42}})
    assert r.status_code == 400
'''


def run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict, list[str]]:
    (tmp_path / "test_suite.py").write_text(SUITE)
    junit, workers = tmp_path / "junit.xml", tmp_path / "workers.txt"
    workers.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         f"--junitxml={junit}", "--stagemock-image-workers", "0", "test_suite.py", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin", "WORKERS_OUT": str(workers)})
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name")] = kinds[0] if kinds else "passed"
    return proc, outcomes, workers.read_text().split()


def _covers_the_session(text: str) -> None:
    assert re.search(r"^stagepro: 3/\d+ operations exercised$", text, re.M), text
    for op in ("getUsage", "getCapabilities", "createJob"):
        assert re.search(rf"^  \[x\] {op} ", text, re.M), text
    assert "requests: 3, violating the spec: 1" in text, text
    assert "POST /api/v1/jobs (createJob) → 400" in text and "input.image_url" in text, text


def test_the_report_covers_every_test_and_only_reports_by_default(tmp_path):
    report = tmp_path / "stagemock-report.txt"
    proc, outcomes, _ = run(tmp_path, "-p", "no:xdist", f"--stagemock-report={report}")
    assert proc.returncode == 0, proc.stdout
    assert set(outcomes.values()) == {"passed"}, outcomes
    _covers_the_session(report.read_text())
    assert f"report written to {report}" in proc.stdout, proc.stdout


def test_fail_on_violations_fails_the_session_whose_tests_all_passed(tmp_path):
    report = tmp_path / "stagemock-report.txt"
    proc, outcomes, _ = run(tmp_path, "-p", "no:xdist", f"--stagemock-report={report}",
                            "--stagemock-fail-on", "violations")
    assert set(outcomes.values()) == {"passed"}, outcomes
    assert proc.returncode == 1, proc.stdout
    assert "3 passed" in proc.stdout, proc.stdout
    summary = proc.stdout.split("stagemock report", 1)[1]
    assert "--stagemock-fail-on violations: 1 request violated a documented rule" in summary
    assert "POST /api/v1/jobs (createJob) → 400" in summary, summary
    assert "so the session fails even though its tests passed" in summary, summary
    _covers_the_session(report.read_text())
    # the gate alone needs no file; `never` collects nothing and fails nothing
    proc, _, _ = run(tmp_path, "-p", "no:xdist", "--stagemock-fail-on", "violations")
    assert proc.returncode == 1 and "stagepro 3/" in proc.stdout, proc.stdout
    proc, _, _ = run(tmp_path, "-p", "no:xdist", "--stagemock-fail-on", "never")
    assert proc.returncode == 0 and "stagemock report" not in proc.stdout, proc.stdout


def test_the_gate_never_says_the_tests_passed_when_one_failed(tmp_path):
    """issue 34: the paragraph said "even though its tests passed" after a failed test."""
    (tmp_path / "test_failing.py").write_text(
        "def test_bad_job_and_a_failure(stagepro_mock):\n"
        "    with stagepro_mock.client() as api:\n"
        "        api.post('/jobs', json={'type': 'virtual-stage', 'input': {'image_url': 42}})\n"
        "    assert False, 'a failing test'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "no:xdist", "--stagemock-image-workers", "0", "test_failing.py",
         "--stagemock-fail-on", "violations"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1 and "1 failed" in proc.stdout, proc.stdout
    summary = proc.stdout.split("stagemock report", 1)[1]
    assert "1 request violated a documented rule" in summary, summary
    assert "; 1 request, 1 violating the spec, " in summary, summary  # not "1 requests"
    assert "even though its tests passed" not in summary, summary
    assert "which fails the session too" in summary, summary


def test_under_xdist_the_controller_merges_every_workers_entries(tmp_path):
    report = tmp_path / "stagemock-report.txt"
    proc, outcomes, workers = run(tmp_path, "-n", "2", f"--stagemock-report={report}",
                                  "--stagemock-fail-on", "violations")
    assert set(outcomes.values()) == {"passed"}, outcomes
    assert sorted(set(workers)) == ["gw0", "gw1"], workers  # both ran some of the tests
    assert proc.returncode == 1, proc.stdout
    _covers_the_session(report.read_text())


def test_a_shared_server_is_collected_by_each_tests_key_and_json_is_the_same(
        tmp_path, stagemock_server):
    report = tmp_path / "report.json"
    proc, outcomes, _ = run(tmp_path, "-p", "no:xdist", f"--stagemock-url={stagemock_server.url}",
                            f"--stagemock-report={report}")
    assert proc.returncode == 0 and set(outcomes.values()) == {"passed"}, proc.stdout
    data = json.loads(report.read_text())
    stagepro = data["apis"]["stagepro"]
    assert stagepro["exercised"] == 3, stagepro
    assert {op for op, o in stagepro["operations"].items() if o["exercised"]} == {
        "getUsage", "getCapabilities", "createJob"}
    assert data["requests"] == 3 and len(data["violating"]) == 1, data
    assert data["violating"][0]["operation_id"] == "createJob"
    assert data["incomplete"] == []


WEBHOOK_SUITE = '''
def test_gets_a_webhook(stagepro_mock, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    endpoint = stagepro_mock.console().post("/webhooks", json={"url": rx.url}).json()
    stagepro_mock.wait_for_webhook(endpoint["id"])
    stagepro_mock.client().post("/jobs", json={
        "type": "empty-room", "input": {"image_url": "https://photos.example/room.jpg"},
        "webhook_endpoint_id": endpoint["id"]})
    stagepro_mock.advance(10)
    rx.wait_for(1)
'''


def test_webhook_deliveries_are_collected_before_the_reset(tmp_path):
    (tmp_path / "test_hook.py").write_text(WEBHOOK_SUITE)
    report = tmp_path / "stagemock-report.txt"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "--stagemock-image-workers", "0", "test_hook.py", f"--stagemock-report={report}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout
    text = report.read_text()
    assert "webhook events delivered: 1" in text and "[x] job.completed ×1" in text, text
