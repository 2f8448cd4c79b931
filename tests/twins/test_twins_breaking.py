"""Each breaking twin differs from its faithful twin in exactly its three documented breaks.

The same scripted walk through every endpoint runs against both variants on the same hand-moved
clock; every answer is recorded as (status, body with ids and URLs blanked). The records must
differ at exactly the three steps that :data:`BREAKS` names, in exactly the way it names, and
everything after a break (uploads through a renamed URL, batches read back) must still work."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.twins import stagepro, stagerai
from tests.twins import stagepro_rules as rules
from tests.twins.run import running_twin
from tests.twins.test_twins import Clock, jpeg

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
Record = dict[str, tuple[int, object]]


def blank(value: object) -> object:
    """``value`` with what differs from run to run (UUIDs, loopback URLs, new keys) blanked."""
    if isinstance(value, dict):
        return {k: blank(v) for k, v in value.items()}
    if isinstance(value, list):
        return [blank(v) for v in value]
    if isinstance(value, str) and UUID.match(value):
        return "<uuid>"
    if isinstance(value, str) and value.startswith("http://127.0.0.1"):
        return "<url>"
    if isinstance(value, str) and re.fullmatch(r"sk_live_[0-9a-f]{32}", value):
        return "<new key>"
    return value


def recorder(record: Record) -> Callable[[str, httpx.Response], dict]:
    def note(step: str, answer: httpx.Response) -> dict:
        is_json = answer.headers.get("content-type", "").startswith("application/json")
        body = answer.json() if is_json else answer.text
        record[step] = (answer.status_code, blank(body))
        return body if isinstance(body, dict) else {}
    return note


def walk_stagepro(base: str, clock: Clock) -> Record:
    record: Record = {}
    note = recorder(record)
    key = {"Authorization": "Bearer sk_test_walk"}
    console = {rules.CONSOLE_COOKIE: rules.CONSOLE_TOKEN}
    with httpx.Client(base_url=base, headers=key, cookies=console, timeout=10) as c:
        note("capabilities", c.get("/capabilities"))
        note("usage", c.get("/usage"))
        upload = note("upload", c.post("/uploads", files={"file": ("r.jpg", jpeg())}))
        job = note("create job", c.post("/jobs", json={
            "type": "virtual-stage", "input": {"upload_id": upload["upload_id"]},
            "metadata": {"listing_id": "MLS-1"}}))
        note("get queued job", c.get(f"/jobs/{job['id']}"))
        clock.now += 2
        note("get finished job", c.get(f"/jobs/{job['id']}"))
        note("list jobs", c.get("/jobs", params={"listing_id": "MLS-1", "limit": 1}))
        note("regenerate", c.post(f"/jobs/{job['id']}/regenerate"))
        batch = note("create batch", c.post("/batches", json={
            "type": "listing-tool", "input": {"listing_tool": "room-declutter"},
            "listing_id": "MLS-2", "photos": [{"image_url": "https://example.com/k.jpg"}]}))
        clock.now += 2
        batch_id = batch.get("batch_id") or batch.get("batchId")
        note("get batch", c.get(f"/batches/{batch_id}"))
        flow = note("create workflow", c.post("/workflows", json={
            "template": "mls-sky-enhance", "photos": [{"image_url": "https://x.test/e.jpg"}]}))
        note("get workflow", c.get(f"/workflows/{flow['id']}"))
        session = note("agent session", c.post("/agent/sessions", json={
            "image_url": "https://example.com/room.jpg"}))
        note("agent message", c.post(f"/agent/sessions/{session['id']}/messages",
                                     json={"message": "ideas?"}))
        note("agent render", c.post(f"/agent/sessions/{session['id']}/render",
                                    json={"job_type": "interior-design"}))
        note("bad job", c.post("/jobs", json={"type": "paint"}))
        note("keys", c.post("/keys", json={}))
        note("webhooks", c.post("/webhooks", json={}))
    note("no key", httpx.get(f"{base}/usage"))
    note("no credits", httpx.post(f"{base}/jobs", json={"type": "edit"},
                                  headers={"Authorization": f"Bearer {rules.BROKE_KEY}"}))
    note("no storage", httpx.post(f"{base}/uploads", files={"file": ("r.jpg", jpeg())},
                                  headers={"Authorization": f"Bearer {rules.FULL_KEY}"}))
    return record


def walk_stagerai(base: str, clock: Clock) -> Record:
    record: Record = {}
    note = recorder(record)
    with httpx.Client(base_url=base, headers={"stager-api-key": "walk"}, timeout=10) as c:
        project = note("project", c.post("/api/projects", json={"title": "t"}))
        group = note("group", c.post("/api/hdr-image-group", json={"projectId": project["id"]}))
        ids = {"projectId": project["id"], "groupId": group["groupId"]}
        for n in range(2):
            signed = note(f"upload url {n}", c.post("/api/hdr-upload-url",
                                                    json={**ids, "filename": f"{n}.jpg"}))
            url = signed.get("uploadUrl") or signed.get("signedUrl")
            note(f"put {n}", httpx.put(str(url), content=jpeg((32, 24), (n * 200, 90, 90))))
        note("enhance", c.post("/api/hdr-enhance", json=ids))
        note("processing", c.get(f"/api/hdr-image-group/{group['groupId']}"))
        clock.now += 2
        note("finished", c.get(f"/api/hdr-image-group/{group['groupId']}"))
        image = note("image", c.post("/api/image", files={"File": ("r.jpg", jpeg())}))["data"]
        note("stage", c.post(f"/api/images/{image['id']}/stage", json={"roomType": "BEDROOM"}))
        note("lawn", c.post(f"/api/images/{image['id']}/lawn-replace",
                            json={"lawnType": "light"}))
        note("sky", c.post(f"/api/images/{image['id']}/sky-replace", json={"skyType": "blue"}))
        note("bad stage", c.post(f"/api/images/{image['id']}/stage", json={"roomType": "x"}))
    note("no key", httpx.post(f"{base}/api/projects", json={}))
    return record


def both(api: str, walk: Callable[[str, Clock], Record]) -> tuple[Record, Record]:
    records = []
    for breaking in (False, True):
        clock = Clock()
        with running_twin(api, breaking=breaking, clock=clock) as base:
            records.append(walk(base, clock))
    return records[0], records[1]


def differences(faithful: Record, broken: Record) -> dict[str, tuple[object, object]]:
    assert faithful.keys() == broken.keys()
    return {step: (faithful[step], broken[step]) for step in faithful
            if faithful[step] != broken[step]}


def test_the_breaking_stagepro_twin_breaks_exactly_its_three_rules() -> None:
    faithful, broken = both("stagepro", walk_stagepro)
    assert all(status < 500 for status, _ in faithful.values())
    diff = differences(faithful, broken)
    assert set(diff) == {"create job", "get finished job", "create batch"}, diff
    assert diff["create job"] == ((202, {"id": "<uuid>", "status": "queued"}),
                                  (200, {"id": "<uuid>", "status": "queued"}))
    (_, was), (_, now) = diff["get finished job"]
    assert (was["status"], now["status"]) == ("completed", "done")  # type: ignore[index]
    (_, was), (_, now) = diff["create batch"]
    assert set(was) == {"batch_id", "job_ids"} and set(now) == {"batchId", "job_ids"}  # type: ignore[arg-type]
    assert broken["get batch"][0] == 200  # the renamed id still reads the batch back


def test_the_breaking_stagerai_twin_breaks_exactly_its_three_rules() -> None:
    faithful, broken = both("stagerai", walk_stagerai)
    assert all(status < 500 for status, _ in faithful.values())
    diff = differences(faithful, broken)
    assert set(diff) == {"upload url 0", "upload url 1", "finished", "stage"}, diff
    assert diff["upload url 0"] == ((200, {"id": "<uuid>", "uploadUrl": "<url>"}),
                                    (201, {"id": "<uuid>", "signedUrl": "<url>"}))
    assert diff["finished"] == ((200, {"status": "completed", "imageUrl": "<url>"}),
                                (200, {"status": "done", "imageUrl": "<url>"}))
    (_, was), (_, now) = diff["stage"]
    assert was["data"][0].keys() == {"id", "imageUrl", "width", "height"}  # type: ignore[index]
    assert now["data"][0].keys() == {"id", "url", "width", "height"}  # type: ignore[index]
    assert broken["put 0"][0] == broken["put 1"][0] == 200  # uploads work through signedUrl


@pytest.mark.parametrize("module", [stagepro, stagerai])
def test_each_break_names_its_rule_and_reference_section(module) -> None:
    assert len(module.BREAKS) == 3
    for entry in module.BREAKS:
        assert entry["rule"] and entry["section"] and entry["operation"]


def test_breaks_are_the_only_difference_even_in_the_ids_shape() -> None:
    """The ids of both variants are bare UUIDs (no prefix): the walk's blanking relies on it."""
    assert UUID.match(str(uuid.uuid4()))
    assert blank({"a": [str(uuid.uuid4()), "http://127.0.0.1:1/x", "keep"]}) == {
        "a": ["<uuid>", "<url>", "keep"]}
