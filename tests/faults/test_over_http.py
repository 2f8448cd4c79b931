"""Fault rules over real HTTP with a real client (httpx): what each action does to the
connection and to the state, and what the journal and the resilience report say."""

from __future__ import annotations

import time

import httpx
import pytest

from mock_server.faults import resilience
from mock_server.settings import Settings
from mock_server.testing import RunningServer
from tests.conftest import ROOT

JOB = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
       "style": "modern", "room_type": "bedroom"}}
LIVE = "sk_live_mock_funded"


def _live(server) -> httpx.Client:
    server.reset(LIVE)  # the fixture account as shipped, whatever other tests spent
    return httpx.Client(base_url=server.url + "/api/v1",
                        headers={"Authorization": f"Bearer {LIVE}"}, timeout=10)


def _account(server) -> dict:
    return server.admin("GET", f"accounts/{LIVE}").json()


def test_a_lost_create_retried_with_its_idempotency_key_makes_one_job_and_one_charge(server):
    api = _live(server)
    rule = server.fault("stagepro", "lose_response", operation="createJob", api_key=LIVE)
    with api:
        job = dict(JOB, idempotency_key="listing-1-photo-1")  # the documented body field
        lost = api.post("/jobs", json=job)
        assert lost.status_code == 502
        assert lost.json()["error"]["code"] == "bad_gateway"
        assert rule["id"] in lost.json()["error"]["message"]
        retry = api.post("/jobs", json=job)
        assert retry.status_code == 202, retry.text
        assert retry.headers.get("Idempotent-Replayed") == "true"
        jobs = api.get("/jobs").json()["data"]
    assert [j["id"] for j in jobs] == [retry.json()["id"]]
    account = _account(server)
    assert account["credits_spent"] == 2 and account["objects"]["jobs"] == 1
    entries = server.journal(LIVE)
    assert entries[0]["fault"] == rule["id"] and entries[0]["fault_action"] == "lose_response"
    assert entries[0]["lost_status"] == 202 and entries[0]["created"] == retry.json()["id"]
    assert resilience.findings(entries) == []


def test_a_lost_create_retried_without_a_key_makes_two_jobs_and_the_report_names_them(server):
    api = _live(server)
    server.fault("stagepro", "lose_response", operation="createJob", api_key=LIVE)
    with api:
        assert api.post("/jobs", json=JOB).status_code == 502
        second = api.post("/jobs", json=JOB).json()["id"]
        ids = [j["id"] for j in api.get("/jobs").json()["data"]]
    assert len(ids) == 2 and second in ids
    first = next(i for i in ids if i != second)
    assert _account(server)["credits_spent"] == 4  # charged twice: the client's bug
    found = resilience.findings(server.journal(LIVE))
    assert [f.kind for f in found] == ["duplicate"]
    assert first in found[0].message and second in found[0].message
    assert "without an `idempotency_key`" in found[0].message


def test_lost_as_reset_drops_the_connection_after_the_job_exists(stagepro_mock, sp):
    stagepro_mock.fault("lose_response", "createJob", lost_as="reset")
    with pytest.raises(httpx.RemoteProtocolError):
        sp.post("/jobs", json=JOB)
    assert len(sp.get("/jobs").json()["data"]) == 1
    entry = stagepro_mock.journal()[0]
    assert entry["status"] is None and entry["lost_status"] == 202


def test_a_reset_is_a_broken_connection_and_nothing_runs(stagepro_mock, sp):
    stagepro_mock.fault("reset", "createJob")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ConnectError, httpx.ReadError)):
        sp.post("/jobs", json=JOB)
    assert sp.get("/jobs").json()["data"] == []
    entry = stagepro_mock.journal()[0]
    assert entry["status"] is None and entry["fault_action"] == "reset"


def test_a_truncated_body_is_incomplete(stagepro_mock, sp):
    job = sp.post("/jobs", json=JOB).json()
    stagepro_mock.fault("truncate", "getJob")
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body") as err:
        sp.get(f"/jobs/{job['id']}")
    assert sp.get(f"/jobs/{job['id']}").json()["id"] == job["id"]  # once (times=1)
    # docs/faults.md quotes httpx's words, with the sizes of its own example (half of 300)
    said = str(err.value).split(" (received")[0]
    row = next(line for line in (ROOT / "docs" / "faults.md").read_text().splitlines()
               if line.startswith("| `truncate` |"))
    assert f'`RemoteProtocolError` "{said} (received ' in row, (said, row)


def test_a_delay_keeps_the_bytes_and_takes_the_time(stagepro_mock, sp):
    before = sp.get("/capabilities").content
    stagepro_mock.fault("delay", "getCapabilities", delay_ms=300)
    started = time.monotonic()
    after = sp.get("/capabilities").content
    assert time.monotonic() - started >= 0.3
    assert after == before


def test_a_slow_body_sends_every_byte_in_pieces_spread_over_the_delay(stagepro_mock, sp):
    before = sp.get("/capabilities").content
    rule = stagepro_mock.fault("slow_body", "getCapabilities", delay_ms=400)
    arrivals: list[float] = []
    chunks: list[bytes] = []
    with sp.stream("GET", "/capabilities") as got:
        assert got.status_code == 200
        assert got.headers["content-length"] == str(len(before))
        for chunk in got.iter_raw():
            arrivals.append(time.monotonic())
            chunks.append(chunk)
    assert b"".join(chunks) == before  # the answer itself, byte for byte
    assert len(chunks) > 1 and arrivals[-1] - arrivals[0] >= 0.3  # trickled, not sent whole
    entry = stagepro_mock.journal()[-1]
    assert entry["fault"] == rule["id"] and entry["fault_action"] == "slow_body"
    assert entry["status"] == 200
    assert sp.get("/capabilities").content == before  # once (times=1), then whole again


@pytest.mark.parametrize("status,code", [(429, "rate_limited"), (500, "internal_error"),
                                         (502, "bad_gateway"), (503, "service_unavailable"),
                                         (504, "gateway_timeout")])
def test_errors_use_the_stagepro_envelope(stagepro_mock, sp, status, code):
    stagepro_mock.fault("error", "listJobs", status=status)
    r = sp.get("/jobs")
    assert r.status_code == status and r.json()["error"]["code"] == code
    assert r.headers.get("Retry-After") == ("1" if status in (429, 503) else None)
    assert sp.get("/jobs").status_code == 200


def test_stager_ai_errors_use_its_envelope(stagerai_mock, sa):
    stagerai_mock.fault("error", "createProject", status=503, retry_after=7)
    r = sa.post("/api/projects", json={"name": "x"})
    assert r.status_code == 503 and r.headers["Retry-After"] == "7"
    assert r.json()["success"] is False and r.json()["error"]["code"] == "service_unavailable"


def test_gcs_put_faults_answer_in_xml(stagerai_mock, sa):
    project = sa.post("/api/projects", json={"title": "t"}).json()["id"]
    group = sa.post("/api/hdr-image-group", json={"projectId": project}).json()["groupId"]
    url = sa.post("/api/hdr-upload-url",
                  json={"projectId": project, "groupId": group, "filename": "a.jpg"}).json()
    stagerai_mock.fault("error", "putSignedUpload", api="gcs", status=503)
    r = httpx.put(url["uploadUrl"], content=b"x", headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/xml")
    assert "<Code>ServiceUnavailable</Code>" in r.text and r.headers["Retry-After"] == "1"
    entry = stagerai_mock.journal(api="stagerai")[-1]
    assert entry["operation_id"] == "putSignedUpload" and entry["fault"]


def test_after_and_times_count_matching_calls(stagepro_mock, sp):
    rule = stagepro_mock.fault("error", "listJobs", status=500, after=2, times=2)
    statuses = [sp.get("/jobs").status_code for _ in range(6)]
    assert statuses == [200, 200, 500, 500, 200, 200]
    [listed] = stagepro_mock.faults()
    assert listed["id"] == rule["id"] and listed["hits"] == 2 and listed["remaining"] == 0
    assert listed["seen"] == 4  # an exhausted rule stops counting


def test_a_rule_with_a_key_never_touches_another_key(stagepro_mock, sp):
    stagepro_mock.fault("error", status=503, times=None)
    with httpx.Client(base_url=stagepro_mock.base_url, timeout=10,
                      headers={"Authorization": "Bearer sk_test_someone_else"}) as other:
        assert [other.get("/jobs").status_code for _ in range(3)] == [200] * 3
    assert sp.get("/jobs").status_code == 503


def _statuses(seed: int) -> list[int]:
    with RunningServer(Settings(deterministic=True, image_workers=0, seed=seed)) as server:
        server.fault("stagepro", "error", operation="listJobs", status=500, times=None,
                     probability=0.5)
        with httpx.Client(base_url=server.url + "/api/v1", timeout=10,
                          headers={"Authorization": "Bearer sk_test_prob"}) as api:
            return [api.get("/jobs").status_code for _ in range(40)]


def test_probability_injects_on_the_same_calls_in_two_deterministic_runs():
    first, second = _statuses(0), _statuses(0)
    assert first == second
    assert 5 < first.count(500) < 35  # a real draw, not all or nothing
    assert _statuses(1) != first  # the seed decides


def test_reset_clears_the_faults_of_what_it_resets(server):
    server.fault("stagepro", "error", api_key="sk_test_a", times=None)
    server.fault("stagepro", "error", api_key="sk_test_b", times=None)
    server.reset("sk_test_a")
    assert [f["api_key"] for f in server.faults()] == ["sk_test_b"]
    server.reset()
    assert server.faults() == []


def test_delete_one_and_all(server):
    a = server.fault("stagepro", "error")
    server.fault("stagerai", "reset")
    assert server.admin("DELETE", f"faults/{a['id']}").status_code == 204
    assert server.admin("GET", f"faults/{a['id']}").status_code == 404
    assert server.admin("DELETE", "faults").status_code == 204
    assert server.faults() == []


@pytest.mark.parametrize("body,field", [
    ({"api": "stagepro", "action": "duplicate"}, "action"),
    ({"api": "webhooks", "action": "error"}, "action"),
    ({"api": "stagepro", "action": "error", "operation": "createJbo"}, "operation"),
    ({"api": "gcs", "action": "error", "operation": "createJob"}, "operation"),
    ({"api": "stagepro", "action": "error", "status": 418}, "status"),
    ({"api": "stagepro", "action": "error", "probability": 2}, "probability"),
    ({"api": "stagepro", "action": "reset", "lost_as": "reset"}, "lost_as"),
    ({"api": "nowhere", "action": "error"}, "api"),
])
def test_a_bad_rule_is_a_400_naming_the_field(server, body, field):
    r = server.admin("POST", "faults", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == field


def test_startup_faults_come_back_after_a_full_reset():
    settings = Settings(deterministic=True, image_workers=0,
                        faults=("stagepro:listJobs:error,status=500,times=null",))
    with RunningServer(settings) as server:
        [rule] = server.faults()
        assert rule["operation"] == "listJobs" and rule["times"] is None
        server.reset()
        assert [f["id"] for f in server.faults()] == [rule["id"]]


def test_the_rate_limit_is_a_token_bucket_per_key_that_the_mocks_clock_refills():
    # N/min, so that the wall time these requests take refills nothing measurable
    settings = Settings(deterministic=True, image_workers=0, rate_limit="3/min")
    with RunningServer(settings) as server, httpx.Client(
            base_url=server.url + "/api/v1", timeout=10,
            headers={"Authorization": "Bearer sk_test_rl"}) as api:
        got = [api.get("/jobs") for _ in range(4)]
        assert [r.status_code for r in got] == [200, 200, 200, 429]
        assert got[3].headers["Retry-After"] == "20"
        assert got[3].json()["error"]["code"] == "rate_limited"
        with httpx.Client(base_url=server.url + "/api/v1", timeout=10,
                          headers={"Authorization": "Bearer sk_test_other"}) as other:
            assert other.get("/jobs").status_code == 200  # per key
        server.advance(20)
        assert api.get("/jobs").status_code == 200
        assert server.admin("GET", "faults").json()["rate_limit"] == "3/min"
        assert server.journal("sk_test_rl")[3]["fault"] == "rate_limit"


def test_a_client_that_waits_out_retry_after_in_wall_time_is_served_in_deterministic_mode():
    """issue 34: with ``--deterministic`` the bucket refilled only on the virtual clock, so a
    client obeying ``Retry-After: 1`` got 429 again after 2 real seconds. The header is a
    promise in wall time; waiting it out on the wall is the behaviour under test, so this
    test sleeps the very seconds the header names (the mock's clock never moves)."""
    settings = Settings(deterministic=True, image_workers=0, rate_limit="1/s")
    with RunningServer(settings) as server, httpx.Client(
            base_url=server.url + "/api/v1", timeout=10,
            headers={"Authorization": "Bearer sk_test_rl_wall"}) as api:
        clock = server.context.clock.now()
        assert api.get("/jobs").status_code == 200
        refused = api.get("/jobs")
        assert refused.status_code == 429, refused.text
        time.sleep(int(refused.headers["Retry-After"]))
        again = api.get("/jobs")
        assert again.status_code == 200, again.text
        assert server.context.clock.now() == clock  # served by the wall, not by an advance


def test_a_client_that_honours_retry_after_passes_and_one_that_does_not_is_named(
        stagepro_mock, sp):
    stagepro_mock.fault("error", "listJobs", status=429, retry_after=1)
    first = sp.get("/jobs")
    # a well-behaved client waits: real time is what is measured here (the resilience report
    # reads the journal's wall-clock arrival times, as a client's backoff is wall time), so
    # this 1 s sleep is the behaviour under test, not a wait for the mock
    time.sleep(float(first.headers["Retry-After"]))
    assert sp.get("/jobs").status_code == 200
    assert stagepro_mock.resilience() == []
    stagepro_mock.fault("error", "getUsage", status=429, retry_after=1)
    assert sp.get("/usage").status_code == 429
    assert sp.get("/usage").status_code == 200  # at once: too soon
    [finding] = stagepro_mock.resilience()
    assert finding.startswith("[early_retry]") and "Retry-After: 1" in finding
