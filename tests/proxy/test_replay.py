"""``--record``, ``stagemock replay`` and ``stagemock drift``: a mock session recorded through
the proxy replays against a fresh mock with no difference; against the deviating upstream
each difference is named and classified; drift turns them into spec edits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from mock_server.proxy import record
from mock_server.proxy.drift import edit, measure
from mock_server.proxy.replay import Replayer
from mock_server.settings import Settings
from mock_server.testing import RunningServer
from tests.proxy import deviating
from tests.proxy.conftest import proxying, serving

JOB = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
       "style": "modern", "room_type": "bedroom"}}


def _session(origin: str, key: str, advance) -> None:
    """What an app might do: create, poll until done, regenerate, read usage, list."""
    with httpx.Client(base_url=origin + "/api/v1", timeout=30,
                      headers={"Authorization": f"Bearer {key}"}) as api:
        job = api.post("/jobs", json=JOB, headers={"Idempotency-Key": "photo-1"}).json()
        api.get(f"/jobs/{job['id']}")
        advance(30)
        done = api.get(f"/jobs/{job['id']}").json()
        assert done["status"] == "completed"
        api.post(f"/jobs/{job['id']}/regenerate", json={})
        api.get("/usage")
        api.get("/jobs", params={"status": "completed"})
        api.post("/jobs", json={"type": "virtual-stage"})  # a client mistake, recorded too


def record_both(path: Path, while_running=None) -> Path:
    """``stagemock serve --record path``: a StagePro session (7 exchanges) and two Stager AI
    calls; ``while_running(path, url)`` runs before the server stops."""
    with RunningServer(Settings(deterministic=True, image_workers=0,
                                record=str(path))) as server:
        _session(server.url, "sk_test_serve_recorded", server.advance)
        with httpx.Client(base_url=server.url, timeout=30,
                          headers={"stager-api-key": "stager_test_serve"}) as sa:
            project = sa.post("/api/projects", json={"title": "t"}).json()["id"]
            sa.post("/api/hdr-image-group", json={"projectId": project})
        if while_running is not None:
            while_running(path, server.url)
    return path


def record_deviating(path: Path) -> Path:
    """The deviating upstream recorded through the proxy: a job, its regeneration, usage."""
    with serving(deviating.app) as upstream, \
            proxying("stagepro", upstream + "/api/v1", record=path) as (origin, _p), \
            httpx.Client(base_url=origin + "/api/v1", timeout=10,
                         headers={"Authorization": "Bearer sk_test_real"}) as api:
        job = api.post("/jobs", json=JOB).json()
        api.post(f"/jobs/{job['id']}/regenerate", json={})
        api.get("/usage")
    return path


def _record(tmp_path: Path) -> Path:
    path = tmp_path / "mock-session.jsonl"
    with RunningServer(Settings(deterministic=True, image_workers=0)) as upstream, \
            proxying("stagepro", upstream.url + "/api/v1", record=path) as (origin, _p):
        _session(origin, "sk_test_recorded", upstream.advance)
    return path


def test_the_recording_is_versioned_and_keeps_big_bodies_beside_it(tmp_path):
    path = _record(tmp_path)
    header, exchanges = record.load(path)
    assert header["format"] == "stagemock-recording" and header["version"] == 1
    assert header["api"] == "stagepro" and header["base_path"] == "/api/v1"
    assert [e["operation_id"] for e in exchanges] == [
        "createJob", "getJob", "getJob", "regenerateJob", "getUsage", "listJobs", "createJob"]
    first = exchanges[0]
    assert first["request"]["body"]["json"] == JOB
    assert first["response"]["status"] == 202 and first["response"]["body"]["sha256"]
    assert first["duration_ms"] >= 0 and first["verdicts"]["request"]["conformant"]
    assert not exchanges[-1]["verdicts"]["request"]["conformant"]
    assert "sk_test_recorded" not in path.read_text()


def test_a_mock_session_replayed_against_a_fresh_mock_shows_no_difference(tmp_path):
    path = _record(tmp_path)
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        outcome = Replayer(path, fresh.url + "/api/v1", "sk_test_someone_new").run()
    assert outcome.replayed == 7
    assert outcome.differences == [], [d.as_json() for d in outcome.differences]


def test_replayed_against_the_deviating_upstream_each_difference_is_named(tmp_path):
    path = _record(tmp_path)
    with serving(deviating.app) as upstream:
        proc = subprocess.run(
            [sys.executable, "-m", "mock_server", "replay", str(path), "--base-url",
             upstream + "/api/v1", "--api-key", "sk_test_x", "--json", "--timeout", "2"],
            capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a documented rule differs
    found = json.loads(proc.stdout)["differences"]
    by_op = {(d["operation_id"], d["kind"]): d for d in found}
    # the documented one: a job without `input` is refused with 400; the upstream took it
    [refused] = [d for d in found if d["rule"] == "documented"]
    assert (refused["operation_id"], refused["expected"], refused["got"]) == \
        ("createJob", 400, 202)
    teapot = by_op[("getJob", "status")]
    # the 200 of a read is a guess: a 418 contradicts it; 200 for 202 likewise
    assert (teapot["expected"], teapot["got"], teapot["rule"]) == (200, 418, "guess")
    regen = by_op[("regenerateJob", "status")]
    assert (regen["expected"], regen["got"], regen["rule"]) == (202, 200, "guess")
    assert "202 only for POST /jobs" in regen["guess"]
    [credits] = [d for d in found if d["where"] == "body.credits"]
    assert credits["kind"] == "missing" and credits["rule"] == "guess"
    assert all(d["curl"].startswith("curl -X") and "$API_KEY" in d["curl"] for d in found)
    text = subprocess.run(
        [sys.executable, "-m", "mock_server", "replay", str(path), "--base-url",
         "http://127.0.0.1:9/api/v1", "--api-key", "sk_test_x", "--timeout", "1"],
        capture_output=True, text=True, timeout=120, check=False).stdout
    assert "no answer" in text  # nothing listening: said per exchange, no traceback


def test_drift_names_where_the_mock_differs_from_a_recorded_service_and_the_edits(tmp_path):
    path = record_deviating(tmp_path / "real.jsonl")
    outcome, _replayer, _origin = measure(str(path))
    api_name = "stagepro"
    kinds = {(d.operation_id, d.kind, d.where) for d in outcome.differences}
    assert ("regenerateJob", "status", "status") in kinds
    assert ("getUsage", "extra", "body.credits") in kinds
    edits = [edit(d, api_name) for d in outcome.differences]
    # the mock's 409 (a guessed state conflict) is not the success the service sent: a
    # status of its own to document, not one to rename
    assert any("regenerateJob answers 200" in e and "document 200" in e for e in edits), edits
    assert any("does not send `credits`" in e for e in edits), edits
    proc = subprocess.run([sys.executable, "-m", "mock_server", "drift", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert "spec edits the differences call for" in proc.stdout, proc.stdout + proc.stderr


def test_a_session_recorded_by_serve_replays_each_api_against_a_fresh_mock(tmp_path):
    path = record_both(tmp_path / "serve.jsonl")
    header, exchanges = record.load(path)
    assert header["api"] == "both"
    assert [e["api"] for e in exchanges] == ["stagepro"] * 7 + ["stagerai"] * 2
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        both = Replayer(path, fresh.url + "/api/v1", "sk_test_other").run()
    # a stagemock serves both APIs: both are replayed, each at its base on its origin
    assert both.replayed == 9 and both.apis == {"stagepro": 7, "stagerai": 2}
    assert both.differences == [], [d.as_json() for d in both.differences]
