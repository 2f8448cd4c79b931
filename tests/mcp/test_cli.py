"""The ``mcp`` hook of ``stagemock``: no MCP SDK import at module load, one line without it;
a bad value or a port in use is one line and exit 2."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from mock_server import cli
from mock_server.mcp import cli as mcp_cli

from .conftest import ROOT


def test_base_package_does_not_import_the_sdk():
    code = ("import sys, mock_server, mock_server.cli, mock_server.app, "
            "mock_server.pytest_plugin, mock_server.testing, mock_server.mcp.client, "
            "mock_server.mcp.tools, mock_server.mcp.cli; "
            "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout.strip()
    assert out == "[]"


def test_without_the_sdk_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mcp", None)  # import mcp -> ImportError
    assert cli.main(["mcp", "--with-mock"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "stagemock mcp needs the MCP SDK: pip install 'stagemock[mcp]'\n"
    assert captured.out == ""


def _refused(capsys, argv):
    try:
        code = mcp_cli.main(argv)
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err, captured.err
    errors = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(errors) == 1, captured.err
    return errors[0]


@pytest.mark.parametrize(("argv", "says"), [
    (["--http", "--port", "99999"], "argument --port: must be a port number from 0 to 65535"),
    (["--with-mock", "--mock-port", "70000"],
     "argument --mock-port: must be a port number from 0 to 65535"),
    (["--mock-port", "8123"], "argument --mock-port: only with --with-mock"),
    (["--timeout", "-1"], "argument --timeout: must be a number of seconds above 0"),
])
def test_a_bad_value_is_one_line_naming_the_flag(capsys, argv, says):
    assert _refused(capsys, argv).startswith("stagemock mcp: error: " + says)


def test_a_bad_stagemock_port_is_one_line_naming_it(capsys, monkeypatch):
    monkeypatch.setenv("STAGEMOCK_PORT", "eighty")
    line = _refused(capsys, ["--with-mock"])
    assert line.startswith("stagemock mcp: error: $STAGEMOCK_PORT must be a port number"), line


def test_a_mock_port_in_use_is_one_line_and_exit_2(capsys):
    pytest.importorskip("mcp")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert mcp_cli.main(["--with-mock", "--mock-port", str(port)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"stagemock mcp: cannot listen on 127.0.0.1:{port} (--mock-port or $STAGEMOCK_PORT): "
        "already in use; pick another port, or leave both unset for a free one\n")
