"""The suite's own power: it must fail every deliberately broken mock, naming the problem,
pass the real mock, and run against a server without the /__mock/ control plane."""

from __future__ import annotations

import subprocess
import sys

import pytest

from contract_tests.mutants import MUTANTS, Mutant
from contract_tests.target import BASE_PATHS
from mock_server import Settings
from mock_server.testing import RunningServer


def _check(api: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``stagemock check`` against the server at ``url`` (its root: the API's base follows)."""
    base = url + BASE_PATHS[api]
    cmd = [sys.executable, "-m", "contract_tests", api, "--base-url", base, "--max-examples", "10", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)


def _args(m: Mutant) -> list[str]:
    args: list[str] = []
    for op in m.operations:
        args += ["--include-operation", op]
    if not m.schemathesis:
        args.append("--no-schemathesis")
    if not m.properties:
        args.append("--no-properties")
    if m.properties_filter:
        args += ["--properties-filter", m.properties_filter]
    if m.phases:
        args += ["--phases", m.phases]
    return args


def _placeholders() -> set[str]:
    from mock_server import create_app

    ctx = create_app(Settings(deterministic=True)).state.ctx
    out = set()
    for backend in ctx.backends.values():
        for op, handler in backend.binding(ctx).handlers.items():
            if getattr(handler, "not_implemented", False):
                out.add(op)
    return out


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_suite_catches_mutant(mutant):
    missing = set(mutant.requires) & _placeholders()
    if missing:
        pytest.skip(f"needs {sorted(missing)}, not implemented yet")
    with RunningServer(Settings(deterministic=True), app_wrapper=mutant.wrap) as server:
        proc = _check(mutant.api, server.url, *_args(mutant))
    out = proc.stdout + proc.stderr
    if mutant.exit_code == 1:
        assert proc.returncode == 1, f"mutant {mutant.name} passed the suite:\n{out[-3000:]}"
    else:  # it breaks only guesses of the spec: reported, not failed
        assert proc.returncode == mutant.exit_code, f"mutant {mutant.name}:\n{out[-3000:]}"
        assert "problem(s)" not in out, out[-3000:]
    for word in mutant.expect:
        assert word.lower() in out.lower(), f"summary does not name {word!r}:\n{out[-3000:]}"


class _NoControlPlane:
    """A server that is not ours: /__mock/ does not exist."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/__mock/"):
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"not here"})
            return
        await self.app(scope, receive, send)


def test_suite_runs_against_a_server_without_control_plane():
    with RunningServer(Settings(deterministic=False, job_seconds=0.5), app_wrapper=_NoControlPlane) as server:
        proc = _check("stagepro", server.url, "--include-operation", "getCapabilities", "--properties-filter", "401 or magic")
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
