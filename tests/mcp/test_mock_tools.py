"""The mock-only tools are ``mock_server.control.OPERATIONS``' entries with a ``tool``: each is
listed with the schema of its operation in ``openapi/admin.yaml``, and one with no code of its
own in ``mock_server/mcp`` (``advance_until_idle``) works end to end."""

from __future__ import annotations

import json

from mock_server.control import OPERATIONS
from mock_server.mcp.tools import build_tools

from .session import call_tool


def test_every_operation_with_a_tool_is_a_mock_only_tool():
    tools = {t.name: t for t in build_tools()}
    named = {op.tool.name for op in OPERATIONS.values() if op.tool}
    assert named == {t.name for t in tools.values() if t.mock_only}
    idle = tools["advance_until_idle"].input_schema
    assert idle["properties"]["max_seconds"]["maximum"] == 31536000
    assert idle["additionalProperties"] is False and not idle.get("required")
    # an operation taking api_key in its query offers all_keys instead (the server's own key)
    assert "api_key" not in tools["clear_faults"].input_schema["properties"]
    assert "all_keys" in tools["read_journal"].input_schema["properties"]


def _data(text: str) -> dict:
    """The tool's object: the first text block (JSON), whatever hints follow it."""
    return json.JSONDecoder().raw_decode(text)[0]


def test_advance_until_idle_ends_the_jobs(mock):
    key = "sk_test_mcp_idle"
    job = {"type": "virtual-stage", "input": {"image_url": "https://x.test/room.jpg",
                                              "style": "modern", "room_type": "bedroom"}}
    text, err = call_tool(mock.url, key, "create_job", job, with_data=True)
    assert not err, text
    created = _data(text)
    text, err = call_tool(mock.url, key, "advance_until_idle", {}, with_data=True)
    assert not err, text
    moved = _data(text)
    assert moved["idle"] is True and moved["advanced_seconds"] > 0
    text, err = call_tool(mock.url, key, "get_job", {"id": created["id"]}, with_data=True)
    assert not err and _data(text)["status"] == "completed", text
    text, err = call_tool(mock.url, key, "advance_until_idle", {"max_seconds": -1})
    assert err and "control plane refused" in text and "max_seconds" in text
