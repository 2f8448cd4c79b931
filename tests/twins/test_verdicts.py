"""Issue 30: verdicts that hold against a server written from the references alone.

Each twin (``tests/twins/``) obeys every statement of its reference and chooses otherwise
wherever the reference is silent; each breaking variant breaks exactly three documented
rules (``BREAKS``). Against a twin, ``stagemock check``, the proxy's journal, ``replay`` and
``drift`` report 0 documented findings; against a breaking variant, exactly its three breaks,
each named with its source (a reference and its section). Guess and unspecified findings are
allowed either way: they are what the twins were written to provoke.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.proxy.conftest import proxying
from tests.twins.run import running_twin
from tests.twins.sessions import SESSIONS

pytestmark = pytest.mark.xdist_group("twins")

#: How each break shows in a finding (its message or place): one pattern per break.
BREAKS = {
    "stagepro": {
        "done": r"'done'|`done`|\"done\"|\bdone\b",
        "batch_id": r"batch_id",
        "202": r"\b200\b.*\b202\b|\b202\b.*\b200\b",
    },
    "stagerai": {
        "uploadUrl": r"uploadUrl",
        "done": r"'done'|`done`|\"done\"|\bdone\b|completed",
        "imageUrl": r"imageUrl",
    },
}
KEYS = {"stagepro": "sk_test_twin_verdicts", "stagerai": "stager_test_twin_verdicts"}
TWINS = [(api, breaking) for api in ("stagepro", "stagerai") for breaking in (False, True)]


def _which(finding: dict, api: str) -> list[str]:
    text = json.dumps(finding)
    return [name for name, pattern in BREAKS[api].items() if re.search(pattern, text)]


def _assert_verdicts(documented: list[dict], api: str, breaking: bool, tool: str) -> None:
    if not breaking:
        assert documented == [], f"{tool}: documented findings against the faithful " \
            f"{api} twin:\n" + json.dumps(documented, indent=1)[:6000]
        return
    seen: set[str] = set()
    for finding in documented:
        names = _which(finding, api)
        assert names, f"{tool}: a documented finding that is none of the breaks:\n" \
            + json.dumps(finding, indent=1)
        seen.update(names)
        assert finding.get("source"), f"{tool}: a documented finding without its source: " \
            + json.dumps(finding)
    assert seen == set(BREAKS[api]), f"{tool}: breaks not reported: {set(BREAKS[api]) - seen}"


@pytest.mark.parametrize("api, breaking", TWINS)
def test_check_against_the_twins(tmp_path: Path, api: str, breaking: bool) -> None:
    out = tmp_path / "check.json"
    with running_twin(api, breaking=breaking, job_seconds=0.5) as base:
        proc = subprocess.run(
            [sys.executable, "-m", "contract_tests", api, "--base-url", base, "--api-key",
             KEYS[api], "--max-examples", "3", "--job-timeout", "4", "--json", str(out)],
            capture_output=True, text=True, timeout=600, check=False)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    documented = [f for f in report["findings"] if f["rule"] == "documented"]
    _assert_verdicts(documented, api, breaking, "check")
    assert proc.returncode == (1 if breaking else 0), proc.stdout[-3000:]


@pytest.mark.parametrize("api, breaking", TWINS)
def test_proxy_replay_and_drift_against_the_twins(tmp_path: Path, api: str,
                                                  breaking: bool) -> None:
    recording = tmp_path / "twin.jsonl"
    with running_twin(api, breaking=breaking, job_seconds=0.5) as base, \
            proxying(api, base, record=recording) as (origin, _proxy):
        path = httpx.URL(base).path.rstrip("/")
        SESSIONS[api](origin + path)
        entries = httpx.get(origin + "/__mock/journal").json()["entries"]
    assert entries, "the session went through the proxy"
    documented = [dict(v, operation=e["operation_id"]) for e in entries
                  for v in e.get("response_violations") or [] if v.get("rule") == "documented"]
    _assert_verdicts(documented, api, breaking, "proxy")

    drift = subprocess.run([sys.executable, "-m", "mock_server", "drift", str(recording),
                            "--json"], capture_output=True, text=True, timeout=300, check=False)
    found = json.loads(drift.stdout)
    assert found["replayed"] > 0, drift.stdout[-2000:] + drift.stderr[-2000:]
    _assert_verdicts([d for d in found["differences"] if d["rule"] == "documented"],
                     api, breaking, "drift")


@pytest.mark.parametrize("api, breaking", TWINS)
def test_a_mock_session_replayed_against_the_twins(tmp_path: Path, api: str,
                                                   breaking: bool) -> None:
    from mock_server import Settings
    from mock_server.testing import RunningServer

    recording = tmp_path / "mock.jsonl"
    with RunningServer(Settings(job_seconds=0.5, image_workers=0,
                                record=str(recording))) as mock:
        SESSIONS[api](mock.url + ("/api/v1" if api == "stagepro" else ""))
    with running_twin(api, breaking=breaking, job_seconds=0.5) as base:
        proc = subprocess.run(
            [sys.executable, "-m", "mock_server", "replay", str(recording), "--base-url",
             base, "--api-key", KEYS[api], "--json", "--timeout", "8"],
            capture_output=True, text=True, timeout=300, check=False)
    found = json.loads(proc.stdout)
    assert found["replayed"] > 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    _assert_verdicts([d for d in found["differences"] if d["rule"] == "documented"],
                     api, breaking, "replay")
