"""``stagemock mcp`` over stdio against a deterministic mock, driven by the SDK's client."""

from __future__ import annotations

import base64
import io
import json
import time

from PIL import Image

from mock_server.mcp import schemas
from mock_server.mcp.tools import build_tools

from .session import images_of, run_session, text_of

EXPECTED = {
    "get_capabilities", "get_usage", "create_job", "get_job", "list_jobs", "regenerate_job",
    "wait_for_job", "create_batch", "get_batch", "create_workflow", "get_workflow",
    "upload_image", "start_agent_session", "send_agent_message", "render_agent_session",
    "advance_clock", "advance_until_idle", "read_journal", "inject_fault", "clear_faults",
    "read_resilience",
}


def _spec_inline(doc, node):
    """An independent $ref inliner (the test's own, not the server's)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = doc
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            # OpenAPI 3.1: keywords beside a $ref apply too (here, a guess mark)
            siblings = {k: _spec_inline(doc, v) for k, v in node.items() if k != "$ref"}
            return {**_spec_inline(doc, target), **siblings}
        return {k: _spec_inline(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_spec_inline(doc, v) for v in node]
    return node


def test_tools_listed_with_the_spec_schemas(mock):
    listed = run_session(mock.url + "/api/v1", "sk_test_mcp_list",
                         lambda s: s.list_tools())
    tools = {t.name: t for t in listed.tools}
    assert set(tools) == EXPECTED
    doc = schemas.document()
    compared = 0
    for tool in build_tools():
        if tool.operation is None:
            continue
        method, path = tool.operation
        op = doc["paths"][path][method]
        got = tools[tool.name].input_schema
        body = op.get("requestBody")
        if body:
            if "$ref" in body:
                body = _spec_inline(doc, body)
            want = _spec_inline(doc, body["content"]["application/json"]["schema"])
            for name, prop in want["properties"].items():
                if name in tool.omit:
                    assert name not in got["properties"]
                    continue
                assert got["properties"][name] == prop, (tool.name, name)
            assert set(got["properties"]) - {"id"} == set(want["properties"]) - set(tool.omit)
            assert set(want.get("required", [])) <= set(got.get("required", []))
            assert got.get("additionalProperties") == want.get("additionalProperties")
            assert got.get("oneOf") == want.get("oneOf")
        params = [_spec_inline(doc, p) for p in op.get("parameters", [])]
        for p in params:
            if p["in"] == "header":
                continue  # Idempotency-Key: the tools send the body's idempotency_key
            if p["in"] == "path":
                assert p["name"] in got["required"]
            for key, value in p["schema"].items():
                if key == "description":  # the parameter's own description wins
                    continue
                assert got["properties"][p["name"]][key] == value, (tool.name, p["name"])
        compared += 1
    assert compared >= 13
    # every job type and listing tool reachable through create_job
    create = tools["create_job"].input_schema
    assert create["properties"]["type"]["enum"] == schemas.enum_of("JobType")
    assert "virtual-twilight" in create["properties"]["input"]["properties"]["listing_tool"]["enum"]
    assert "credit" in tools["create_job"].description.lower()
    assert "sky-enhancement" in tools["create_workflow"].description


def test_job_created_advanced_waited_completed_with_an_image(mock):
    key = "sk_test_mcp_job"

    async def body(s):
        created = await s.call_tool("create_job", {
            "type": "virtual-stage",
            "input": {"image_url": "https://example.com/room.jpg", "style": "modern",
                      "room_type": "living-room"},
        })
        assert not created.is_error, text_of(created)
        job = json.loads(created.content[0].text)
        assert job["status"] == "queued"
        advanced = await s.call_tool("advance_clock", {"seconds": 60})
        assert not advanced.is_error, text_of(advanced)
        waited = await s.call_tool("wait_for_job", {"id": job["id"], "timeout_seconds": 10})
        got = await s.call_tool("get_job", {"id": job["id"]})
        journal = await s.call_tool("read_journal", {"limit": 50})
        # a bounded wait: the virtual clock does not move, so the job is still queued
        other = await s.call_tool("create_job", {
            "type": "empty-room", "input": {"image_url": "https://example.com/b.jpg"}})
        other_id = json.loads(other.content[0].text)["id"]
        t0 = time.monotonic()
        pending = await s.call_tool("wait_for_job", {"id": other_id, "timeout_seconds": 0.5})
        assert time.monotonic() - t0 < 5
        assert not pending.is_error and not images_of(pending)
        assert json.loads(pending.content[0].text)["status"] == "queued"
        assert "advance_clock" in text_of(pending)
        return job, waited, got, journal

    job, waited, got, journal = run_session(mock.url + "/api/v1", key, body)
    for result in (waited, got):
        assert not result.is_error, text_of(result)
        assert json.loads(result.content[0].text)["status"] == "completed"
        images = images_of(result)
        assert len(images) == 1 and images[0].mime_type == "image/jpeg"
        with Image.open(io.BytesIO(base64.b64decode(images[0].data))) as im:
            assert max(im.size) == 512
        assert f"/files/stagepro/{job['id']}/" in text_of(result)
    entries = json.loads(journal.content[0].text)["entries"]
    assert any(e.get("path", "").endswith(f"/jobs/{job['id']}") for e in entries)


def test_results_carry_the_object_as_structured_content_and_json_alone_first(mock):
    """A client parses a result: ``structured_content`` is the API's object, and the first
    text block is that object as JSON and nothing else; hints come in later blocks."""
    async def body(s):
        created = await s.call_tool("create_job", {
            "type": "empty-room", "input": {"image_url": "https://example.com/c.jpg"}})
        usage = await s.call_tool("get_usage", {})
        return created, usage

    created, usage = run_session(mock.url + "/api/v1", "sk_test_mcp_structured", body)
    for result in (created, usage):
        assert not result.is_error, text_of(result)
        assert isinstance(result.structured_content, dict)
        assert json.loads(result.content[0].text) == result.structured_content
    assert created.structured_content["status"] == "queued"
    assert created.structured_content["id"].startswith("job_")
    hints = [c.text for c in created.content[1:] if c.type == "text"]
    assert any("wait_for_job" in h for h in hints)  # the hint is still there, after the JSON
    assert usage.structured_content["livemode"] is False


def test_advance_clock_takes_what_the_control_plane_takes(mock):
    """advance_clock's limits are advanceClock's in openapi/admin.yaml (read here on its own):
    0 is accepted, a year is the most."""
    import yaml

    from .conftest import ROOT

    admin = yaml.safe_load((ROOT / "openapi" / "admin.yaml").read_text(encoding="utf-8"))
    body = admin["paths"]["/__mock/clock/advance"]["post"]["requestBody"]
    want = body["content"]["application/json"]["schema"]

    async def body_(s):
        listed = await s.list_tools()
        zero = await s.call_tool("advance_clock", {"seconds": 0})
        return listed, zero

    listed, zero = run_session(mock.url + "/api/v1", "sk_test_mcp_clock", body_)
    got = next(t for t in listed.tools if t.name == "advance_clock").input_schema
    seconds = dict(got["properties"]["seconds"])
    assert seconds.pop("description")  # the model is told what it is
    assert seconds == {k: v for k, v in want["properties"]["seconds"].items() if k != "description"}
    assert got["required"] == want["required"]
    assert got["additionalProperties"] == want["additionalProperties"]
    assert not zero.is_error, text_of(zero)
    assert "unix" in zero.structured_content
