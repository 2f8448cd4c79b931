"""``--base-url`` is the API's base, taken literally (issue 14): the spec's paths go right
after it and the control plane is looked for at its origin. A StagePro clone served at
``/v1`` (not ``/api/v1``) can be checked."""

from __future__ import annotations

import subprocess
import sys

from mock_server import Settings
from mock_server.testing import RunningServer


class AtV1:
    """The mock's StagePro API served at ``/v1`` only; ``/api/v1`` is a 404 here."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/api/"):
                await send({"type": "http.response.start", "status": 404,
                            "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"no such path"})
                return
            if path == "/v1" or path.startswith("/v1/"):
                scope = dict(scope, path="/api" + path, raw_path=("/api" + path).encode())
        await self.app(scope, receive, send)


def test_check_takes_the_base_url_literally():
    with RunningServer(Settings(deterministic=True), app_wrapper=AtV1) as server:
        cmd = [sys.executable, "-m", "contract_tests", "stagepro", "--base-url",
               server.url + "/v1", "--max-examples", "5", "--phases", "coverage",
               "--include-operation", "getCapabilities", "--include-operation", "getUsage",
               "--check", "auth_required", "--check", "object_isolation",
               "--check", "status_code_conformance", "--check", "response_schema_conformance"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout + proc.stderr
    assert f"against {server.url}/v1 (stagemock control plane found)" in out, out[-3000:]
    assert proc.returncode == 0, out[-3000:]
    assert "property tests: ok" in out, out[-3000:]
