"""``stagemock serve``'s options from the environment (``mock_server.serve_env``): what a CI
service container, which takes no command line, configures the mock with."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from mock_server import cli
from tests.waiting import answering


def parsed(monkeypatch, env: dict[str, str], argv: list[str] | None = None):
    """The namespace ``stagemock serve ARGV`` runs with under ``env`` (``_serve`` stubbed)."""
    for name in list(os.environ):
        if name.startswith("STAGEMOCK_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen = {}

    def keep(args):
        seen["args"] = args
        return 0

    monkeypatch.setattr(cli, "_serve", keep)
    assert cli.main(["serve", *(argv or [])]) == 0
    return seen["args"]


def test_every_serve_option_has_its_variable(monkeypatch):
    args = parsed(monkeypatch, {
        "STAGEMOCK_SEED": "7", "STAGEMOCK_DETERMINISTIC": "1", "STAGEMOCK_JOB_SECONDS": "12.5",
        "STAGEMOCK_FAULT": "stagepro:createJob:lose_response; stagepro:error,status=503\n",
        "STAGEMOCK_RATE_LIMIT": "5/s", "STAGEMOCK_IMAGE_WORKERS": "0",
        "STAGEMOCK_LENIENT": "yes", "STAGEMOCK_ACCESS_LOG": "true",
        "STAGEMOCK_PUBLIC_URL": "http://mock:8000", "STAGEMOCK_LOG_LEVEL": "info",
        "STAGEMOCK_ADMIN_TOKEN": "s3cret",
    })
    assert (args.seed, args.deterministic, args.job_seconds) == (7, True, 12.5)
    assert args.fault == ["stagepro:createJob:lose_response", "stagepro:error,status=503"]
    assert (args.rate_limit, args.image_workers, args.lenient, args.access_log) == (
        "5/s", 0, True, True)
    assert (args.public_url, args.log_level, args.admin_token) == (
        "http://mock:8000", "info", "s3cret")


def test_the_command_line_wins_and_faults_add_up(monkeypatch):
    args = parsed(monkeypatch, {"STAGEMOCK_SEED": "7", "STAGEMOCK_FAULT": "stagepro:reset",
                                "STAGEMOCK_ARGS": "--seed 8 --job-seconds 20"},
                  ["--seed", "9", "--fault", "stagerai:truncate"])
    assert (args.seed, args.job_seconds) == (9, 20.0)
    assert args.fault == ["stagepro:reset", "stagerai:truncate"]


def test_a_flag_turned_off_and_an_empty_value_change_nothing(monkeypatch):
    args = parsed(monkeypatch, {"STAGEMOCK_DETERMINISTIC": "false", "STAGEMOCK_SEED": "",
                                "STAGEMOCK_FAULT": ""})
    assert (args.deterministic, args.seed, args.fault) == (False, 0, None)


@pytest.mark.parametrize(("env", "says"), [
    ({"STAGEMOCK_SEED": "seven"}, "STAGEMOCK_SEED='seven': --seed takes a whole number"),
    ({"STAGEMOCK_JOB_SECONDS": "-1"}, "STAGEMOCK_JOB_SECONDS='-1': must be a number of "
     "seconds above 0"),
    ({"STAGEMOCK_DETERMINISTIC": "maybe"}, "STAGEMOCK_DETERMINISTIC='maybe': write 1/true"),
    ({"STAGEMOCK_LOG_LEVEL": "loud"}, "STAGEMOCK_LOG_LEVEL='loud': choose from critical"),
    ({"STAGEMOCK_FAULT": "nonsense"}, "STAGEMOCK_FAULT='nonsense': "),
    ({"STAGEMOCK_ARGS": "--seed 'open"}, "STAGEMOCK_ARGS: No closing quotation"),
])
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch, capsys, env, says):
    """Only that line: no usage block before it (argparse's own for a bad option names no
    variable, so it would only push the line that does up)."""
    with pytest.raises(SystemExit) as stop:
        parsed(monkeypatch, env)
    assert stop.value.code == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith("stagemock serve: error: " + says), captured.err
    assert not captured.out


def test_a_server_started_from_the_environment_runs_with_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEMOCK_")}
    env.update(STAGEMOCK_SEED="41", STAGEMOCK_DETERMINISTIC="1", STAGEMOCK_IMAGE_WORKERS="0",
               STAGEMOCK_ARGS="--port 0")
    proc = subprocess.Popen([sys.executable, "-m", "mock_server", "serve"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "stagemock serving on http://127.0.0.1:PORT  [...]"
        assert "deterministic" in first and "seed 41" in first, first
        url = first.split()[3]
        health = answering(f"{url}/__mock/health", proc).json()
        assert (health["seed"], health["deterministic"]) == (41, True)
        assert health["clock"]["now"] == "2026-01-01T00:00:00Z"
        assert httpx.get(f"{url}/api/v1/capabilities", timeout=10).status_code in (200, 401)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
