"""``stagepro_mock.fault(...)`` as an integrator's suite uses it: a real pytest subprocess with
the plugin from its entry point, under pytest-xdist against one shared mock."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SUITE = '''
JOB = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
       "style": "modern", "room_type": "bedroom"}}


def test_a_fault_on_my_key(stagepro_mock):
    stagepro_mock.fault("error", status=503, times=None)
    with stagepro_mock.client() as api:
        assert [api.get("/jobs").status_code for _ in range(30)] == [503] * 30


def test_no_fault_on_mine(stagepro_mock):
    with stagepro_mock.client() as api:
        assert [api.get("/jobs").status_code for _ in range(30)] == [200] * 30


def test_lost_and_retried_without_a_key(stagepro_mock):
    stagepro_mock.fault("lose_response", "createJob")
    with stagepro_mock.client() as api:
        assert api.post("/jobs", json=JOB).status_code == 502
        assert api.post("/jobs", json=JOB).status_code == 202


def test_lost_and_retried_with_its_key(stagepro_mock):
    stagepro_mock.fault("lose_response", "createJob")
    with stagepro_mock.client(headers={"Idempotency-Key": "photo-1"}) as api:
        assert api.post("/jobs", json=JOB).status_code == 502
        assert api.post("/jobs", json=JOB).status_code == 202
'''


def _run(tmp_path: Path, *args: str) -> dict[str, tuple[str, str]]:
    (tmp_path / "test_suite.py").write_text(SUITE)
    report = tmp_path / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         f"--junitxml={report}", "--stagemock-image-workers", "0", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin"})
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        text = " ".join((child.get("message") or "") + (child.text or "") for child in case)
        outcomes[case.get("name")] = (kinds[0] if kinds else "passed", text)
    return outcomes


def test_under_xdist_a_fault_on_one_key_is_invisible_to_another(tmp_path, server):
    outcomes = _run(tmp_path, "-n", "2", f"--stagemock-url={server.url}",
                    "test_suite.py::test_a_fault_on_my_key",
                    "test_suite.py::test_no_fault_on_mine")
    assert outcomes["test_a_fault_on_my_key"][0] == "passed", outcomes
    assert outcomes["test_no_fault_on_mine"][0] == "passed", outcomes
    assert server.faults() == []  # each test's rules end with it


def test_strict_mode_names_the_duplicate_a_retry_without_a_key_made(tmp_path):
    outcomes = _run(tmp_path, "-p", "no:xdist", "--stagemock-strict",
                    "test_suite.py::test_lost_and_retried_without_a_key",
                    "test_suite.py::test_lost_and_retried_with_its_key")
    kind, text = outcomes["test_lost_and_retried_without_a_key"]
    assert kind == "failure", outcomes
    assert "the client mishandled injected faults" in text and "[duplicate]" in text, text
    assert "without an `idempotency_key`" in text
    assert "the reference documents the body field `idempotency_key`" in text
    assert outcomes["test_lost_and_retried_with_its_key"][0] == "passed", outcomes
