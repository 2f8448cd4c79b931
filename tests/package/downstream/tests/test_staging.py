"""The integrator's tests, using only stagemock's installed pytest plugin."""

from __future__ import annotations

import io

import pytest
from listing_photos import StageProClient, StageProError

from mock_server import verify_signature


def client_for(mock) -> StageProClient:
    return StageProClient(mock.base_url, mock.api_key)


def test_a_staged_photo_completes_with_a_real_jpeg(stagepro_mock):
    client = client_for(stagepro_mock)
    job = client.stage("https://photos.example/room.jpg", "modern", "living-room")
    assert job["status"] == "queued"
    stagepro_mock.advance(10)
    done = client.job(job["id"])
    assert done["status"] == "completed"
    image = client.download(done["output"]["images"][0]["url"])
    assert image[:3] == b"\xff\xd8\xff"
    assert stagepro_mock.violations() == []


def test_the_magic_input_fails_the_job(stagepro_mock):
    client = client_for(stagepro_mock)
    job = client.stage("https://photos.example/fail-image_too_dark.jpg", "modern", "bedroom")
    stagepro_mock.advance(10)
    failed = client.job(job["id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "image_too_dark"


def test_an_unknown_key_is_refused(stagepro_mock):
    client = StageProClient(stagepro_mock.base_url, "sk_live_nobody")
    with pytest.raises(StageProError) as info:
        client.stage("https://photos.example/room.jpg", "modern", "bedroom")
    assert info.value.status == 401


def test_each_test_has_its_own_account(stagepro_mock):
    client = client_for(stagepro_mock)
    listed = client._call("GET", "/jobs")
    assert listed["data"] == []


def test_a_completed_job_is_delivered_to_the_webhook(stagepro_mock, stagepro_webhook_receiver):
    rx = stagepro_webhook_receiver
    with stagepro_mock.console() as console:
        endpoint = console.post("/webhooks", json={"url": rx.url})
        assert endpoint.status_code == 201, endpoint.text
        endpoint = endpoint.json()
    # the challenge is a real request in the background: the plugin waits for its answer
    stagepro_mock.wait_for_webhook(endpoint["id"])
    client = client_for(stagepro_mock)
    job = client.stage(
        "https://photos.example/room.jpg", "modern", "bedroom",
        webhook_endpoint_id=endpoint["id"],
    )
    stagepro_mock.advance(10)
    delivery = rx.wait_for(1)[0]
    assert delivery["json"]["type"] == "job.completed"
    assert delivery["json"]["data"]["object"]["id"] == job["id"]
    now = stagepro_mock.advance(0)["unix"]
    assert verify_signature(
        delivery["body"], delivery["headers"]["x-stagepro-signature"], endpoint["secret"],
        now=now,
    )


def test_stager_ai_project(stagerai_mock):
    with stagerai_mock.client() as http:
        r = http.post("/api/projects", json={"title": "12 Oak Lane"})
        assert r.status_code == 200, r.text
        assert r.json()["title"] == "12 Oak Lane"
        missing_key = http.post("/api/projects", json={"title": "x"},
                                headers={"stager-api-key": "nobody"})
        assert missing_key.status_code == 401
        assert missing_key.json()["success"] is False


@pytest.mark.stagemock_strict
def test_strict_mode_catches_a_bad_request(stagepro_mock):
    """Expected to FAIL: the client sends a body the spec forbids, and strict mode names it."""
    client = client_for(stagepro_mock)
    client.send_raw({"type": "virtual-stage", "input": {"image_url": 42}})


def test_a_lost_answer_is_retried_without_a_duplicate(stagepro_mock):
    stagepro_mock.fault("lose_response", "createJob")  # the job is created, the answer lost
    client = client_for(stagepro_mock)
    job = client.stage_safely("https://photos.example/den.jpg", "modern", "living-room",
                              idempotency_key="den-1")
    assert [j["id"] for j in client._call("GET", "/jobs")["data"]] == [job["id"]]
    assert stagepro_mock.resilience() == []


def test_photo_decodes(stagepro_mock):
    PIL = pytest.importorskip("PIL.Image")
    client = client_for(stagepro_mock)
    job = client.stage("https://photos.example/kitchen.jpg", "scandinavian", "kitchen")
    stagepro_mock.advance(10)
    data = client.download(client.job(job["id"])["output"]["images"][0]["url"])
    assert PIL.open(io.BytesIO(data)).size[0] > 0
