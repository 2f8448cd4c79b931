"""A bad fault rule is refused with the same words from every surface: the control plane's
``POST /__mock/faults``, ``stagemock serve --fault``, the plugin's ``fault(...)`` and MCP's
``inject_fault``. Each goes through admin.yaml's ``FaultInput`` (``faults.validation``); the
registry of actions and that schema agree on where each action applies."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml

from mock_server.app import create_app
from mock_server.control import ControlPlaneError
from mock_server.faults.actions import ACTIONS
from mock_server.faults.models import parse_spec
from mock_server.faults.validation import RuleSchema
from mock_server.settings import Settings
from tests.conftest import OPENAPI

#: (the compact form, the message every surface answers)
BAD = [
    ("stagepro:duplicate",
     "`action` 'duplicate' does not apply to stagepro: use one of error, delay, reset, "
     "truncate, lose_response"),
    ("stagepro:error,times=many", "`times` must be null or an integer, not a string"),
    ("stagepro:delay,status=503", "`status` goes with error and lose_response, not delay"),
    ("stagepro:error,lost_as=reset", "`lost_as` goes with lose_response, not error"),
    ("stagepro:createJbo:error",
     "`operation` 'createJbo' is no operationId of stagepro; known: getCapabilities"),
    ("stagepro:error,delay_ms=60001", "`delay_ms` 60001 is greater than the maximum of 60000"),
]


def _http(url: str, rule: dict) -> str:
    got = httpx.post(url + "/__mock/faults", json=rule)
    assert got.status_code == 400, got.text
    return got.json()["error"]["message"]


def _serve(text: str) -> str:
    with pytest.raises(ValueError) as err:
        create_app(Settings(deterministic=True, image_workers=0, faults=(text,)))
    prefix = f"--fault {text!r}: "
    assert str(err.value).startswith(prefix)
    return str(err.value).removeprefix(prefix)


@pytest.mark.parametrize("text,says", BAD)
def test_a_bad_rule_reads_the_same_from_every_surface(text, says, stagepro_mock):
    rule = parse_spec(text)
    from_http = _http(stagepro_mock.url, rule)
    from_serve = _serve(text)
    with pytest.raises(ControlPlaneError) as err:
        stagepro_mock.fault(rule.pop("action"), rule.pop("operation", None),
                            api=rule.pop("api"), **rule)
    from_plugin = str(err.value)
    assert from_http.startswith(says), from_http
    assert from_serve == from_http
    assert says in from_plugin, from_plugin  # (the plugin cuts a long answer short)
    assert stagepro_mock.faults() == []


@pytest.mark.parametrize("text,says", BAD)
def test_a_bad_rule_reads_the_same_from_mcp(text, says, stagepro_mock):
    pytest.importorskip("mcp")
    from tests.mcp.session import call_tool

    rule = parse_spec(text)
    answer, failed = call_tool(stagepro_mock.url, stagepro_mock.api_key, "inject_fault",
                               rule, with_data=True)
    assert failed and _http(stagepro_mock.url, rule) in answer, answer


def test_the_schema_refuses_what_the_book_no_longer_checks():
    schema = RuleSchema.load(OPENAPI / "admin.yaml")
    schema.check({"api": "webhooks", "action": "delay", "delay_seconds": 3.5, "times": None})
    for body in ({"api": "stagepro"}, {"api": "stagepro", "action": "error", "probability": 2},
                 {"api": "stagepro", "action": "error", "extra": 1}, ["not", "a", "rule"]):
        with pytest.raises(Exception) as err:
            schema.check(body)
        assert getattr(err.value, "status", None) == 400, body


def test_the_registry_and_the_schema_agree_on_where_each_action_applies():
    schemas = yaml.safe_load((OPENAPI / "admin.yaml").read_text())["components"]["schemas"]
    assert set(schemas["FaultAction"]["enum"]) == set(ACTIONS)
    assert set(schemas["CallAction"]["enum"]) == {a.name for a in ACTIONS.values()
                                                  if a.calls is not None}
    assert set(schemas["WebhookAction"]["enum"]) == {a.name for a in ACTIONS.values()
                                                     if a.webhooks is not None}
    for action in ACTIONS.values():
        assert (action.on_call is not None) == (action.calls is not None), action.name
        assert (action.on_delivery is not None) == (action.webhooks is not None), action.name
    assert json.dumps(sorted(ACTIONS))  # every name is a plain string


def test_the_dispatcher_knows_nothing_of_faults():
    """``spec/dispatch.py`` imports nothing of ``mock_server.faults`` (it calls the app's
    ``Stage``) and lists no vendor's id fields (each backend declares its ``created_ids``)."""
    import ast
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "mock_server" / "spec" / "dispatch.py"
    tree = ast.parse(source.read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert imported and not [m for m in imported if "faults" in m.split(".")]
    names = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert not names & {"batch_id", "groupId", "projectId", "upload_id"}


def test_faults_md_quotes_a_bad_operation_as_serve_words_it():
    """docs/faults.md quotes ``--fault``'s refusal of an unknown operationId: the quote is
    the words ``serve`` prints (up to the list of known ids), not a paraphrase."""
    from tests.conftest import ROOT

    text = "stagepro:createJbo:lose_response"
    said = f"--fault {text!r}: " + _serve(text).split("; known:")[0] + "; known: ..."
    page = " ".join((ROOT / "docs" / "faults.md").read_text().split())
    assert said in page, said
