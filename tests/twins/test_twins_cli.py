"""``python -m tests.twins`` serves a twin by hand on the port it is given."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx

from tests.twins.test_twins import ROOT
from tests.waiting import answering


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_command_serves_the_breaking_stagepro_twin() -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.twins", "stagepro", "--port",
                             str(port), "--breaking"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        answer = answering(f"{base}/capabilities", proc,
                           headers={"Authorization": "Bearer sk_test_cli"})
        assert answer.status_code == 200 and len(answer.json()["listing_tools"]) == 23
        created = httpx.post(f"{base}/jobs", headers={"Authorization": "Bearer sk_test_cli"},
                             json={"type": "edit", "input": {"image_url": "https://x.test/a"}})
        assert created.status_code == 200  # the breaking variant's 200 for 202
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/api/v1" in output
