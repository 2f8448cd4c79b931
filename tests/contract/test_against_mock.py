"""The suite passes against the real mock: schemathesis (all checks, all phases) over every
implemented operation of each spec, the control plane included, plus the property suites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mock_server import Settings, create_app
from mock_server.testing import RunningServer

ROOT = Path(__file__).resolve().parents[2]


def _implemented(api: str) -> list[str]:
    app = create_app(Settings(deterministic=True))
    ctx = app.state.ctx
    handlers = ctx.backends[api].binding(ctx).handlers
    return sorted(k for k, h in handlers.items() if not getattr(h, "not_implemented", False))


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_contract_suite_passes_against_the_mock(api):
    ops = _implemented(api)
    if not ops:
        pytest.skip(f"no {api} operation implemented yet")
    args = []
    for op in ops:
        args += ["--include-operation", op]
    placeholders = len(_implemented(api)) < len(
        create_app(Settings(deterministic=True)).state.ctx.backends[api].spec.operations
    )
    if placeholders:
        args.append("--no-properties")  # the property suites need the whole API
    cmd = [sys.executable, "-m", "contract_tests", api, "--max-examples", "15", *args]
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
