"""The ``stagemock`` command line: every command is a real subcommand of one parser (the
handover commands pass the rest of the line to their own parser), and a closed pipe on stdout
ends quietly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mock_server import cli


def test_help_lists_every_command_once(capsys):
    try:
        cli.main(["--help"])
    except SystemExit as stop:
        assert stop.code == 0
    out = capsys.readouterr().out
    for name in ("serve", "check", "journal-report", "mcp", "webhook-receiver"):
        assert f"    {name} " in out, out
    assert "``" not in out, out  # plain text, not the module docstring's reST


def test_handover_commands_get_the_rest_of_the_line_unparsed(monkeypatch):
    seen = {}
    monkeypatch.setattr(cli, "_contract", lambda argv: seen.update(contract=list(argv)) or 0)
    monkeypatch.setattr(cli, "_journal_report",
                        lambda argv: seen.update(report=list(argv)) or 0)
    assert cli.main(["check", "stagepro", "--base-url", "http://x/api/v1", "--help"]) == 0
    assert seen == {"contract": ["stagepro", "--base-url", "http://x/api/v1", "--help"]}
    seen.clear()
    assert cli.main(["journal-report", "--fail-on", "never"]) == 0
    assert seen == {"report": ["--fail-on", "never"]}


def test_journal_report_needs_neither_the_contract_extra_nor_contract_tests():
    """The report is the package's own (the pytest plugin builds it too): it runs with the
    contract suite and its extra out of reach."""
    code = (
        "import sys\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('contract_tests', 'schemathesis', 'hypothesis'):\n"
        "            raise ImportError(f'{name} is not installed')\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "from mock_server.cli import main\n"
        "sys.exit(main(['journal-report', '--base-url', 'http://127.0.0.1:9', '--fail-on', "
        "'never']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # nothing answers: one line
    assert "nothing answers at http://127.0.0.1:9" in proc.stdout, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


def test_serve_refuses_an_unknown_option(capsys):
    try:
        cli.main(["serve", "--bogus"])
    except SystemExit as stop:
        assert stop.code == 2
    else:
        raise AssertionError("serve accepted --bogus")
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_a_closed_stdout_pipe_ends_quietly():
    """``stagemock check --list-checks | true``: the reader is gone before the first line."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from mock_server.cli import main; "
         "sys.exit(main(['check', '--list-checks']))"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def _refused(capsys, argv):
    """Run the real command line; it must stop with argparse's exit 2 and one error line."""
    try:
        code = cli.main(argv)
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    assert code == 2, (argv, captured)
    assert "Traceback" not in captured.err, captured.err
    errors = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(errors) == 1, captured.err
    return errors[0]


@pytest.mark.parametrize(("argv", "says"), [
    (["--port", "99999"], "argument --port: must be a port number from 0 to 65535"),
    (["--port", "-1"], "argument --port: must be a port number from 0 to 65535"),
    (["--job-seconds", "-5"], "argument --job-seconds: must be a number of seconds above 0"),
    (["--job-seconds", "0"], "argument --job-seconds: must be a number of seconds above 0"),
    (["--job-seconds", "inf"], "argument --job-seconds: must be a number of seconds above 0"),
    (["--image-workers", "-1"], "argument --image-workers: must be a whole number, 0 or more"),
    (["--log-level", "loud"], "argument --log-level: invalid choice: 'loud'"),
])
def test_serve_refuses_a_bad_value_in_one_line_naming_the_flag(capsys, argv, says):
    line = _refused(capsys, ["serve", *argv])
    assert line.startswith("stagemock serve: error: " + says), line


def test_serve_still_takes_the_edges_of_each_range():
    args = cli.build_parser().parse_args(
        ["serve", "--port", "65535", "--job-seconds", "0.5", "--image-workers", "0"])
    assert (args.port, args.job_seconds, args.image_workers) == (65535, 0.5, 0)
    assert cli.build_parser().parse_args(["serve", "--port", "0"]).port == 0


def test_a_bad_port_from_the_installed_command_is_one_line_and_exit_2():
    proc = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--port", "99999"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "OverflowError" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        "stagemock serve: error: argument --port: must be a port number from 0 to 65535 "
        "(0: any free port), not '99999'")


def test_serve_banner_lists_each_fault_rule_and_the_rate_limit():
    """issue 34: `serve --fault ... --rate-limit ...` said nothing of them at startup, so a
    mistyped scope went unnoticed; each rule and the limit now have a banner line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--deterministic",
         "--image-workers", "0", "--fault", "stagepro:createJob:lose_response",
         "--fault", "stagepro:error,status=429,retry_after=2,times=3",
         "--fault", "webhooks:job.completed:duplicate", "--rate-limit", "10/s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(8)]
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
    banner = "".join(lines)
    assert lines[0].startswith("stagemock serving on "), banner
    rules = [line for line in lines if line.startswith("  fault rule ")]
    assert len(rules) == 3, banner
    assert "stagepro:createJob  lose_response, status 502  (1 time, any key)" in rules[0], banner
    assert ("stagepro:*  error, status 429, Retry-After 2  (3 times, any key)" in rules[1]), banner
    assert "webhooks:job.completed  duplicate  (1 time, any key)" in rules[2], banner
    assert "  rate limit          10/s per key" in banner, banner


def test_serve_banner_says_when_lenient_or_recording():
    """A walkthrough found `--lenient` and `--record` silent at startup: nothing said the mock
    was accepting guess-breaking requests or writing a file."""
    from mock_server.settings import Settings

    assert cli._switched(Settings()) == []
    lines = cli._switched(Settings(lenient=True, record="mock.jsonl"))
    assert lines[0].startswith("  lenient ") and "journaled with a warning" in lines[0]
    assert lines[1].startswith("  recording           mock.jsonl "), lines


def test_serve_banner_says_nothing_of_faults_when_none_is_armed():
    from mock_server.faults.models import FaultBook

    assert cli._armed(FaultBook({}, 0)) == []
