"""What one problem line of ``stagemock check`` says (issue 24): one cause is one problem,
whichever checks and operations saw it."""

from __future__ import annotations

import re
import subprocess
import sys

import orjson

from mock_server import Settings
from mock_server.testing import RunningServer
from tests.contract.mutants import Mutant


def _check(base: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "contract_tests", "stagepro", "--base-url", base, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)


def _problems(out: str) -> list[str]:
    assert "problem(s):" in out, out[-3000:]
    return [line for line in out[out.index("problem(s):"):].splitlines() if line.startswith("  - [")]


def _post_501(meth, path, status, headers, body):
    """A server that implements no POST: 501 to every one, on any path."""
    if meth == "POST":
        headers["content-type"] = "application/json"
        body = orjson.dumps({"error": {"code": "not_implemented", "message": "no POST here"}})
        return 501, headers, body
    return status, headers, body


def test_a_501_to_one_method_is_one_problem_listing_its_paths():
    no_post = Mutant("post-answers-501", "stagepro", ("not_a_server_error",), transform=_post_501)
    with RunningServer(Settings(deterministic=True), app_wrapper=no_post.wrap) as server:
        proc = _check(server.url + "/api/v1", "--max-examples", "3", "--phases",
                      "examples,coverage", "--no-properties", "--check", "not_a_server_error",
                      "--check", "unsupported_method", "--check", "status_code_conformance")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    problems = _problems(out)
    assert len(problems) == 1, "\n".join(problems)
    line = problems[0]
    assert line.startswith("  - [not_a_server_error] POST (") and "every POST answered 501" in line
    for name in ("not_a_server_error", "unsupported_method"):
        assert name in line, line
    # a 501 is no undeclared status: every operation declares a (guessed) 5XX answer
    assert "status_code_conformance" not in line, line
    # the requests sent, a GET-only path among them (the unsupported-method probe)
    assert "POST /jobs" in line and "POST /usage" in line, line
    assert int(re.search(r"POST \((\d+) paths\)", line).group(1)) >= 10, line


def _bogus_job_type(data):
    data["job_types"][2] = "bogus-" + "x" * 300
    return data


def test_a_schema_finding_says_keyword_place_and_value_not_the_schema():
    from tests.contract.mutants import _json_edit

    bad = Mutant("bogus-job-type", "stagepro", ("response_schema_conformance",),
                 transform=_json_edit(r"/api/v1/capabilities", "GET", _bogus_job_type))
    with RunningServer(Settings(deterministic=True), app_wrapper=bad.wrap) as server:
        proc = _check(server.url + "/api/v1", "--max-examples", "3", "--phases", "coverage",
                      "--include-operation", "getCapabilities",
                      "--check", "response_schema_conformance")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    problems = _problems(out)
    assert len(problems) == 1, "\n".join(problems)
    line = problems[0]
    assert '`job_types[2]` is "bogus-xxx' in line and "… (`enum`)" in line, line
    assert "; ;" not in line and "Schema at" not in line and len(line) < 400, line
    after = out.splitlines()[out.splitlines().index(line) + 1]
    assert after.strip().startswith("curl -X GET "), after


def test_distinct_failures_of_a_state_machine_are_each_said_in_words():
    """Hypothesis finds two distinct failures of ``job_lifecycle`` (a poll and the final
    wait, both on jobs without ``status``): each is said, not ``ExceptionGroup: …``."""
    from tests.contract.mutants import MUTANTS

    dropped = next(m for m in MUTANTS if m.name == "job-status-dropped")
    with RunningServer(Settings(deterministic=True), app_wrapper=dropped.wrap) as server:
        proc = _check(server.url + "/api/v1", "--check", "job_lifecycle")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    line = next(p for p in _problems(out) if p.startswith("  - [job_lifecycle]"))
    assert "ExceptionGroup" not in out and "Hypothesis found" not in out, line
    assert re.search(r"2 distinct failures: \(1\) GET /api/v1/jobs/\S+ answered 200 without "
                     r"`status`; \(2\) GET /api/v1/jobs/\S+ answered 200 without `status`", line), line


def test_a_group_of_failures_reads_as_numbered_words():
    from contract_tests.suites.conftest import in_words
    from contract_tests.suites.helpers import NeverCompleted

    group = ExceptionGroup("Hypothesis found 2 distinct failures", [
        AssertionError("job j1 moved backwards to processing\nassert 1 >= 2"),
        ExceptionGroup("inner", [NeverCompleted("job j2 never completed within 3 s"),
                                 KeyError("data")]),
    ])
    assert in_words(group, "GET /api/v1/jobs/j2") == (
        "3 distinct failures: (1) job j1 moved backwards to processing; "
        "(2) job j2 never completed within 3 s; "
        "(3) GET /api/v1/jobs/j2 answered something unexpected (KeyError: 'data')")


def _refuse_all_but_usage(meth, path, status, headers, body):
    """A server that takes the key on ``GET /usage`` only (so ``check``'s key probe passes)
    and answers every other request 401 in its own words, not the spec's error shape."""
    if path.startswith("/api/v1/") and path != "/api/v1/usage":
        headers["content-type"] = "application/json"
        return 401, headers, orjson.dumps({"message": "Unauthorized"})
    return status, headers, body


def test_the_same_401_on_every_operation_is_one_problem_with_the_count():
    refusing = Mutant("refuses-the-key", "stagepro", ("response_schema_conformance",),
                      transform=_refuse_all_but_usage)
    with RunningServer(Settings(deterministic=True), app_wrapper=refusing.wrap) as server:
        proc = _check(server.url + "/api/v1", "--max-examples", "2", "--phases", "examples",
                      "--no-properties", "--check", "response_schema_conformance",
                      "--check", "status_code_conformance")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    problems = _problems(out)
    assert len(problems) == 1, "\n".join(problems)
    line = problems[0]
    count = int(re.search(r"\] 401 \((\d+) operations\): ", line).group(1))
    assert count >= 10, line
    assert f"401 answered to {count} operations" in line and "createJob" in line, line
    assert "is the key one the server takes" in line, line
    assert "getUsage" not in line, line  # the one operation that took the key


def test_a_401_on_one_operation_is_not_folded():
    from contract_tests.causes import refused_everywhere
    from contract_tests.findings import Finding

    def finding(op, status=401):
        return Finding(op, "response_schema_conformance", "t", (), "GET /x", status=status,
                       method="GET")

    one = [finding("getJob (GET /jobs/{id})"), finding("getJob (GET /jobs/{id})"),
           finding("listJobs (GET /jobs)", status=200)]
    assert refused_everywhere(one, lambda f: True) == ([], one)
    two = one + [finding("getUsage (GET /usage)")]
    problems, rest = refused_everywhere(two, lambda f: True)
    assert [p.operation for p in problems] == ["401 (2 operations)"]
    assert "(3 failed checks)" in problems[0].message and problems[0].rule == "documented"
    assert [f.operation for f in rest] == ["listJobs (GET /jobs)"]
    assert refused_everywhere(two, lambda f: False) == ([], two)  # reported apart: not folded
