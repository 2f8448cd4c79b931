"""The StagePro job engine over real HTTP, on the virtual clock."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from PIL import Image

from tests.waiting import wait_for

JOB = {"type": "listing-tool", "input": {"image_url": "https://example.com/exterior.jpg", "listing_tool": "virtual-twilight"}}


def _png(w=640, h=480, color=(120, 140, 160)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def test_job_lifecycle_with_timestamps(sp, stagepro_mock):
    job = sp.post("/jobs", json=JOB).json()
    assert job["status"] == "queued" and job["started_at"] is None and job["output"] is None
    stagepro_mock.advance(1)
    job = sp.get(f"/jobs/{job['id']}").json()
    assert job["status"] == "processing" and job["started_at"] is not None
    stagepro_mock.advance(10)
    job = sp.get(f"/jobs/{job['id']}").json()
    assert job["status"] == "completed" and job["completed_at"] >= job["started_at"] >= job["created_at"]
    image = job["output"]["images"][0]
    r = httpx.get(image["url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and r.headers["etag"]
    assert Image.open(io.BytesIO(r.content)).size == (image["width"], image["height"])
    assert httpx.get(image["url"], headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_magic_fail_input_fails_with_code(sp, stagepro_mock):
    job = sp.post("/jobs", json={"type": "edit", "input": {"image_url": "https://x.test/fail-image_too_dark.jpg"}}).json()
    stagepro_mock.advance(30)
    job = sp.get(f"/jobs/{job['id']}").json()
    assert job["status"] == "failed" and job["error"]["code"] == "image_too_dark" and job["output"] is None


def test_magic_fail_via_upload_filename(sp, stagepro_mock):
    up = sp.post("/uploads", files={"file": ("fail-blurry.png", _png(), "image/png")}).json()
    job = sp.post("/jobs", json={"type": "edit", "input": {"upload_id": up["id"]}}).json()
    stagepro_mock.advance(30)
    assert sp.get(f"/jobs/{job['id']}").json()["error"]["code"] == "blurry"


def test_concurrency_holds_extra_jobs_in_queued(http, stagemock_server):
    key = "sk_live_conc_test"
    http.post("/__mock/accounts", json={"api_key": key, "credits": 100, "max_parallel_jobs": 2})
    c = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})
    ids = [c.post("/jobs", json=JOB).json()["id"] for _ in range(5)]
    stagemock_server.advance(1.5)
    statuses = [c.get(f"/jobs/{i}").json()["status"] for i in ids]
    assert statuses == ["processing", "processing", "queued", "queued", "queued"]
    stagemock_server.advance(100)
    assert all(c.get(f"/jobs/{i}").json()["status"] == "completed" for i in ids)
    stagemock_server.reset(key)


def test_live_key_pays_price_and_402_when_short(http, stagemock_server):
    key = "sk_live_pay_test"
    http.post("/__mock/accounts", json={"api_key": key, "credits": 3})
    c = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})
    stage = {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg", "style": "modern"}}
    assert c.post("/jobs", json=stage).json()["credits_charged"] == 2
    r = c.post("/jobs", json=stage)
    assert r.status_code == 402 and r.json()["error"]["code"] == "insufficient_credits"
    usage = c.get("/usage").json()
    assert usage["credits"] == {"balance": 1, "spent": 2, "unlimited": False}
    assert usage["jobs"]["queued"] == 1
    stagemock_server.reset(key)


def test_test_keys_never_spend(sp):
    job = sp.post("/jobs", json={"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg"}}).json()
    assert job["credits_charged"] == 0 and job["livemode"] is False
    assert sp.get("/usage").json()["credits"]["spent"] == 0


def test_batch_is_all_or_nothing(http, stagemock_server):
    key = "sk_live_batch_short"
    http.post("/__mock/accounts", json={"api_key": key, "credits": 1})
    c = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})
    photos = [{"image_url": f"https://example.com/{i}.jpg"} for i in range(2)]
    r = c.post("/batches", json={"type": "listing-tool", "input": {"listing_tool": "room-declutter"}, "photos": photos})
    assert r.status_code == 402
    assert c.get("/jobs").json()["data"] == []
    assert c.get("/usage").json()["credits"]["balance"] == 1
    stagemock_server.reset(key)


def test_storage_full_refuses_uploads_and_jobs(http, stagemock_server):
    c = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": "Bearer sk_live_mock_storage_full"})
    r = c.post("/uploads", files={"file": ("a.png", _png(), "image/png")})
    assert r.status_code == 403 and r.json()["error"]["code"] == "storage_limit_exceeded"
    assert c.post("/jobs", json=JOB).status_code == 403


def test_storage_counts_uploads_and_outputs(sp, stagepro_mock):
    data = _png()
    up = sp.post("/uploads", files={"file": ("room.png", data, "image/png")})
    assert up.status_code == 201
    body = up.json()
    assert (body["width"], body["height"], body["format"], body["size_bytes"]) == (640, 480, "PNG", len(data))
    job = sp.post("/jobs", json={"type": "edit", "input": {"upload_id": body["id"]}}).json()
    stagepro_mock.advance(10)
    job = sp.get(f"/jobs/{job['id']}").json()
    out_size = len(httpx.get(job["output"]["images"][0]["url"]).content)
    storage = sp.get("/usage").json()["storage"]
    assert storage["used_bytes"] == len(data) + out_size
    assert storage["uploads"] == 1 and storage["outputs"] == 1


def test_upload_returns_upload_id_usable_in_job_input(sp, stagepro_mock):
    """The reference (seeds/000, "Upload images"): "Use returned upload_id in job input"."""
    body = sp.post("/uploads", files={"file": ("room.jpg", _png(), "image/png")}).json()
    assert body["upload_id"] == body["id"] and body["upload_id"].startswith("upl_")
    job = sp.post("/jobs", json={"type": "edit", "input": {"upload_id": body["upload_id"]}})
    assert job.status_code == 202, job.text
    stagepro_mock.advance(30)
    assert sp.get(f"/jobs/{job.json()['id']}").json()["status"] == "completed"


@pytest.mark.parametrize("payload,code", [(b"not an image", "invalid_image"), (b"GIF89a" + b"\0" * 20, "invalid_image")])
def test_non_images_are_refused(sp, payload, code):
    r = sp.post("/uploads", files={"file": ("x.jpg", payload, "image/jpeg")})
    assert r.status_code == 400 and r.json()["error"]["field"] == "file"


def test_decompression_bomb_is_refused(sp):
    img = Image.new("1", (10000, 10000))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    r = sp.post("/uploads", files={"file": ("bomb.png", buf.getvalue(), "image/png")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "image_too_large"


def test_upload_over_limit_is_413(sp):
    r = sp.post("/uploads", files={"file": ("big.jpg", b"\xff" * (20 * 1024 * 1024 + 10), "image/jpeg")})
    assert r.status_code == 413


def test_upload_expires_after_24h(sp, stagepro_mock):
    up = sp.post("/uploads", files={"file": ("room.png", _png(), "image/png")}).json()
    stagepro_mock.advance(86400)
    r = sp.post("/jobs", json={"type": "edit", "input": {"upload_id": up["id"]}})
    assert r.status_code == 422 and r.json()["error"]["code"] == "upload_expired"
    assert r.json()["error"]["field"] == "input.upload_id"


def test_unknown_upload_is_422(sp):
    r = sp.post("/jobs", json={"type": "edit", "input": {"upload_id": "upl_nope"}})
    assert r.status_code == 422 and r.json()["error"]["code"] == "upload_not_found"


def test_exactly_one_image_source(sp):
    r = sp.post("/jobs", json={"type": "edit", "input": {"image_url": "https://x.test/a.jpg", "upload_id": "upl_x"}})
    assert r.status_code == 400 and "only one" in r.json()["error"]["message"]
    r = sp.post("/jobs", json={"type": "edit", "input": {}})
    assert r.status_code == 400 and "exactly one" in r.json()["error"]["message"]


def test_listing_tool_rules(sp):
    r = sp.post("/jobs", json={"type": "listing-tool", "input": {"image_url": "https://x.test/a.jpg"}})
    assert r.status_code == 400 and r.json()["error"]["field"] == "input.listing_tool"
    r = sp.post("/jobs", json={"type": "edit", "input": {"image_url": "https://x.test/a.jpg", "listing_tool": "sky-enhancement"}})
    assert r.status_code == 400 and r.json()["error"]["field"] == "input.listing_tool"
    for tool, name in (("furniture-try-on", "Furniture Try-On"), ("magic-editor", "Magic Editor")):
        r = sp.post("/jobs", json={"type": "listing-tool", "input": {"image_url": "https://x.test/a.jpg", "listing_tool": tool}})
        assert r.status_code == 400 and "app-only" in r.json()["error"]["message"] and name in r.json()["error"]["message"]


def test_idempotency(sp):
    body = dict(JOB, idempotency_key="idem-1")
    first, second = sp.post("/jobs", json=body), sp.post("/jobs", json=body)
    assert first.content == second.content and second.headers["idempotent-replayed"] == "true"
    other = sp.post("/jobs", json=dict(JOB, idempotency_key="idem-1", metadata={"x": 1}))
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert len(sp.get("/jobs").json()["data"]) == 1


def test_concurrent_duplicates_create_one_job(sp):
    from concurrent.futures import ThreadPoolExecutor

    body = dict(JOB, idempotency_key="idem-race")

    def post(_):
        with httpx.Client(base_url=str(sp.base_url), headers=dict(sp.headers), timeout=30) as c:
            return c.post("/jobs", json=body)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    assert {r.status_code for r in responses} == {202}
    assert len({r.content for r in responses}) == 1
    assert len(sp.get("/jobs").json()["data"]) == 1


def test_regenerate(sp, stagepro_mock):
    job = sp.post("/jobs", json=JOB).json()
    r = sp.post(f"/jobs/{job['id']}/regenerate")
    assert r.status_code == 409 and r.json()["error"]["code"] == "job_not_completed"
    stagepro_mock.advance(10)
    again = sp.post(f"/jobs/{job['id']}/regenerate").json()
    assert again["variation"] == 1 and again["regenerated_from"] == job["id"] and again["status"] == "queued"
    stagepro_mock.advance(10)
    a = httpx.get(sp.get(f"/jobs/{job['id']}").json()["output"]["images"][0]["url"]).content
    b = httpx.get(sp.get(f"/jobs/{again['id']}").json()["output"]["images"][0]["url"]).content
    assert a != b
    assert sp.post("/jobs/job_unknown/regenerate").status_code == 404


def test_aspect_ratio_is_honoured(sp, stagepro_mock):
    body = {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg", "options": {"aspect_ratio": "1:1"}}}
    job = sp.post("/jobs", json=body).json()
    stagepro_mock.advance(10)
    img = sp.get(f"/jobs/{job['id']}").json()["output"]["images"][0]
    assert img["width"] == img["height"]


def test_staging_differs_from_twilight(sp, stagepro_mock):
    a = sp.post("/jobs", json={"type": "virtual-stage", "input": {"image_url": "https://example.com/house.jpg"}}).json()
    b = sp.post("/jobs", json={"type": "listing-tool", "input": {"image_url": "https://example.com/house.jpg", "listing_tool": "virtual-twilight"}}).json()
    stagepro_mock.advance(10)
    ua, ub = (sp.get(f"/jobs/{j['id']}").json()["output"]["images"][0]["url"] for j in (a, b))
    assert httpx.get(ua).content != httpx.get(ub).content


def test_empty_room_then_virtual_stage_from_its_output(sp, stagepro_mock):
    empty = sp.post("/jobs", json={"type": "empty-room", "input": {"image_url": "https://example.com/room.jpg"}}).json()
    stagepro_mock.advance(10)
    cleared = sp.get(f"/jobs/{empty['id']}").json()["output"]["images"][0]["url"]
    staged = sp.post("/jobs", json={"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg", "empty_room_url": cleared, "style": "modern", "room_type": "living-room"}})
    assert staged.status_code == 202
    stagepro_mock.advance(10)
    assert sp.get(f"/jobs/{staged.json()['id']}").json()["status"] == "completed"


def test_pagination_by_listing(sp):
    ids = [sp.post("/jobs", json=dict(JOB, metadata={"listing_id": "MLS-P"})).json()["id"] for _ in range(5)]
    sp.post("/jobs", json=JOB)
    seen, cursor = [], None
    while True:
        page = sp.get("/jobs", params={"listing_id": "MLS-P", "limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [j["id"] for j in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == ids
    bad = sp.get("/jobs", params={"cursor": "garbage!"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "cursor"
    for limit in (0, 101):
        assert sp.get("/jobs", params={"limit": limit}).json()["error"]["field"] == "limit"


def test_batch_labels_overrides_counts(sp, stagepro_mock):
    body = {"type": "virtual-stage", "input": {"style": "modern", "room_type": "living-room"}, "listing_id": "MLS-B",
            "photos": [{"image_url": "https://example.com/a.jpg", "label": "a"},
                       {"image_url": "https://example.com/fail-too_small.jpg", "label": "b", "style": "luxury"}]}
    batch = sp.post("/batches", json=body).json()
    assert batch["batch_id"] == batch["id"] and len(batch["job_ids"]) == 2 and batch["status"] == "queued"
    jobs = [sp.get(f"/jobs/{j}").json() for j in batch["job_ids"]]
    assert jobs[1]["input"]["style"] == "luxury" and jobs[0]["input"]["style"] == "modern"
    assert all(j["listing_id"] == "MLS-B" and j["batch_id"] == batch["id"] for j in jobs)
    stagepro_mock.advance(30)
    done = sp.get(f"/batches/{batch['id']}").json()
    assert done["status"] == "completed" and done["counts"] == {"total": 2, "queued": 0, "processing": 0, "completed": 1, "failed": 1}
    assert [j["label"] for j in done["jobs"]] == ["a", "b"]


@pytest.mark.parametrize("template,job_type,tool", [
    ("mls-virtual-stage", "virtual-stage", None), ("mls-room-declutter", "listing-tool", "room-declutter"),
    ("mls-furniture-clear", "empty-room", None), ("mls-exterior-twilight", "listing-tool", "virtual-twilight"),
    ("mls-sky-enhance", "listing-tool", "sky-enhancement"), ("mls-interior-design", "interior-design", None),
])
def test_workflow_templates_expand(sp, stagepro_mock, template, job_type, tool):
    wf = sp.post("/workflows", json={"template": template, "listing_id": "MLS-W", "defaults": {"style": "modern", "room_type": "bedroom"},
                                     "photos": [{"image_url": "https://example.com/a.jpg", "room_type": "kitchen"}]}).json()
    job = sp.get(f"/jobs/{wf['job_ids'][0]}").json()
    assert job["type"] == job_type and job["input"].get("listing_tool") == tool
    assert job["input"]["room_type"] == "kitchen"  # the photo's field wins over defaults
    assert sp.get(f"/workflows/{wf['id']}").json()["batch_id"] == wf["batch_id"]
    caps = sp.get("/capabilities").json()
    mapping = {t["id"]: (t["job_type"], t["listing_tool"]) for t in caps["workflow_templates"]}
    assert mapping[template] == (job_type, tool)


def test_unknown_webhook_endpoint_is_400(sp):
    r = sp.post("/jobs", json=dict(JOB, webhook_endpoint_id="we_nope"))
    assert r.status_code == 400 and r.json()["error"]["field"] == "webhook_endpoint_id"


def test_other_accounts_objects_are_invisible(sp, http):
    job = sp.post("/jobs", json=JOB).json()
    r = http.get(f"/api/v1/jobs/{job['id']}", headers={"Authorization": "Bearer sk_test_someone_else"})
    assert r.status_code == 404


def test_same_requests_same_bytes(stagemock_server):
    """Determinism: a fresh key replaying the same requests gets the same bodies and images."""
    def run() -> list[bytes]:
        stagemock_server.reset("sk_test_determinism")
        c = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": "Bearer sk_test_determinism"})
        out = [c.post("/jobs", json=JOB).content]
        job_id = re.search(rb'"id":"(job_\w+)"', out[0]).group(1).decode()
        stagemock_server.advance(10)
        got = c.get(f"/jobs/{job_id}")
        out.append(httpx.get(got.json()["output"]["images"][0]["url"]).content)
        return out
    assert run()[1] == run()[1]
    a, b = run()[0], run()[0]
    assert re.sub(rb'"created_at":"[^"]+"', b"", a) == re.sub(rb'"created_at":"[^"]+"', b"", b)


def test_output_rendered_ahead_is_the_inline_render(sp, stagepro_mock, stagemock_server):
    """The render starts in a worker process when the job starts processing; the bytes served
    at completion are exactly what rendering at that instant gives."""

    job = sp.post("/jobs", json=JOB).json()
    stagepro_mock.advance(1)  # processing: the render is started ahead
    engine = stagemock_server.context.backends["stagepro"].engine
    account = stagemock_server.context.backends["stagepro"].state.keys[stagepro_mock.api_key].account
    ahead = account.jobs[job["id"]].rendering
    assert ahead is not None and ahead.future is not None
    wait_for(ahead.future.done, timeout=30)  # real work in a real worker process (not the clock)
    inline = engine.outputs.work(account, account.jobs[job["id"]])()
    stagepro_mock.advance(10)
    done = sp.get(f"/jobs/{job['id']}").json()
    assert done["status"] == "completed" and account.jobs[job["id"]].rendering is None
    assert httpx.get(done["output"]["images"][0]["url"]).content == inline[0]


def _waits_while_others_are_served(server, waiter, what: str) -> None:
    """Start ``waiter`` (a thread making one call that needs image work held at the gate):
    it must still be waiting, while another client is answered at once."""
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive(), f"{what} must wait for the image work it needs"
    other = httpx.get(f"{server.url}/api/v1/capabilities",
                      headers={"Authorization": "Bearer sk_test_someone_else"}, timeout=2)
    assert other.status_code == 200, "the event loop must stay free while image work runs"


def test_clock_jump_awaits_a_running_render_and_others_are_served_meanwhile(
    sp, stagepro_mock, stagemock_server, gated_renders
):
    import threading

    job = sp.post("/jobs", json=JOB).json()
    stagepro_mock.advance(1)  # processing: its render is submitted, and held at the gate
    jump = threading.Thread(target=stagepro_mock.advance, args=(10,))
    _waits_while_others_are_served(stagemock_server, jump, "the jump")
    gated_renders.set()
    jump.join(30)
    done = sp.get(f"/jobs/{job['id']}").json()
    assert done["status"] == "completed" and done["output"]["images"]


def test_request_awaits_its_accounts_due_render(sp, stagepro_mock, stagemock_server, gated_renders):
    """A request whose account has a completion due (the wall clock moved on) waits for the
    render in the worker, then sees the job completed; it never renders on the event loop."""
    import threading

    job = sp.post("/jobs", json=JOB).json()
    stagepro_mock.advance(1)
    stagemock_server.context.clock._offset += 10  # time passes, nobody is told (wall clock)
    result = {}
    poll = threading.Thread(target=lambda: result.update(r=sp.get(f"/jobs/{job['id']}")))
    _waits_while_others_are_served(stagemock_server, poll, "the request")
    gated_renders.set()
    poll.join(30)
    assert result["r"].json()["status"] == "completed"


def test_long_jump_renders_every_output_in_a_worker(sp, stagepro_mock, stagemock_server):
    """Jobs queued beyond the plan's concurrency are picked up *during* one long clock jump;
    the jump moves event by event, so each render starts at its pick-up in a worker and the
    event loop renders nothing."""
    pre = stagemock_server.context.precompute
    capacity = sp.get("/usage").json()["plan"]["max_parallel_jobs"]
    ids = [sp.post("/jobs", json=JOB).json()["id"] for _ in range(capacity + 3)]
    before = pre.done_in_caller
    stagepro_mock.advance(600)
    jobs = [sp.get(f"/jobs/{i}").json() for i in ids]
    assert {j["status"] for j in jobs} == {"completed"}
    assert all(j["output"]["images"] for j in jobs)
    assert pre.done_in_caller == before, "a render ran on the event loop"


def test_one_jump_and_many_small_steps_give_the_same_jobs(http, stagemock_server):
    """Stepping is invisible: the same requests give the same bytes whether the clock jumps
    once or moves a second at a time."""
    auth = {"Authorization": "Bearer sk_test_stepping"}

    def scenario(steps: list[float]) -> list[bytes]:
        http.post("/__mock/reset")
        ids = [http.post("/api/v1/jobs", json=JOB, headers=auth).json()["id"] for _ in range(7)]
        for s in steps:
            http.post("/__mock/clock/advance", json={"seconds": s})
        return [http.get(f"/api/v1/jobs/{i}", headers=auth).content for i in ids]

    assert scenario([40]) == scenario([1] * 40)
    clock = http.get("/__mock/health").json()["clock"]
    assert clock["offset_seconds"] == 40


def test_without_image_workers_outputs_are_the_same_bytes(sp, stagepro_mock):
    """``--image-workers 0`` renders in the server process: identical outputs."""
    from mock_server import Settings
    from mock_server.testing import RunningServer

    job = sp.post("/jobs", json=JOB).json()
    stagepro_mock.advance(30)
    with_workers = httpx.get(sp.get(f"/jobs/{job['id']}").json()["output"]["images"][0]["url"]).content
    server = RunningServer(Settings(deterministic=True, image_workers=0)).start()
    try:
        assert server.context.precompute.executor is None
        auth = {"Authorization": f"Bearer {stagepro_mock.api_key}"}
        other = httpx.post(f"{server.url}/api/v1/jobs", json=JOB, headers=auth).json()
        httpx.post(f"{server.url}/__mock/clock/advance", json={"seconds": 30})
        done = httpx.get(f"{server.url}/api/v1/jobs/{other['id']}", headers=auth).json()
        assert httpx.get(done["output"]["images"][0]["url"]).content == with_workers
    finally:
        server.stop()


def test_concurrent_clock_advances_add_up(sp, stagepro_mock, stagemock_server, gated_renders):
    """An advance that waits for a render in the middle of its steps is not overtaken: a
    second advance sent meanwhile starts from where the first ends (nothing is lost)."""
    import threading

    start = stagemock_server.context.clock.offset
    sp.post("/jobs", json=JOB)
    stagepro_mock.advance(1)  # processing, render held at the gate
    first = threading.Thread(target=stagepro_mock.advance, args=(40,))
    first.start()
    first.join(0.3)
    second = threading.Thread(target=stagepro_mock.advance, args=(10,))
    second.start()
    second.join(0.3)
    gated_renders.set()
    first.join(30)
    second.join(30)
    assert stagemock_server.context.clock.offset == start + 51


def test_cursor_is_tied_to_account_and_filters(stagemock_server):
    """A cursor of one key, or of other filters, or edited, is refused: 400 naming `cursor`."""
    import base64

    import orjson

    def client(key):
        return httpx.Client(base_url=stagemock_server.url + "/api/v1",
                            headers={"Authorization": f"Bearer {key}"})

    with client("sk_test_cursor_a") as a, client("sk_test_cursor_b") as b:
        for c in (a, b):
            for _ in range(3):
                assert c.post("/jobs", json=dict(JOB, metadata={"listing_id": "MLS-C"})).status_code == 202
        page = a.get("/jobs", params={"limit": 2}).json()
        cursor = page["next_cursor"]
        assert page["has_more"] and cursor
        assert a.get("/jobs", params={"limit": 2, "cursor": cursor}).status_code == 200
        refused = [
            b.get("/jobs", params={"limit": 2, "cursor": cursor}),               # another key
            a.get("/jobs", params={"limit": 2, "cursor": cursor, "listing_id": "MLS-C"}),  # other filters
            a.get("/jobs", params={"limit": 2, "cursor": cursor, "status": "queued"}),
        ]
        pos, mac = cursor.split(".")
        forged = base64.urlsafe_b64encode(orjson.dumps({"after": 1})).decode().rstrip("=")
        refused.append(a.get("/jobs", params={"cursor": f"{forged}.{mac}"}))       # edited position
        refused.append(a.get("/jobs", params={"cursor": pos}))                     # old unsigned form
        refused.append(a.get("/jobs", params={"cursor": f"{pos}.{'é' * 24}"}))     # non-ASCII MAC
        for r in refused:
            assert r.status_code == 400, r.text
            assert r.json()["error"]["field"] == "cursor"
        # deterministic mode: the same cursor for the same requests
        assert a.get("/jobs", params={"limit": 2}).json()["next_cursor"] == cursor
    stagemock_server.reset("sk_test_cursor_a")
    stagemock_server.reset("sk_test_cursor_b")


def test_a_single_jobs_listing_is_metadata_listing_id(sp):
    """As docs/stagepro.md says: metadata.listing_id, echoed as listing_id; a top-level
    listing_id in a job's body is refused naming it."""
    job = sp.post("/jobs", json=dict(JOB, metadata={"listing_id": "MLS-M"}))
    assert job.status_code == 202 and job.json()["listing_id"] == "MLS-M"
    refused = sp.post("/jobs", json=dict(JOB, listing_id="MLS-M"))
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "listing_id"
