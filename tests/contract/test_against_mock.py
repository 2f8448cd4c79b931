"""The suite passes against the real mock: schemathesis (all checks, all phases) over every
implemented operation of each spec, the control plane included, plus the property suites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mock_server import Settings
from mock_server.testing import RunningServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_contract_suite_passes_against_the_mock(api):
    # A seed of its own: test_raw_cli.py runs schemathesis with check's default seed and the
    # same configuration, so the two runs together cover different examples.
    cmd = [sys.executable, "-m", "contract_tests", api, "--max-examples", "10", "--seed", "7"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]


def test_control_plane_passes_schemathesis():
    with RunningServer(Settings(deterministic=True)) as server:
        cmd = [
            sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; sys.argv[0]='st'; sys.exit(schemathesis())",
            "run", str(ROOT / "openapi" / "admin.yaml"), "--url", server.url, "--checks", "all",
            "--seed", "1", "--max-examples", "20",
            "--generation-database", "none", "--no-color",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
