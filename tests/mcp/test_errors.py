"""API errors become tool errors that keep the API's ``error.code`` and message; an
unreachable server is one clear tool error, never a traceback or a hang."""

from __future__ import annotations

import socket
import time

from .session import call_tool, run_session, text_of

JOB = {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg",
                                          "style": "modern", "room_type": "bedroom"}}


def test_no_credits_key_gets_a_402_tool_error_with_code_and_balance(mock):
    async def body(s):
        return await s.call_tool("create_job", JOB)

    result = run_session(mock.url + "/api/v1", "sk_live_mock_no_credits", body)
    assert result.is_error
    text = text_of(result)
    assert "402" in text and "[insufficient_credits]" in text
    assert "balance: 0 credits" in text
    assert "Traceback" not in text


def _call(mock_url: str, key: str, name: str, args: dict) -> tuple[str, bool]:
    return call_tool(mock_url, key, name, args)


def test_401_403_400_keep_code_message_and_field(mock):
    text, err = _call(mock.url, "sk_live_unknown_key", "get_usage", {})
    assert err and "StagePro API error 401" in text and "[invalid_api_key]" in text
    text, err = _call(mock.url, "sk_live_mock_storage_full", "create_job", JOB)
    assert err and "403" in text and "[storage_limit_exceeded]" in text
    bad = {"type": "listing-tool", "input": {"image_url": "https://example.com/a.jpg"}}
    text, err = _call(mock.url, "sk_test_mcp_errors", "create_job", bad)
    assert err and "400" in text and "(field: input.listing_tool)" in text
    neither = {"type": "empty-room", "input": {}}
    text, err = _call(mock.url, "sk_test_mcp_errors", "create_job", neither)
    assert err and "(field: input.image_url or input.upload_id)" in text, text
    assert "[" not in text.split("(field:")[1]  # no Python list
    text, err = _call(mock.url, "sk_test_mcp_errors", "get_job", {"id": "job_nope"})
    assert err and "[not_found]" in text


def test_bad_base_url_is_one_clear_tool_error_quickly():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def body(s):
        listed = await s.list_tools()
        t0 = time.monotonic()
        result = await s.call_tool("get_usage", {})
        return listed, result, time.monotonic() - t0

    listed, result, took = run_session(f"http://127.0.0.1:{port}/api/v1", "sk_test_x", body)
    names = {t.name for t in listed.tools}
    assert "create_job" in names and "advance_clock" not in names  # no /__mock/ there
    assert result.is_error and took < 10
    text = text_of(result)
    assert "[connection_error]" in text and f"127.0.0.1:{port}" in text
    assert "Traceback" not in text and len(text.splitlines()) == 1
    text, err = _call("not-a-url", "sk_test_x", "get_usage", {})
    assert err and "[bad_base_url]" in text


def test_control_plane_refusals_are_said_in_words(mock):
    text, err = _call(mock.url, "sk_test_mcp_errors", "advance_clock", {"seconds": -5})
    assert err and text.startswith("the mock's control plane refused: "), text
    assert "seconds" in text and "minimum of 0" in text
    assert "StagePro API error" not in text and "{" not in text  # no raw JSON body
    text, err = _call(mock.url, "sk_test_mcp_errors", "read_journal", {"since": -1})
    assert err and text.startswith("the mock's control plane refused: ") and "since" in text


def test_an_unknown_tool_is_a_protocol_error(mock):
    """The MCP spec: an unknown tool is a JSON-RPC error (-32602), not a tool result."""
    from mcp.shared.exceptions import MCPError
    from mcp.types import INVALID_PARAMS

    async def body(s):
        try:
            result = await s.call_tool("no_such_tool", {})
        except MCPError as exc:
            return exc
        return result

    got = run_session(mock.url + "/api/v1", "sk_test_mcp_errors", body)
    assert isinstance(got, MCPError), f"a tool result instead of an error: {got!r}"
    assert got.code == INVALID_PARAMS
    assert "no_such_tool" in got.message and "create_job" in got.message


def test_docs_show_the_error_lines_as_the_tools_print_them(mock):
    """docs/mcp.md's example error lines, in order, are what these calls print."""
    import re

    from .conftest import ROOT

    doc = (ROOT / "docs" / "mcp.md").read_text(encoding="utf-8")
    shown = re.search(r"As printed:\n\n```text\n(.*?)```", doc, re.S).group(1).splitlines()
    calls = [
        ("sk_live_mock_no_credits", "create_job", JOB),
        ("sk_test_mcp_docs", "create_job",
         {"type": "listing-tool", "input": {"image_url": "https://example.com/a.jpg"}}),
        ("sk_test_mcp_docs", "create_job", {"type": "empty-room", "input": {}}),
        ("sk_test_mcp_docs", "advance_clock", {"seconds": -5}),
    ]
    printed = []
    for key, name, args in calls:
        text, err = _call(mock.url, key, name, args)
        assert err, text
        printed.append(text)
    assert shown == printed
