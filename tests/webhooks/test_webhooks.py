"""Webhooks end to end over loopback with a real receiver, on the virtual clock."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest

from mock_server import verify_signature
from mock_server.webhooks import SignatureVerificationError
from tests.waiting import wait_for

JOB = {"type": "listing-tool", "input": {"image_url": "https://example.com/exterior.jpg", "listing_tool": "virtual-twilight"}}


def independent_check(body: bytes, header: str, secret: str) -> bool:
    """A few lines, independent of the mock's code: what an integrator would write."""
    parts = dict(p.split("=", 1) for p in header.split(",") if p.startswith("t="))
    sigs = [p[3:] for p in header.split(",") if p.startswith("v1=")]
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return expected in sigs


@pytest.fixture
def console(http, stagepro_mock):
    token = http.post("/__mock/console-sessions", json={"api_key": stagepro_mock.api_key}).json()["token"]
    with httpx.Client(base_url=stagepro_mock.base_url, cookies={"stagepro_session": token}) as c:
        yield c


def _deliveries(http, **params):
    return http.get("/__mock/webhooks/deliveries", params=params).json()["data"]


def _all_delivered(http, endpoint_id):
    """The events queued for the endpoint once every one has succeeded (else ``None``)."""
    queued = _deliveries(http, endpoint_id=endpoint_id)
    return queued if queued and all(d["state"] == "succeeded" for d in queued) else None


def _unix(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()




def _endpoint(console, http, receiver, events=None):
    body = {"url": receiver.url, **({"events": events} if events else {})}
    r = console.post("/webhooks", json=body)
    assert r.status_code == 201
    ep = r.json()
    assert ep["status"] == "pending_verification" and ep["secret"].startswith("whsec_")
    wait_for(lambda: console.get("/webhooks").json()["data"][0]["status"] == "active")
    return ep


def test_register_verify_and_receive_job_completed(console, http, sp, stagepro_mock, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    ep = _endpoint(console, http, rx)
    challenge = rx.challenges[0]
    assert challenge["json"]["type"] == "webhook.verification"
    assert independent_check(challenge["body"], challenge["headers"]["x-stagepro-signature"], ep["secret"])
    job = sp.post("/jobs", json=dict(JOB, webhook_endpoint_id=ep["id"])).json()
    stagepro_mock.advance(10)
    got = rx.wait_for(1)[0]
    assert got["json"]["type"] == "job.completed" and got["json"]["data"]["object"]["id"] == job["id"]
    assert got["json"]["id"].startswith("evt_") and isinstance(got["json"]["created"], int)
    assert got["headers"]["x-stagepro-event-id"] == got["json"]["id"]
    header = got["headers"]["x-stagepro-signature"]
    assert independent_check(got["body"], header, ep["secret"])
    t = int(header.split(",")[0][2:])
    assert verify_signature(got["body"], header, ep["secret"], now=t)


def test_retries_follow_the_schedule_with_one_event_id(console, http, sp, stagepro_mock, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    ep = _endpoint(console, http, rx)
    rx.respond_with([500, 500, 200])
    sp.post("/jobs", json=dict(JOB, webhook_endpoint_id=ep["id"]))
    stagepro_mock.advance(10)
    rx.wait_for(1)
    wait_for(lambda: _deliveries(http, endpoint_id=ep["id"])[0]["state"] == "pending")
    stagepro_mock.advance(10)  # first retry is due 10 s after the failure
    rx.wait_for(2)
    wait_for(lambda: _deliveries(http, endpoint_id=ep["id"])[0]["state"] == "pending")
    clock = stagepro_mock.advance(29)
    # not yet: the second retry waits 30 s. Said by the hub's own record, not by a pause: the
    # delivery is pending (not in flight) and due after the clock, so nothing can be sent
    (pending,) = _deliveries(http, endpoint_id=ep["id"])
    assert pending["state"] == "pending" and len(pending["attempts"]) == 2, pending
    due = _unix(pending["next_attempt_at"])
    assert due - pending["attempts"][-1]["at_unix"] == 30 and due > clock["unix"], (pending, clock)
    assert len(rx.deliveries) == 2
    stagepro_mock.advance(1)
    rx.wait_for(3)
    d = wait_for(lambda: [x for x in _deliveries(http, endpoint_id=ep["id"]) if x["state"] == "succeeded"])[0]
    times = [a["at_unix"] for a in d["attempts"]]
    assert [a["status"] for a in d["attempts"]] == [500, 500, 200]
    assert times[1] - times[0] == 10 and times[2] - times[1] == 30
    assert len({x["headers"]["x-stagepro-event-id"] for x in rx.deliveries}) == 1


def test_receiver_down_loses_nothing(console, http, sp, stagepro_mock, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    ep = _endpoint(console, http, rx)
    rx.stop()
    ids = [sp.post("/jobs", json=dict(JOB, webhook_endpoint_id=ep["id"])).json()["id"] for _ in range(3)]
    stagepro_mock.advance(10)
    wait_for(lambda: all(d["attempts"] and d["state"] == "pending" for d in _deliveries(http, endpoint_id=ep["id"])) and len(_deliveries(http, endpoint_id=ep["id"])) == 3)
    rx.start()
    stagepro_mock.advance(10)
    rx.wait_for(3)
    got = {d["json"]["data"]["object"]["id"] for d in rx.deliveries}
    assert got == set(ids)


def test_batch_completed_once_after_all_jobs(console, http, sp, stagepro_mock, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    ep = _endpoint(console, http, rx, events=["batch.completed"])
    sp.post("/batches", json={"type": "empty-room", "webhook_endpoint_id": ep["id"],
                              "photos": [{"image_url": f"https://example.com/{i}.jpg"} for i in range(3)]})
    stagepro_mock.advance(60)
    rx.wait_for(1)
    # every event the hub queued for the endpoint, all delivered: nothing else can arrive later
    queued = wait_for(lambda: _all_delivered(http, ep["id"]))
    assert [d["type"] for d in queued] == ["batch.completed"]
    assert [d["json"]["type"] for d in rx.deliveries] == ["batch.completed"]
    assert rx.deliveries[0]["json"]["data"]["object"]["counts"]["completed"] == 3


def test_job_failed_event_for_magic_failures(console, http, sp, stagepro_mock, stagepro_webhook_receiver):
    ep = _endpoint(console, http, stagepro_webhook_receiver)
    sp.post("/jobs", json={"type": "edit", "input": {"image_url": "https://x.test/fail-corrupt_file.jpg"}, "webhook_endpoint_id": ep["id"]})
    stagepro_mock.advance(10)
    event = stagepro_webhook_receiver.wait_for(1)[0]["json"]
    assert event["type"] == "job.failed" and event["data"]["object"]["error"]["code"] == "corrupt_file"


def test_verification_failure_and_retry(console, http, sp, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    rx.echo_challenge = False
    ep = console.post("/webhooks", json={"url": rx.url}).json()
    wait_for(lambda: console.get("/webhooks").json()["data"][0]["status"] == "verification_failed")
    r = sp.post("/jobs", json=dict(JOB, webhook_endpoint_id=ep["id"]))
    assert r.status_code == 400 and "verification_failed" in r.json()["error"]["message"]
    rx.echo_challenge = True
    again = http.post(f"/__mock/webhooks/endpoints/{ep['id']}/verify").json()
    assert again["status"] == "active"
    assert sp.post("/jobs", json=dict(JOB, webhook_endpoint_id=ep["id"])).status_code == 202


def test_force_fail_and_redeliver(console, http, sp, stagepro_mock, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    ep = _endpoint(console, http, rx)
    http.patch(f"/__mock/webhooks/endpoints/{ep['id']}", json={"force_fail": True})
    sp.post("/jobs", json=dict(JOB, webhook_endpoint_id=ep["id"]))
    stagepro_mock.advance(10)
    d = wait_for(lambda: [x for x in _deliveries(http, endpoint_id=ep["id"]) if x["attempts"]])[0]
    assert "forced failure" in d["attempts"][0]["error"] and rx.deliveries == []
    http.patch(f"/__mock/webhooks/endpoints/{ep['id']}", json={"force_fail": False})
    http.post(f"/__mock/webhooks/events/{d['event_id']}/redeliver")
    assert rx.wait_for(1)[0]["json"]["id"] == d["event_id"]


def test_secret_rotation_signs_with_both(console, http, sp, stagepro_mock, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    ep = _endpoint(console, http, rx)
    new = http.post(f"/__mock/webhooks/endpoints/{ep['id']}/rotate-secret", json={"expires_in": 3600}).json()
    sp.post("/jobs", json=dict(JOB, webhook_endpoint_id=ep["id"]))
    stagepro_mock.advance(10)
    got = rx.wait_for(1)[0]
    header = got["headers"]["x-stagepro-signature"]
    assert header.count("v1=") == 2
    assert independent_check(got["body"], header, ep["secret"]) and independent_check(got["body"], header, new["secret"])


def test_verify_signature_rejects_wrong_secret_and_stale_timestamp():
    body = b'{"id":"evt_1"}'
    t = 1767225600
    sig = hmac.new(b"whsec_right", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    header = f"t={t},v1={sig}"
    assert verify_signature(body, header, "whsec_right", now=t + 10)
    with pytest.raises(SignatureVerificationError, match="no v1"):
        verify_signature(body, header, "whsec_wrong", now=t)
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify_signature(body, header, "whsec_right", now=t + 301)
    with pytest.raises(SignatureVerificationError, match="malformed"):
        verify_signature(body, "garbage", "whsec_right")


def test_keys_created_once_masked_in_lists_and_revocable(console, http, stagemock_server):
    r = console.post("/keys", json={"name": "CRM", "mode": "test"})
    assert r.status_code == 201
    key = r.json()
    assert key["secret"].startswith("sk_test_") and key["masked"].endswith(key["secret"][-4:])
    listed = console.get("/keys").json()["data"]
    assert all("secret" not in k for k in listed) and key["id"] in {k["id"] for k in listed}
    assert httpx.get(stagemock_server.url + "/api/v1/usage", headers={"Authorization": f"Bearer {key['secret']}"}).status_code == 200
    http.patch(f"/__mock/accounts/{key['secret']}", json={"revoked": True})
    assert httpx.get(stagemock_server.url + "/api/v1/usage", headers={"Authorization": f"Bearer {key['secret']}"}).status_code == 401


def test_bad_endpoint_urls_and_inactive_endpoints_get_400(console, sp):
    for url in ("ftp://example.com/hook", "mailto:a@b.c", "http:///nohost"):
        r = console.post("/webhooks", json={"url": url})
        assert r.status_code == 400 and r.json()["error"]["field"] == "url", url
    r = sp.post("/batches", json={"type": "empty-room", "webhook_endpoint_id": "we_nope",
                                  "photos": [{"image_url": "https://example.com/1.jpg"}]})
    assert r.status_code == 400 and r.json()["error"]["field"] == "webhook_endpoint_id"


def test_api_keys_refused_on_console_endpoints(sp, console):
    assert sp.get("/webhooks").status_code == 401 and sp.get("/keys").status_code == 401
    assert console.get("/jobs").status_code == 401


@pytest.mark.parametrize("kind", ["batch", "workflow"])
def test_batch_jobs_inherit_the_endpoint_and_send_their_own_events(kind, console, http, sp, stagepro_mock, stagepro_webhook_receiver):
    """Issue 18: a failed photo in a batch sends `job.failed`, as Stripe would (then the batch
    sends `batch.completed`); a workflow creates a batch, so the same holds."""
    rx = stagepro_webhook_receiver
    ep = _endpoint(console, http, rx)
    photos = [{"image_url": "https://example.com/a.jpg"}, {"image_url": "https://x.test/fail-image_too_dark.jpg"}]
    if kind == "batch":
        r = sp.post("/batches", json={"type": "empty-room", "webhook_endpoint_id": ep["id"], "photos": photos})
    else:
        r = sp.post("/workflows", json={"template": "mls-furniture-clear", "webhook_endpoint_id": ep["id"], "photos": photos})
    assert r.status_code == 202, r.text
    job_ids = r.json()["job_ids"]
    assert {sp.get(f"/jobs/{j}").json()["webhook_endpoint_id"] for j in job_ids} == {ep["id"]}
    stagepro_mock.advance(60)
    rx.wait_for(3)
    queued = wait_for(lambda: _all_delivered(http, ep["id"]))  # nothing left to arrive
    assert len(queued) == 3, queued
    got = sorted((d["json"]["type"], d["json"]["data"]["object"]["id"]) for d in rx.deliveries)
    batch_id = r.json()["batch_id"] if kind == "workflow" else r.json()["id"]
    assert got == sorted([("job.completed", job_ids[0]), ("job.failed", job_ids[1]), ("batch.completed", batch_id)])
