"""The ``mcp`` hook of ``stagemock``: no MCP SDK import at module load, one line without it."""

from __future__ import annotations

import subprocess
import sys

from mock_server import cli

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
