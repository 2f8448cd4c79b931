"""Shared pieces of the property suites (vendor API only, plus /__mock/ when present)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from contract_tests.target import Target

ORDER = {"queued": 0, "processing": 1, "completed": 2, "failed": 2}
TERMINAL = {"completed", "failed"}


def let_time_pass(target: Target, seconds: float) -> None:
    """Virtual clock on the mock; real waiting elsewhere."""
    if target.has_control_plane:
        httpx.post(f"{target.root_url}/__mock/clock/advance", json={"seconds": seconds}, timeout=10)
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
        assert r.status_code == 200, f"GET /jobs/{job_id} answered {r.status_code}: {r.text[:200]}"
        job = r.json()
        rank = ORDER[job["status"]]
        assert rank >= seen, f"job {job_id} moved backwards to {job['status']}"
        seen = rank
        if job["status"] in TERMINAL:
            again = client.get(f"/jobs/{job_id}").json()
            assert again["status"] == job["status"], (
                f"job {job_id} moved backwards from {job['status']} to {again['status']}"
            )
            return job
        assert waited < budget, f"job {job_id} still {job['status']} after {budget:.0f} s"
        let_time_pass(target, 5)
        waited += 5
