"""The StagePro twin over real HTTP does what the StagePro reference states (each test names
the reference section it exercises); the Stager AI twin's tests are in test_twins_stagerai.py,
the breaking variants' in test_twins_breaking.py."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.twins import stagepro_rules as rules
from tests.twins.run import running_twin
from tests.waiting import wait_for

JOB_SECONDS = 0.3
ROOT = Path(__file__).resolve().parents[2]


def jpeg(size: tuple[int, int] = (40, 30), colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


class Clock:
    """A clock the test moves by hand (for the 24-hour expiries)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with running_twin("stagepro", job_seconds=JOB_SECONDS) as url:
        yield url


def client(base: str, key: str | None = None) -> httpx.Client:
    key = key or f"sk_test_{uuid.uuid4().hex}"
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10)


@pytest.fixture
def sp(base: str) -> Iterator[httpx.Client]:
    """A client with this test's own sk_test_ key (each key is its own sandbox)."""
    with client(base) as c:
        yield c


def finished(sp: httpx.Client, job_id: str) -> dict:
    """Poll the job ("Poll for results") until its status is completed or failed."""
    def poll() -> dict | None:
        body = sp.get(f"/jobs/{job_id}").json()
        return body if body["status"] in ("completed", "failed") else None
    return wait_for(poll, 10, f"job {job_id} finishing")


STAGE = {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg"}}


def test_create_job_answers_202_queued_with_a_uuid_then_polls_to_completed(sp) -> None:
    """Create a job / Poll for results: 202 with id and status queued; completed later."""
    created = sp.post("/jobs", json=STAGE)
    assert created.status_code == 202
    assert created.json() == {"id": created.json()["id"], "status": "queued"}
    uuid.UUID(created.json()["id"])
    assert sp.get(f"/jobs/{created.json()['id']}").json()["status"] in ("queued", "running")
    done = finished(sp, created.json()["id"])
    assert done["status"] == "completed"
    image = httpx.get(done["result_url"])
    assert image.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).format == "JPEG"


def test_every_example_field_of_the_reference_is_accepted(sp) -> None:
    """Create a job and Recommended staging workflow: the fields their examples show."""
    body = {"type": "virtual-stage",
            "input": {"image_url": "https://example.com/original.jpg",
                      "empty_room_url": "https://example.com/cleared.jpg", "style": "modern",
                      "room_type": "living-room",
                      "options": {"creativity": 3, "aspect_ratio": "16:9"}},
            "metadata": {"listing_id": "MLS-12345", "photo_index": 1},
            "idempotency_key": "listing-12345-photo-1-v1"}
    assert sp.post("/jobs", json=body).status_code == 202


@pytest.mark.parametrize("kind", rules.CORE_TYPES)
def test_each_core_type_is_a_job(sp, kind: str) -> None:
    assert sp.post("/jobs", json={"type": kind, "input": STAGE["input"]}).status_code == 202


def test_each_listed_listing_tool_is_a_job_and_others_are_400(sp) -> None:
    """Available listing tools: the 23 slugs; input.listing_tool is required for the type."""
    assert len(rules.LISTING_TOOLS) == 23
    for slug in rules.LISTING_TOOLS:
        body = {"type": "listing-tool", "input": {"image_url": "https://x.test/a.jpg",
                                                  "listing_tool": slug}}
        assert sp.post("/jobs", json=body).status_code == 202, slug
    for data in ({"image_url": "https://x.test/a.jpg"},
                 {"image_url": "https://x.test/a.jpg", "listing_tool": "magic-editor"}):
        refused = sp.post("/jobs", json={"type": "listing-tool", "input": data})
        assert refused.status_code == 400
        assert isinstance(refused.json()["error"], str)


@pytest.mark.parametrize("body", [
    {}, {"type": "paint", "input": {"image_url": "https://x.test/a.jpg"}},
    {"type": "edit"}, {"type": "edit", "input": {}},
    {"type": "edit", "input": {"image_url": 5}},
    {"type": "edit", "input": {"image_url": "u", "options": {"creativity": "high"}}},
])
def test_a_validation_error_is_400_with_a_string_error(sp, body: dict) -> None:
    """Errors & limits: 400 for a validation error (the body is the twin's own)."""
    refused = sp.post("/jobs", json=body)
    assert refused.status_code == 400
    assert isinstance(refused.json()["error"], str)


def test_the_same_idempotency_key_gives_back_the_same_job(sp) -> None:
    body = {**STAGE, "idempotency_key": "photo-1-v1"}
    first, again = sp.post("/jobs", json=body), sp.post("/jobs", json=body)
    assert first.json()["id"] == again.json()["id"]
    finished(sp, first.json()["id"])
    late = sp.post("/jobs", json={**body, "input": {"image_url": "https://x.test/other.jpg"}})
    assert (late.status_code, late.json()) == (202, first.json())


def test_an_upload_id_replaces_image_url_and_a_non_image_fails_the_job(sp) -> None:
    """Upload images: multipart field file, upload_id used in the job's input."""
    uploaded = sp.post("/uploads", files={"file": ("room.jpg", jpeg(), "image/jpeg")})
    assert uploaded.status_code == 200
    upload_id = uploaded.json()["upload_id"]
    job = sp.post("/jobs", json={"type": "edit", "input": {"upload_id": upload_id}})
    assert finished(sp, job.json()["id"])["status"] == "completed"
    junk = sp.post("/uploads", files={"file": ("x.jpg", b"not an image", "image/jpeg")})
    bad = sp.post("/jobs", json={"type": "edit", "input": {"upload_id": junk.json()["upload_id"]}})
    assert finished(sp, bad.json()["id"])["status"] == "failed"
    assert sp.post("/uploads", data={"other": "x"}).status_code == 400


def test_uploads_expire_after_24_hours() -> None:
    clock = Clock()
    with running_twin("stagepro", clock=clock) as url, client(url) as sp:
        upload_id = sp.post("/uploads", files={"file": ("r.jpg", jpeg())}).json()["upload_id"]
        clock.now += 24 * 3600 - 1
        assert sp.post("/jobs", json={"type": "edit",
                                      "input": {"upload_id": upload_id}}).status_code == 202
        clock.now += 2
        assert sp.post("/jobs", json={"type": "edit",
                                      "input": {"upload_id": upload_id}}).status_code == 400


def test_jobs_by_listing_are_paginated_by_limit(sp) -> None:
    """List jobs by listing: GET /jobs?listing_id= with limit."""
    ids = [sp.post("/jobs", json={**STAGE, "metadata": {"listing_id": "MLS-8842"}}).json()["id"]
           for _ in range(3)]
    sp.post("/jobs", json={**STAGE, "metadata": {"listing_id": "MLS-1"}})
    first = sp.get("/jobs", params={"listing_id": "MLS-8842", "limit": 2}).json()
    assert [j["id"] for j in first["jobs"]] == ids[:2] and first["total"] == 3
    rest = sp.get("/jobs", params={"listing_id": "MLS-8842", "limit": 2,
                                   "offset": first["next_offset"]}).json()
    assert [j["id"] for j in rest["jobs"]] == ids[2:] and rest["next_offset"] is None
    assert sp.get("/jobs").status_code == 400


def test_regenerate_makes_a_variation_of_a_completed_job_only(sp) -> None:
    """Recommended staging workflow, step 3."""
    job_id = sp.post("/jobs", json=STAGE).json()["id"]
    assert sp.post(f"/jobs/{job_id}/regenerate").status_code == 400
    finished(sp, job_id)
    again = sp.post(f"/jobs/{job_id}/regenerate")
    assert again.status_code == 201 and again.json()["id"] != job_id
    assert finished(sp, again.json()["id"])["status"] == "completed"


def test_a_batch_returns_batch_id_and_job_ids_and_finishes(sp) -> None:
    """Batch processing: the reference's example body."""
    body = {"type": "listing-tool", "input": {"listing_tool": "room-declutter"},
            "listing_id": "MLS-8842",
            "photos": [{"image_url": "https://example.com/kitchen.jpg", "label": "kitchen"},
                       {"image_url": "https://example.com/living.jpg", "label": "living"}]}
    created = sp.post("/batches", json=body)
    assert created.status_code == 201
    batch_id, job_ids = created.json()["batch_id"], created.json()["job_ids"]
    assert len(job_ids) == 2
    done = wait_for(lambda: (b := sp.get(f"/batches/{batch_id}").json())["status"] == "completed"
                    and b, 10, "the batch finishing")
    assert done["completed"] == 2
    listed = sp.get("/jobs", params={"listing_id": "MLS-8842"}).json()["jobs"]
    assert {j["id"] for j in listed} == set(job_ids)
    assert sp.post("/batches", json={**body, "photos": []}).status_code == 400


@pytest.mark.parametrize("template", list(rules.TEMPLATES))
def test_each_workflow_template_expands_into_a_batch(sp, template: str) -> None:
    """Workflow templates: the 6 templates, the reference's example body."""
    body = {"template": template, "listing_id": "MLS-8842", "defaults": {"style": "modern"},
            "photos": [{"image_url": "https://example.com/living.jpg", "label": "living",
                        "room_type": "living-room"}]}
    created = sp.post("/workflows", json=body)
    assert created.status_code == 201
    workflow = created.json()
    assert len(workflow["job_ids"]) == 1
    shown = sp.get(f"/workflows/{workflow['id']}").json()
    assert shown["template"] == template and shown["batch_id"] == workflow["batch_id"]
    assert sp.get(f"/batches/{workflow['batch_id']}").status_code == 200


def test_an_unknown_workflow_template_is_400(sp) -> None:
    body = {"template": "mls-magic", "photos": [{"image_url": "https://x.test/a.jpg"}]}
    assert sp.post("/workflows", json=body).status_code == 400


def test_the_agent_chats_then_renders_once_ready(sp) -> None:
    """AI Design Agent: session, message, render when readyToRender."""
    session = sp.post("/agent/sessions", json={"image_url": "https://example.com/room.jpg",
                                               "auto_render": False})
    assert session.status_code == 201
    sid = session.json()["id"]
    assert sp.post(f"/agent/sessions/{sid}/render",
                   json={"job_type": "interior-design"}).status_code == 400
    said = sp.post(f"/agent/sessions/{sid}/messages",
                   json={"message": "What would you improve in this living room?"}).json()
    assert said["readyToRender"] is True and said["reply"]
    render = sp.post(f"/agent/sessions/{sid}/render", json={"job_type": "interior-design"})
    assert render.status_code == 200
    assert finished(sp, render.json()["id"])["status"] == "completed"


def test_agent_messages_stream_as_sse(sp) -> None:
    sid = sp.post("/agent/sessions", json={"image_url": "https://x.test/r.jpg"}).json()["id"]
    streamed = sp.post(f"/agent/sessions/{sid}/messages", json={"message": "hi", "stream": True})
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert streamed.text.count("data: ") > 2 and "event: done" in streamed.text
    assert '"readyToRender": true' in streamed.text


def test_auto_render_queues_a_job_when_ready(sp) -> None:
    sid = sp.post("/agent/sessions", json={"image_url": "https://x.test/r.jpg",
                                           "auto_render": True}).json()["id"]
    said = sp.post(f"/agent/sessions/{sid}/messages", json={"message": "go"}).json()
    assert finished(sp, said["job_id"])["status"] == "completed"


def test_capabilities_and_usage(sp) -> None:
    caps = sp.get("/capabilities").json()
    assert caps["listing_tools"] == list(rules.LISTING_TOOLS)
    assert caps["templates"] == list(rules.TEMPLATES)
    usage = sp.get("/usage").json()
    assert {"credits", "storage", "plan_limits"} <= usage.keys()


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer sk_test_",
                                    f"Bearer {rules.REVOKED_KEY}", "Bearer sk_live_made_up"])
def test_an_invalid_or_revoked_key_is_401(base: str, header: str | None) -> None:
    """Errors & limits: 401 for an invalid or revoked API key."""
    headers = {"Authorization": header} if header else {}
    refused = httpx.get(f"{base}/capabilities", headers=headers)
    assert refused.status_code == 401 and isinstance(refused.json()["error"], str)


def test_no_credits_is_402_and_test_keys_never_spend(base: str, sp) -> None:
    """Errors & limits: 402 for insufficient credits; sk_test_ keys spend nothing."""
    with client(base, rules.BROKE_KEY) as broke:
        refused = broke.post("/jobs", json=STAGE)
    assert refused.status_code == 402 and refused.json() == {"error": "Insufficient credits"}
    before = sp.get("/usage").json()["credits"]
    sp.post("/jobs", json=STAGE)
    assert sp.get("/usage").json()["credits"] == before
    with client(base, rules.FUNDED_KEY) as funded:
        before = funded.get("/usage").json()["credits"]
        funded.post("/jobs", json=STAGE)
        assert funded.get("/usage").json()["credits"] == before - 1


def test_a_full_storage_is_403(base: str) -> None:
    """Errors & limits: 403 when the storage limit is exceeded."""
    with client(base, rules.FULL_KEY) as full:
        refused = full.post("/uploads", files={"file": ("r.jpg", jpeg())})
    assert refused.status_code == 403 and isinstance(refused.json()["error"], str)


def test_an_unknown_job_is_a_plain_text_404(sp) -> None:
    missing = sp.get(f"/jobs/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")


def test_keys_and_webhooks_need_the_console_session(base: str, sp) -> None:
    """Endpoints: keys and webhooks take a console session, not an API key; Webhooks: an
    endpoint completes its verification challenge before a job may use it."""
    assert sp.get("/keys").status_code == 401 and sp.post("/webhooks", json={}).status_code == 401
    cookies = {rules.CONSOLE_COOKIE: rules.CONSOLE_TOKEN}
    with httpx.Client(base_url=base, cookies=cookies) as console:
        key = console.post("/keys", json={}).json()["key"]
        assert key.startswith("sk_live_")
        assert len(console.get("/keys").json()["keys"]) >= 1
        hook = console.post("/webhooks", json={}).json()
        job = {**STAGE, "webhook_endpoint_id": hook["id"]}
        with client(base, key) as live:
            assert live.post("/jobs", json=job).status_code == 400
            console.post("/webhooks", json={"id": hook["id"], "challenge": hook["challenge"]})
            assert live.post("/jobs", json=job).status_code == 202
