"""The mock-aware fault tools: ``inject_fault`` takes the control plane's own rule, scoped to
the MCP server's key; ``clear_faults`` removes that key's rules."""

from __future__ import annotations

import json

import httpx

from .session import call_tool


def _call(mock_url: str, key: str, name: str, args: dict) -> tuple[str, bool]:
    """The tool's answer as its first text block would carry it (the JSON alone)."""
    return call_tool(mock_url, key, name, args, with_data=True)


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


def test_read_resilience_says_what_this_key_did_after_its_faults(mock):
    """``read_resilience`` is ``GET /__mock/resilience`` for the MCP server's key: a 503 the
    client never retried is its finding, another key's is not."""
    key, other = "sk_test_mcp_resilience", "sk_test_mcp_resilience_other"
    for k in (key, other):
        mock.fault("stagepro", "error", operation="getUsage", api_key=k, status=503)
        got = httpx.get(mock.url + "/api/v1/usage", headers={"Authorization": f"Bearer {k}"})
        assert got.status_code == 503
    text, err = _call(mock.url, key, "read_resilience", {})
    assert not err, text
    report = json.loads(text)
    assert report["faults_injected"] == 1
    assert [(f["kind"], f["api_key"]) for f in report["resilience"]] == [("never_retried", key)]
    text, err = _call(mock.url, key, "read_resilience", {"all_keys": True})
    assert {f["api_key"] for f in json.loads(text)["resilience"]} >= {key, other}
