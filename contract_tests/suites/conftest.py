"""Fixtures of the property suites: the target comes from the runner (environment)."""

from __future__ import annotations

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
    return Target(**json.loads(raw))


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
