"""Shared pieces of the property suites (vendor API only, plus /__mock/ when present)."""

from __future__ import annotations

import functools
import time
from typing import Any

import httpx

from contract_tests.target import Target

ORDER = {"queued": 0, "processing": 1, "completed": 2, "failed": 2}
TERMINAL = {"completed", "failed"}


def _what(r: httpx.Response) -> str:
    return f"{r.request.method} {r.request.url.path}"


def field(r: httpx.Response, *keys: str) -> dict[str, Any]:
    """The JSON object ``r`` answered, asserting (in words) that it has ``keys``."""
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(
            f"{_what(r)} answered {r.status_code} with a body that is not JSON: {r.text[:200]!r}"
        ) from None
    if not isinstance(body, dict):
        raise AssertionError(f"{_what(r)} answered {r.status_code} with {type(body).__name__}, "
                             "not a JSON object")
    missing = [k for k in keys if k not in body]
    if missing:
        names = ", ".join(f"`{k}`" for k in missing)
        raise AssertionError(f"{_what(r)} answered {r.status_code} without {names}")
    return body


def status_of(r: httpx.Response) -> str:
    """A job's status, asserting it is one the spec knows."""
    assert r.status_code == 200, f"{_what(r)} answered {r.status_code}: {r.text[:200]}"
    status = field(r, "status")["status"]
    assert status in ORDER, f"{_what(r)} answered a job with an unknown status {status!r}"
    return status


@functools.cache
def _control(root_url: str) -> Any:
    """One pooled control-plane client per mock for the whole run."""
    from mock_server.control import ControlPlane

    return ControlPlane(root_url, timeout=10)


def let_time_pass(target: Target, seconds: float) -> None:
    """Virtual clock on the mock; real waiting elsewhere."""
    if target.has_control_plane:
        _control(target.root_url).advance(seconds)
    else:
        time.sleep(min(seconds, 5))


def wait_terminal(
    client: httpx.Client, target: Target, job_id: str, budget: float = 120
) -> dict[str, Any]:
    """Poll a job until it is terminal, within a bounded number of polls; statuses only move
    forward on the way."""
    seen = -1
    waited = 0.0
    while True:
        r = client.get(f"/jobs/{job_id}")
        status_of(r)
        job = r.json()
        rank = ORDER[job["status"]]
        assert rank >= seen, f"job {job_id} moved backwards to {job['status']}"
        seen = rank
        if job["status"] in TERMINAL:
            again = status_of(client.get(f"/jobs/{job_id}"))
            assert again == job["status"], (
                f"job {job_id} moved backwards from {job['status']} to {again}"
            )
            return job
        assert waited < budget, f"job {job_id} still {job['status']} after {budget:.0f} s"
        let_time_pass(target, 5)
        waited += 5
