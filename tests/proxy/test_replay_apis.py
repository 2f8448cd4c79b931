"""APIs: a recording of both APIs replays both (to a stagemock from its origin; elsewhere a
base per API), ``drift --api`` keeps one, and a recording with nothing to replay (empty, or
another service's) exits 2 saying why, never a pass. Signed uploads: a Stager AI HDR session
recorded through the proxy holds its bracket ``PUT``\\s and replays to a completed merge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from mock_server.proxy import record
from mock_server.proxy.replay import Replayer
from mock_server.proxy.signed import SignedUrls
from mock_server.resources import data_dir
from mock_server.settings import Settings
from mock_server.spec.loader import load_spec
from mock_server.testing import RunningServer
from tests.proxy.conftest import proxying
from tests.proxy.test_replay import record_both

ROOT = Path(__file__).resolve().parents[2]
BRACKETS = sorted((ROOT / "fixtures" / "brackets").glob("living_room_*.jpg"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mock_server", *args], capture_output=True,
                          text=True, timeout=180, check=False)


def _both(tmp_path: Path) -> Path:
    return record_both(tmp_path / "serve.jsonl")


def test_both_apis_are_replayed_and_drift_api_keeps_one(tmp_path):
    path = _both(tmp_path)
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        both = json.loads(_cli("replay", str(path), "--base-url", fresh.url, "--json").stdout)
    assert both["apis"] == {"stagepro": 7, "stagerai": 2} and both["differences"] == []
    drift = _cli("drift", str(path), "--json")
    assert drift.returncode == 0 and json.loads(drift.stdout)["apis"] == {
        "stagepro": 7, "stagerai": 2}
    only = _cli("drift", str(path), "--api", "stagerai", "--json")
    assert json.loads(only.stdout)["apis"] == {"stagerai": 2}


def test_a_base_per_api_elsewhere_and_a_missing_one_is_said(tmp_path):
    """Not a stagemock (the proxy, in front of one, whose clock the replay cannot move: it
    follows the wall, jobs of a second): each API needs its own base."""
    path = _both(tmp_path)
    with RunningServer(Settings(job_seconds=1.0, image_workers=0)) as fresh, \
            proxying("stagepro", fresh.url + "/api/v1") as (pro, _a), \
            proxying("stagerai", fresh.url) as (stager, _b):
        one = Replayer(path, pro + "/api/v1", "sk_test_a", keys=["stager_test_b"]).run()
        both = Replayer(path, bases={"stagepro": pro + "/api/v1", "stagerai": stager},
                        keys=["sk_test_c", "stager_test_c"]).run()
    assert one.apis == {"stagepro": 7}
    assert any("2 stagerai exchanges: no base URL for stagerai" in s for s in one.skipped)
    assert both.apis == {"stagepro": 7, "stagerai": 2} and both.differences == []


def test_nothing_to_replay_exits_2_with_the_reason(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"format": "stagemock-recording", "version": 1,
                                 "api": "stagepro", "upstream": "x", "base_path": "/api/v1"})
                     + "\n")
    foreign = tmp_path / "other.har"
    foreign.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t",
                                                                          "version": "1"},
                                           "entries": [{
        "startedDateTime": "2024-05-01T10:00:00Z", "time": 1, "cache": {}, "timings": {},
        "request": {"method": "GET", "url": "https://api.example.com/v2/users", "headers": []},
        "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json",
                                                               "text": "{}"}}}]}}))
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        for path in (empty, foreign):
            replay = _cli("replay", str(path), "--base-url", fresh.url)
            assert replay.returncode == 2, replay.stdout + replay.stderr
            assert "0 exchanges replayed" in replay.stdout and "not a pass" in replay.stderr
            drift = _cli("drift", str(path))
            assert drift.returncode == 2, drift.stdout + drift.stderr
            assert "the mock answers this traffic" not in drift.stdout
    assert "holds no exchange" in replay.stdout and "api.example.com" in replay.stdout


def test_an_hdr_session_recorded_through_the_proxy_replays_to_a_completed_merge(tmp_path):
    path = tmp_path / "hdr.jsonl"
    with RunningServer(Settings(deterministic=True, image_workers=0)) as mock, \
            proxying("stagerai", mock.url, record=path) as (origin, _p), \
            httpx.Client(base_url=origin, timeout=30,
                         headers={"stager-api-key": "stager_test_hdr"}) as sa:
        project = sa.post("/api/projects", json={"title": "12 Elm St"}).json()["id"]
        group = sa.post("/api/hdr-image-group", json={"projectId": project}).json()["groupId"]
        for bracket in BRACKETS:
            issued = sa.post("/api/hdr-upload-url", json={
                "projectId": project, "groupId": group, "filename": bracket.name}).json()
            assert issued["uploadUrl"].startswith(origin + "/gcs/")  # through the proxy
            put = httpx.put(issued["uploadUrl"], content=bracket.read_bytes(),
                            headers={"content-type": "image/jpeg"})
            assert put.status_code == 200, put.text
        assert sa.post("/api/hdr-enhance", json={"projectId": project,
                                                  "groupId": group}).status_code == 200
        mock.advance(30)
        done = sa.get(f"/api/hdr-image-group/{group}", params={"projectId": project}).json()
        assert done["status"] == "completed", done
    ops = [e["operation_id"] for e in record.load(path)[1]]
    assert ops.count("putSignedUpload") == len(BRACKETS) == 3
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        outcome = Replayer(path, fresh.url, "stager_test_again").run()
    assert outcome.replayed == len(ops)
    assert outcome.differences == [], [d.as_json() for d in outcome.differences]


def test_a_signed_url_on_google_storage_is_rerouted_through_the_proxy_unchanged():
    """No connection made: the rewrite and the route a PUT to it then takes."""
    spec = load_spec("stagerai", data_dir("openapi") / "stagerai.yaml", "")
    signed = SignedUrls(spec, "https://api.stagerai.com", 5.0)
    assert signed.operations == {"createHdrUploadUrl"}
    query = "X-Goog-Algorithm=GOOG4-HMAC-SHA256&X-Goog-Signature=abc123"
    body = json.dumps({"id": "img_1", "uploadUrl":
                       f"https://storage.googleapis.com/bkt/g/img_1/a%2Bb.jpg?{query}"})
    out = json.loads(signed.rewrite(body.encode(), "http://127.0.0.1:8001"))
    assert out["uploadUrl"] == f"http://127.0.0.1:8001/gcs/bkt/g/img_1/a%2Bb.jpg?{query}"
    client, target = signed.route("/gcs/bkt/g/img_1/a+b.jpg",
                                  f"/gcs/bkt/g/img_1/a%2Bb.jpg?{query}") or (None, "")
    assert client is not None and (client.tls, client.netloc) == (True, "storage.googleapis.com")
    assert target == f"/bkt/g/img_1/a%2Bb.jpg?{query}"  # path and query byte for byte
    assert signed.route("/api/projects", "/api/projects") is None
