"""The ``stagemock`` command line: every command is a real subcommand of one parser (the
handover commands pass the rest of the line to their own parser), and a closed pipe on stdout
ends quietly."""

from __future__ import annotations

import subprocess
import sys

from mock_server import cli


def test_help_lists_every_command_once(capsys):
    try:
        cli.main(["--help"])
    except SystemExit as stop:
        assert stop.code == 0
    out = capsys.readouterr().out
    for name in ("serve", "check", "journal-report", "mcp", "webhook-receiver"):
        assert f"    {name} " in out, out


def test_handover_commands_get_the_rest_of_the_line_unparsed(monkeypatch):
    seen = {}
    monkeypatch.setattr(cli, "_contract", lambda argv, needs_extra: seen.update(
        argv=list(argv), needs_extra=needs_extra) or 0)
    assert cli.main(["check", "stagepro", "--base-url", "http://x/api/v1", "--help"]) == 0
    assert seen == {"argv": ["stagepro", "--base-url", "http://x/api/v1", "--help"],
                    "needs_extra": True}
    assert cli.main(["journal-report", "--fail-on", "never"]) == 0
    assert seen == {"argv": ["journal-report", "--fail-on", "never"], "needs_extra": False}


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
