"""Fixtures of the property suites: the target comes from the runner (environment)."""

from __future__ import annotations

import dataclasses
import json
import os

import httpx
import pytest

from contract_tests.target import Target


@pytest.fixture(scope="session")
def target() -> Target:
    raw = os.environ.get("STAGEMOCK_CONTRACT_TARGET")
    if not raw:
        pytest.skip("no target: run through `stagemock check` / `python -m contract_tests`")
    t = Target(**json.loads(raw))
    if t.has_control_plane and t.api_key.startswith(("sk_test_", "stager_test_")):
        # On the mock, a fresh test key: the fuzzing phase left thousands of queued jobs on
        # the first one, and FIFO queues would make every lifecycle check wait behind them.
        t = dataclasses.replace(t, api_key=t.api_key + "_properties")
    return t


@pytest.fixture(scope="session")
def client(target: Target):
    with httpx.Client(base_url=target.base_url, headers=target.auth_headers(), timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def control_plane(target: Target):
    if not target.has_control_plane:
        pytest.skip("needs the stagemock control plane (/__mock/), which this server lacks")
    with httpx.Client(base_url=target.root_url + "/__mock", timeout=30) as c:
        yield c
