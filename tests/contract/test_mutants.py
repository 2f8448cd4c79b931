"""The suite's own power: it must fail every deliberately broken mock, the report naming the
check that caught it (``Mutant.catches``), pass the real mock, and run against a server
without the /__mock/ control plane."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from contract_tests import checks
from mock_server import Settings
from mock_server.mounts import BASE_PATHS
from mock_server.testing import RunningServer
from tests.contract.mutants import MUTANTS, Mutant, NoControlPlane


def _check(api: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``stagemock check`` against the server at ``url`` (its root: the API's base follows)."""
    base = url + BASE_PATHS[api]
    cmd = [sys.executable, "-m", "contract_tests", api, "--base-url", base, "--max-examples", "10", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)


def _args(m: Mutant) -> list[str]:
    args: list[str] = []
    for op in m.operations:
        args += ["--include-operation", op]
    for name in m.catches:
        args += ["--check", name]
    if m.phases:
        args += ["--phases", m.phases]
    return args


def _section(out: str, mutant: Mutant) -> str:
    """The part of the report where the mutant must show up: the problems, or (a foreign
    server breaking only guesses) the guesses."""
    head = "problem(s):" if mutant.exit_code == 1 else mutant.apart
    assert head in out, f"mutant {mutant.name}: no {head!r} in the report:\n{out[-3000:]}"
    return out[out.index(head):]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_suite_catches_mutant(mutant, tmp_path):
    junit = tmp_path / "report.xml"
    settings = (Settings(deterministic=False, job_seconds=0.5) if mutant.live_clock
                else Settings(deterministic=True))
    with RunningServer(settings, app_wrapper=mutant.wrap) as server:
        proc = _check(mutant.api, server.url, *_args(mutant), "--junit", str(junit))
    out = proc.stdout + proc.stderr
    if mutant.exit_code == 1:
        assert proc.returncode == 1, f"mutant {mutant.name} passed the suite:\n{out[-3000:]}"
    else:  # it breaks only guesses of the spec: reported, not failed
        assert proc.returncode == mutant.exit_code, f"mutant {mutant.name}:\n{out[-3000:]}"
        assert "problem(s)" not in out, out[-3000:]
    section = _section(out, mutant)
    lines = section.splitlines()
    for name in mutant.catches:
        named = [i for i, line in enumerate(lines) if f"- [{name}] " in line]
        assert named, f"the report does not name the check {name!r}:\n{out[-3000:]}"
        first = lines[named[0]]
        assert "KeyError" not in first and "Traceback" not in section, out[-3000:]
        # the operation, then a curl command on the next line
        assert "(" in first and ")" in first, f"no operation named: {first}"
        assert lines[named[0] + 1].strip().startswith("curl -X "), f"no curl after: {first}"
    for words in mutant.says:
        assert words.lower() in section.lower(), f"report does not say {words!r}:\n{out[-3000:]}"
    for words in mutant.never_says:
        assert words.lower() not in section.lower(), f"report says {words!r}:\n{out[-3000:]}"
    # --junit holds the property tests next to schemathesis's cases, the check named
    root = ET.parse(junit).getroot()
    kinds = {checks.get(n).kind for n in mutant.catches}
    suites = {s.get("name") for s in root.iter("testsuite")}
    if "property" in kinds:
        assert "properties" in suites, suites
        failed = [c for c in root.iter("testcase") if c.find("failure") is not None]
        names = {p.get("value") for c in failed for p in c.iter("property") if p.get("name") == "check"}
        assert {n for n in mutant.catches if checks.get(n).kind == "property"} <= names, names
    if "schemathesis" in kinds:
        assert "schemathesis" in suites, suites


def test_suite_runs_against_a_server_without_control_plane():
    with RunningServer(Settings(deterministic=False, job_seconds=0.5), app_wrapper=NoControlPlane) as server:
        proc = _check("stagepro", server.url, "--include-operation", "getCapabilities",
                      "--check", "auth_required", "--check", "magic_failure",
                      "--check", "response_schema_conformance", "--check", "status_code_conformance")
    out = proc.stdout + proc.stderr
    assert "no /__mock/ control plane" in out, out[-2000:]
    assert "skipped" in out and "needs the stagemock control plane" in out, out[-2000:]
    assert proc.returncode == 0, out[-3000:]


@pytest.mark.parametrize("how", ["strict-guesses", "against-the-mock"])
def test_guesses_are_enforced_when_asked_or_against_the_mock(how):
    """The server that accepts an undocumented style fails `check` with --strict-guesses, and
    when it has the control plane (it is the mock: its guesses are its contract)."""
    import dataclasses

    base = next(m for m in MUTANTS if m.name == "accepts-undocumented-style")
    mutant = dataclasses.replace(base, foreign=how != "against-the-mock", exit_code=1)
    extra = ["--strict-guesses"] if how == "strict-guesses" else []
    with RunningServer(Settings(deterministic=True), app_wrapper=mutant.wrap) as server:
        proc = _check(mutant.api, server.url, *_args(mutant), *extra)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "disagrees with these guesses" not in out, out[-3000:]
    assert "createJob" in out and "invalid input was accepted" in out, out[-3000:]
    assert "a guess of the spec" in out and "input.style" in out, out[-3000:]
    assert "[negative_data_rejection]" in out, out[-3000:]
