"""The mock-aware fault tools: ``inject_fault`` takes the control plane's own rule, scoped to
the MCP server's key; ``clear_faults`` removes that key's rules."""

from __future__ import annotations

import json

import anyio
import httpx

from mock_server.mcp.client import StageProClient
from mock_server.mcp.tools import Data, build_tools, run_tool


def _call(mock_url: str, key: str, name: str, args: dict) -> tuple[str, bool]:
    """The tool's answer as its first text block would carry it (the JSON alone)."""
    tools = {t.name: t for t in build_tools()}

    async def main():
        client = StageProClient(mock_url + "/api/v1", key, timeout=10)
        try:
            parts, is_error = await run_tool(tools[name], client, args)
        finally:
            await client.aclose()
        return "\n".join(p.text() if isinstance(p, Data) else p for p in parts
                         if isinstance(p, Data | str)), is_error

    return anyio.run(main)


def test_inject_fault_is_scoped_to_the_key_and_acts_on_the_api(mock):
    key = "sk_test_mcp_faults"
    text, err = _call(mock.url, key, "inject_fault",
                      {"operation": "getUsage", "action": "error", "status": 503})
    assert not err, text
    rule = json.loads(text)
    assert rule["api"] == "stagepro" and rule["api_key"] == key and rule["id"].startswith("flt_")
    other = httpx.get(mock.url + "/api/v1/usage", headers={"Authorization": "Bearer sk_test_x"})
    assert other.status_code == 200  # another key never sees it
    text, err = _call(mock.url, key, "get_usage", {})
    assert err and "503" in text and "[service_unavailable]" in text
    _call(mock.url, key, "inject_fault", {"action": "error", "times": None})
    text, err = _call(mock.url, key, "clear_faults", {})
    assert not err and json.loads(text)["rules_left"] == 0
    assert mock.faults() == []


def test_a_bad_rule_is_said_in_words(mock):
    text, err = _call(mock.url, "sk_test_mcp_faults_bad", "inject_fault",
                      {"operation": "createJbo", "action": "error"})
    assert err and "control plane refused" in text and "createJbo" in text
