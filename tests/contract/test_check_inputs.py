"""`stagemock check` checks its inputs first: a key the API refuses, nothing listening at the
URL, or a --junit path it cannot write, is one line and exit 2 (not hundreds of cases, a
KeyError, nine ConnectErrors or a traceback after the whole run)."""

from __future__ import annotations

import socket
import subprocess
import sys


def _check(*args):
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "check", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


def _one_line(proc):
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_key_of_the_other_api_is_refused_before_any_case(stagemock_server):
    proc = _check("stagerai", "--base-url", stagemock_server.url, "--api-key", "sk_test_x")
    assert proc.returncode == 2
    line = _one_line(proc)
    assert "refuses the key 'sk_test_x'" in line and "Stager AI" in line and "401" in line
    proc = _check("stagepro", "--base-url", stagemock_server.url + "/api/v1",
                  "--api-key", "stager_test_x")
    assert proc.returncode == 2
    assert "StagePro" in _one_line(proc) and "refuses the key 'stager_test_x'" in proc.stdout


def test_nothing_listening_is_said_once():
    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        proc = _check("stagepro", "--base-url", url + "/api/v1", "--api-key", "sk_test_x")
    assert proc.returncode == 2
    line = _one_line(proc)
    assert f"nothing answers at {url}" in line
    assert "control plane" not in line


def test_a_junit_path_it_cannot_write_is_said_before_any_case(tmp_path):
    """Before: the whole check ran, then writing the report was a FileNotFoundError traceback.
    Now nothing runs (no --base-url: not even the mock it would start)."""
    missing = tmp_path / "no" / "such" / "r.xml"
    proc = _check("stagepro", "--junit", str(missing))
    assert proc.returncode == 2
    assert _one_line(proc) == (
        f"stagemock check: --junit {missing}: no folder {missing.parent}")
    proc = _check("stagepro", "--junit", str(tmp_path))
    assert proc.returncode == 2
    assert _one_line(proc) == (
        f"stagemock check: --junit {tmp_path}: is a folder; name the report file in it")
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_a_writable_junit_path_is_taken_and_left_as_it_was(tmp_path):
    from contract_tests.__main__ import _unwritable

    report = tmp_path / "r.xml"
    assert _unwritable(report) is None and not report.exists()
    report.write_text("old")
    assert _unwritable(report) is None and report.read_text() == "old"


def test_a_base_without_the_api_path_says_which_base_answers(stagemock_server):
    """The server's root given for StagePro (whose base is ``/api/v1``): every operation of
    the spec answers 404 there. One line naming the base that answers, exit 2 (not nine
    misleading violations and a ``KeyError: 'data'``)."""
    proc = _check("stagepro", "--base-url", stagemock_server.url + "/", "--api-key", "sk_test_x")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _one_line(proc)
    assert "answer 404 at" in line and "GET /usage" in line, line
    assert line.endswith(f"did you mean {stagemock_server.url}/api/v1?"), line


def test_a_stagerai_base_that_answers_no_stagerai_route_is_named_as_such(stagemock_server):
    """Stager AI's one GET names a group that may not exist, so no plain GET tells a wrong
    base; a request without a key does: a Stager AI route answers it 401, a base with none
    of its routes 404. StagePro's base given for Stager AI: one line naming the root."""
    root = stagemock_server.url
    proc = _check("stagerai", "--base-url", root + "/api/v1", "--api-key", "stager_test_x")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _one_line(proc)
    assert line.startswith(f"stagemock check: no Stager AI route answers at {root}/api/v1 ("), line
    assert "GET /api/hdr-image-group/stagemock-base-check without a key: 404" in line, line
    assert line.endswith(f"did you mean {root}?"), line


def test_the_stagerai_probe_passes_at_its_base():
    from contract_tests.target import base_probes, wrong_base
    from mock_server import Settings
    from mock_server.testing import RunningServer

    assert [p.keyed for p in base_probes("stagerai")] == [False]
    assert all(p.keyed for p in base_probes("stagepro"))  # StagePro's plain probes stay
    with RunningServer(Settings(deterministic=True)) as server:
        assert wrong_base("stagerai", server.url, "stager_test_x") is None
        assert "did you mean" in wrong_base("stagerai", server.url + "/v1", "stager_test_x")
