"""``stagemock check`` talks while it works (issue 24): each phase and operation of
schemathesis and each property test as they end (plain lines when stdout is not a
terminal, one updating line on a terminal), ``--fail-fast`` stops at the first problem, and
a server whose jobs never end costs one ``--job-timeout``, said in words."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time

from contract_tests.progress import Progress, PropertyEvents, SchemathesisEvents
from mock_server import Settings
from mock_server.testing import RunningServer
from tests.contract.mutants import JOB, MUTANTS, Mutant, _json_edit, _never_completes


def _check(base: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "contract_tests", "stagepro", "--base-url", base, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def test_a_terminal_gets_one_updating_line_cleared_before_the_report():
    out = io.StringIO()
    progress = Progress(out, tty=True)
    events = SchemathesisEvents(progress)
    events({"LoadingFinished": {"statistic": {"operations": {"selected": 2}}}})
    events({"PhaseStarted": {"phase": {"name": "coverage"}}})
    events({"ScenarioFinished": {"phase": "coverage", "status": "success",
                                 "recorder": {"label": "GET /usage"}}})
    PropertyEvents(progress)({"started": "test_x", "check": "pagination"})
    assert "\n" not in out.getvalue(), out.getvalue()
    steps = out.getvalue().split("\r")[1:]
    assert [s.removesuffix("\x1b[K") for s in steps] == [
        "schemathesis: coverage phase (2 operations)",
        "  coverage 1/2 GET /usage: ok",
        "  properties 1/? pagination: running test_x",
    ]
    progress.clear()
    assert out.getvalue().endswith("\r\x1b[K")


def test_fail_fast_stops_at_the_first_failure_and_says_each_operation_on_the_way():
    mutant = next(m for m in MUTANTS if m.name == "wrong-status-code")  # GET /usage: 201
    with RunningServer(Settings(deterministic=True), app_wrapper=mutant.wrap) as server:
        proc = _check(server.url + "/api/v1", "--max-examples", "5", "--phases",
                      "examples,coverage", "--check", "status_code_conformance",
                      "--check", "auth_required", "--fail-fast")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    lines = out.splitlines()
    assert "schemathesis: examples phase (18 operations)" in lines, out[-3000:]
    steps = [line for line in lines if re.match(r"  (examples|coverage) \d+/18 ", line)]
    failed = [i for i, line in enumerate(steps) if "failed: status_code_conformance" in line]
    assert failed and "GET /usage" in steps[failed[0]], out[-3000:]
    assert failed[0] == len(steps) - 1, f"went on after the first failure:\n{out[-3000:]}"
    assert "property tests: not run (--fail-fast" in out, out[-3000:]
    assert "[status_code_conformance] getUsage (GET /usage)" in out, out[-3000:]


def test_jobs_that_never_end_cost_one_job_timeout_said_in_words():
    never = Mutant("jobs-never-end-foreign", "stagepro", ("terminal_state",), foreign=True,
                   transform=_json_edit(JOB, "GET", _never_completes))
    with RunningServer(Settings(deterministic=False, job_seconds=0.5),
                       app_wrapper=never.wrap) as server:
        start = time.monotonic()
        proc = _check(server.url + "/api/v1", "--check", "terminal_state",
                      "--check", "job_lifecycle", "--job-timeout", "3", timeout=300)
        took = time.monotonic() - start
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "property tests: 2 test(s)" in out, out[-3000:]
    assert re.search(r"  properties 1/2 terminal_state: failed", out), out[-3000:]
    section = out[out.index("problem(s):"):]
    assert "[terminal_state]" in section and "never completed within 3 s" in section, section
    assert "[job_lifecycle]" in section and "never completed within 3 s" in section, section
    # one 3 s wait, not 120 s per poll: the lifecycle's later waits fail at once
    assert took < 100, f"took {took:.0f} s:\n{out[-3000:]}"
