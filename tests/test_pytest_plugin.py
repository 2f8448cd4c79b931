"""The pytest plugin as an integrator's suite sees it: each run is a real pytest subprocess in
a temporary folder, with the plugin loaded from its entry point."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SUITE = '''
import json, os, pathlib

JOB = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
       "style": "modern", "room_type": "bedroom"}}


def test_moves_the_clock(stagepro_mock):
    stagepro_mock.advance(100)


def test_records_its_bytes(stagepro_mock):
    with stagepro_mock.client() as api:
        created = api.post("/jobs", json=JOB)
        stagepro_mock.advance(10)
        done = api.get(f"/jobs/{created.json()['id']}")
        image = api.get(done.json()["output"]["images"][0]["url"])
    out = pathlib.Path(os.environ["BYTES_OUT"])
    out.write_text(json.dumps([created.text, done.text, image.content.hex()]))


def test_sends_a_bad_request(stagepro_mock):
    with stagepro_mock.client() as api:
        api.post("/jobs", json={"type": "virtual-stage", "input": {"image_url": 42}})


def test_an_undocumented_style(stagepro_mock):
    body = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
            "style": "victorian", "room_type": "bedroom"}}
    with stagepro_mock.client() as api:
        r = api.post("/jobs", json=body)
    assert r.status_code == int(os.environ["EXPECT"]), r.text


def test_console_client_reaches_the_console(stagepro_mock):
    with stagepro_mock.console() as console:
        r = console.get("/webhooks")
    assert r.status_code == 200, r.text
    assert r.json()["data"] == []
'''


def run_suite(tmp_path: Path, *args: str, bytes_out: Path | None = None,
              expect: int = 400) -> tuple[dict, str]:
    (tmp_path / "test_suite.py").write_text(SUITE)
    report = tmp_path / "junit.xml"
    env = {"BYTES_OUT": str(bytes_out or tmp_path / "bytes.json"), "PATH": "/usr/bin:/bin",
           "EXPECT": str(expect)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "no:xdist", f"--junitxml={report}", "--stagemock-image-workers", "0", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env, check=False)
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        text = " ".join((child.get("message") or "") + (child.text or "") for child in case)
        outcomes[case.get("name")] = (kinds[0] if kinds else "passed", text)
    return outcomes, proc.stdout


def test_a_tests_bytes_do_not_depend_on_the_tests_before_it(tmp_path):
    alone, after = tmp_path / "alone.json", tmp_path / "after.json"
    run_suite(tmp_path, "test_suite.py::test_records_its_bytes", bytes_out=alone)
    outcomes, _ = run_suite(tmp_path, "test_suite.py::test_moves_the_clock",
                            "test_suite.py::test_records_its_bytes", bytes_out=after)
    assert outcomes["test_records_its_bytes"][0] == "passed", outcomes
    # each run's server has its own free port: the only difference allowed
    first, second = (json.loads(re.sub(r"127\.0\.0\.1:\d+", "HOST", path.read_text()))
                     for path in (alone, after))
    assert '"created_at":"2026-01-01T00:00:00Z"' in first[0]
    assert first == second


def test_strict_mode_fails_the_test_naming_the_request(tmp_path):
    outcomes, _ = run_suite(tmp_path, "--stagemock-strict", "test_suite.py")
    kind, text = outcomes["test_sends_a_bad_request"]
    assert kind == "failure", outcomes  # FAILED in its call phase, not an ERROR at teardown
    assert "POST /api/v1/jobs (createJob)" in text and "input.image_url" in text, text
    for name in ("test_moves_the_clock", "test_records_its_bytes",
                 "test_console_client_reaches_the_console"):
        assert outcomes[name][0] == "passed", outcomes


def test_without_strict_mode_the_bad_request_passes(tmp_path):
    outcomes, _ = run_suite(tmp_path, "test_suite.py::test_sends_a_bad_request")
    assert outcomes["test_sends_a_bad_request"][0] == "passed"


def test_stagemock_url_takes_the_root_or_the_api_base_url(tmp_path, stagemock_server):
    for url in (stagemock_server.url, stagemock_server.url + "/api/v1"):
        outcomes, out = run_suite(tmp_path, f"--stagemock-url={url}",
                                  "test_suite.py::test_console_client_reaches_the_console",
                                  "test_suite.py::test_sends_a_bad_request", "--stagemock-strict")
        assert outcomes["test_console_client_reaches_the_console"][0] == "passed", out
        assert outcomes["test_sends_a_bad_request"][0] == "failure", out


def test_lenient_mode_accepts_a_request_that_breaks_only_a_guess(tmp_path):
    """`style: victorian` breaks only the mock's guessed style enum: strict by default (400),
    accepted with --stagemock-lenient (and then not a violation for strict mode either)."""
    outcomes, out = run_suite(tmp_path, "test_suite.py::test_an_undocumented_style",
                              "--stagemock-strict")
    assert outcomes["test_an_undocumented_style"][0] == "failure", out  # 400, and a violation
    outcomes, out = run_suite(tmp_path, "test_suite.py::test_an_undocumented_style",
                              "--stagemock-lenient", "--stagemock-strict", expect=202)
    assert outcomes["test_an_undocumented_style"][0] == "passed", out
