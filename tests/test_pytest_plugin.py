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


def test_calls_a_path_of_no_operation(stagepro_mock):
    with stagepro_mock.client() as api:
        assert api.get("/agent/sessions/ags_x").status_code == 404


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


def test_strict_mode_fails_a_request_no_operation_answers(tmp_path, stagemock_server):
    """A path of no operation (the design agent has no GET of a session) is the client's
    violation too: strict mode fails the test that sent it, on its own mock or a shared one."""
    for args in ((), (f"--stagemock-url={stagemock_server.url}",)):
        outcomes, out = run_suite(tmp_path, *args, "--stagemock-strict",
                                  "test_suite.py::test_calls_a_path_of_no_operation")
        kind, text = outcomes["test_calls_a_path_of_no_operation"]
        assert kind == "failure", out
        assert "GET /api/v1/agent/sessions/ags_x" in text and "no operation matches" in text, text


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


PORT_SUITE = '''
import os, pathlib

import httpx


def test_listens_where_pinned(stagemock_server, stagepro_webhook_receiver):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    with open(os.environ["SEEN_OUT"], "a") as out:
        out.write(f"{worker} {stagemock_server.port} {stagepro_webhook_receiver.port}\\n")
    health = httpx.get(f"http://127.0.0.1:{stagemock_server.port}/__mock/health", timeout=10)
    assert health.status_code == 200


def test_second(stagemock_server):
    pass
'''


def run_pytest(tmp_path: Path, suite: str, *args: str,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "test_suite.py").write_text(suite)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         "--stagemock-image-workers", "0", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin", **(env or {})})


def _free_ports(count: int) -> list[int]:
    """``count`` consecutive free ports (xdist workers add their number to a pinned one)."""
    import socket

    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            socks = []
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return list(range(base, base + count))
    raise AssertionError("no run of free ports")


def _seen(path: Path) -> list[tuple[str, int, int]]:
    rows = [line.split(" ") for line in path.read_text().splitlines()]
    return [(worker, int(port), int(hook)) for worker, port, hook in rows]


def test_pinned_ports_are_where_the_mock_and_the_receiver_listen(tmp_path):
    port, hook = _free_ports(1)[0], _free_ports(1)[0]
    seen = tmp_path / "seen.txt"
    proc = run_pytest(tmp_path, PORT_SUITE, "-p", "no:xdist", f"--stagemock-port={port}",
                      "--stagemock-webhook-port", str(hook), env={"SEEN_OUT": str(seen)})
    assert proc.returncode == 0, proc.stdout
    assert _seen(seen) == [("", port, hook)]


def test_under_xdist_each_worker_adds_its_number_to_the_pinned_ports(tmp_path):
    ports, hooks = _free_ports(2), _free_ports(2)
    seen = tmp_path / "seen.txt"
    proc = run_pytest(tmp_path, PORT_SUITE, "-n", "2", "--dist", "each",
                      "test_suite.py::test_listens_where_pinned",
                      env={"SEEN_OUT": str(seen), "STAGEMOCK_PORT": str(ports[0]),
                           "STAGEMOCK_WEBHOOK_PORT": str(hooks[0])})
    assert proc.returncode == 0, proc.stdout
    assert sorted(_seen(seen)) == [("gw0", ports[0], hooks[0]), ("gw1", ports[1], hooks[1])]


def _one_error_line(proc: subprocess.CompletedProcess, line: str) -> None:
    """The run stopped at its first test with ``line`` (no traceback), not an ERROR each."""
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout and "Error:" not in proc.stdout, proc.stdout
    assert proc.stdout.count(line) == 2, proc.stdout  # under the ERROR, and as "Interrupted"
    assert "1 error" in proc.stdout and "Interrupted: " + line in proc.stdout, proc.stdout


def test_a_pinned_port_in_use_is_one_line_naming_the_option(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_pytest(tmp_path, PORT_SUITE, "-p", "no:xdist", "--stagemock-port",
                          str(port), env={"SEEN_OUT": str(tmp_path / "seen.txt")})
        _one_error_line(proc, f"stagemock: cannot listen on 127.0.0.1:{port} (--stagemock-port "
                              f"{port}): already in use; pick another port, or leave "
                              "--stagemock-port unset for a free one")
        proc = run_pytest(tmp_path, PORT_SUITE, "-p", "no:xdist",
                          env={"SEEN_OUT": str(tmp_path / "seen.txt"),
                               "STAGEMOCK_WEBHOOK_PORT": str(port)})
        _one_error_line(proc, f"stagemock: cannot listen on 127.0.0.1:{port} "
                              f"($STAGEMOCK_WEBHOOK_PORT {port}): already in use; pick another "
                              "port, or leave --stagemock-webhook-port unset for a free one")


def test_a_bad_port_value_is_one_line_naming_it(tmp_path):
    proc = run_pytest(tmp_path, PORT_SUITE, "-p", "no:xdist", "--stagemock-port", "70000")
    assert proc.returncode == 4  # pytest's usage error
    assert "argument --stagemock-port: must be a port number from 0 to 65535" in proc.stderr
    proc = run_pytest(tmp_path, PORT_SUITE, "-p", "no:xdist",
                      env={"STAGEMOCK_PORT": "eighty", "SEEN_OUT": str(tmp_path / "s.txt")})
    _one_error_line(proc, "stagemock: $STAGEMOCK_PORT must be a port number from 0 to 65535 "
                          "(0: any free port), not 'eighty'")


def test_a_control_plane_that_needs_a_token_is_one_line_naming_the_option(tmp_path):
    """A mock on 0.0.0.0 wants its token on /__mock/: without --stagemock-token every test
    used to ERROR with a ControlPlaneError traceback naming the server's flags."""
    from mock_server.settings import Settings
    from mock_server.testing import RunningServer

    settings = Settings(host="0.0.0.0", admin_token="t0ken", deterministic=True,
                        image_workers=0)
    with RunningServer(settings) as server:
        url = f"http://127.0.0.1:{server.port}"
        proc = run_pytest(tmp_path, SUITE, "-p", "no:xdist", f"--stagemock-url={url}",
                          env={"BYTES_OUT": str(tmp_path / "b.json")})
        _one_error_line(proc, f"stagemock: the control plane of the mock at {url} needs its "
                              "token: pass --stagemock-token TOKEN or set "
                              "$STAGEMOCK_ADMIN_TOKEN (the token `stagemock serve` printed at "
                              "startup, or its --admin-token)")
        proc = run_pytest(tmp_path, SUITE, "-p", "no:xdist", f"--stagemock-url={url}",
                          env={"BYTES_OUT": str(tmp_path / "b.json"),
                               "STAGEMOCK_ADMIN_TOKEN": "wrong"})
        _one_error_line(proc, f"stagemock: the control plane of the mock at {url} refuses the "
                              "token of $STAGEMOCK_ADMIN_TOKEN: pass the one `stagemock serve` "
                              "printed at startup, or its --admin-token")
        proc = run_pytest(tmp_path, SUITE, "-p", "no:xdist", f"--stagemock-url={url}",
                          "--stagemock-token", "t0ken",
                          "test_suite.py::test_console_client_reaches_the_console")
        assert proc.returncode == 0, proc.stdout
