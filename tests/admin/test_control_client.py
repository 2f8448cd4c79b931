"""The control-plane client (``mock_server.control.ControlPlane``) is the one place an action
is written: its operations are ``openapi/admin.yaml``'s (``OPERATIONS``, with where each takes
``api_key``), every method calls one, and ``RunningServer``, the plugin's ``--stagemock-url``
server and its per-test ``MockApi`` inherit them rather than delegating each by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mock_server import Settings
from mock_server._plugin_server import Remote
from mock_server.control import OPERATIONS, ControlPlane, ScopedControlPlane
from mock_server.pytest_plugin import MockApi
from mock_server.testing import RunningServer, WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]
ADMIN = yaml.safe_load((ROOT / "openapi" / "admin.yaml").read_text())


def _takes_api_key(op: dict) -> str | None:
    """Where an admin.yaml operation takes ``api_key``: ``query``, ``body`` or nowhere."""
    if any(p.get("name") == "api_key" and p.get("in") == "query" for p in op.get("parameters", [])):
        return "query"
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = ADMIN["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return "body" if "api_key" in schema.get("properties", {}) else None


def _admin_operations() -> dict[str, tuple[str, str, str | None]]:
    found = {}
    for path, item in ADMIN["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                found[op["operationId"]] = (
                    method.upper(), path.removeprefix("/__mock/"), _takes_api_key(op)
                )
    return found


def _public(cls: type) -> set[str]:
    return {n for n, v in vars(cls).items() if not n.startswith("_") and callable(v)}


def test_every_operation_of_the_client_is_one_of_admin_yaml():
    spec = _admin_operations()
    for operation, op in OPERATIONS.items():
        assert operation in spec, f"ControlPlane calls {operation!r}: admin.yaml has no such operation"
        mine = (op.method, op.path, op.key)
        assert spec[operation] == mine, (operation, "admin.yaml:", spec[operation], "OPERATIONS:", mine)


#: Each public method of ControlPlane, called with arguments that work on a fresh mock.
CALLS = {
    "health": lambda cp, ctx: cp.health(),
    "reset": lambda cp, ctx: cp.reset("sk_test_other"),
    "advance": lambda cp, ctx: cp.advance(1),
    "advance_until_idle": lambda cp, ctx: cp.advance_until_idle(60),
    "journal": lambda cp, ctx: cp.journal("sk_test_client"),
    "journal_page": lambda cp, ctx: cp.journal_page(since=0),
    "deliveries": lambda cp, ctx: cp.deliveries(),
    "resilience_report": lambda cp, ctx: cp.resilience_report("sk_test_client", max_retries=3),
    "duplicated_events": lambda cp, ctx: cp.duplicated_events(),
    "reordered_events": lambda cp, ctx: cp.reordered_events("sk_test_client"),
    "console_session": lambda cp, ctx: cp.console_session("sk_test_client"),
    "wait_for_webhook": lambda cp, ctx: cp.wait_for_webhook(ctx["endpoint"]),
    "fault": lambda cp, ctx: ctx.setdefault(
        "fault", cp.fault("stagepro", "error", operation="getUsage", status=503)),
    "faults": lambda cp, ctx: cp.faults(),
    "delete_fault": lambda cp, ctx: cp.delete_fault(ctx["fault"]["id"]),
    "clear_faults": lambda cp, ctx: cp.clear_faults(),
}
#: Not an action: the transport (and ``send``, through which every action goes).
TRANSPORT = {"request", "send", "close"}


def test_every_method_calls_its_operation_over_http(monkeypatch):
    assert _public(ControlPlane) - TRANSPORT == set(CALLS), (
        "a ControlPlane method without a call here (or one called here that is gone): "
        "add it to CALLS"
    )
    used: dict[str, list[str]] = {}
    current: list[str] = []
    send = ControlPlane.send

    def recording(self, operation, ids=None, **kwargs):
        used.setdefault(current[-1], []).append(operation)
        return send(self, operation, ids, **kwargs)

    hook = WebhookReceiver().start()
    with RunningServer(Settings(deterministic=True)) as server:
        import httpx

        token = server.console_session("sk_test_client")
        made = httpx.post(f"{server.url}/api/v1/webhooks", json={"url": hook.url},
                          cookies={"stagepro_session": token})
        assert made.status_code == 201, made.text
        ctx = {"endpoint": made.json()["id"]}
        monkeypatch.setattr(ControlPlane, "send", recording)
        for name, call in CALLS.items():
            current.append(name)
            call(server, ctx)
    hook.stop()
    assert set(used) == set(CALLS), set(CALLS) - set(used)
    assert {op for ops in used.values() for op in ops} == set(OPERATIONS), (
        "an operation of OPERATIONS no method calls"
    )


#: What a class may write again: the transport, and the plugin's ``fault`` (action first).
OWN = {RunningServer: set(), Remote: set(), ScopedControlPlane: {"request", "send"},
       MockApi: {"fault"}}


@pytest.mark.parametrize("cls", list(OWN))
def test_servers_inherit_the_actions_rather_than_redelegating_them(cls):
    assert issubclass(cls, ControlPlane)
    redone = _public(cls) & (_public(ControlPlane) - {"close"}) - OWN[cls]
    assert not redone, f"{cls.__name__} writes {sorted(redone)} again: inherit ControlPlane's"


def test_a_scoped_view_sends_its_key_to_every_operation_that_takes_one(monkeypatch):
    """Each ``CALLS`` action on a ``ScopedControlPlane``: every request of an operation with a
    ``key`` carries the view's key where admin.yaml takes it, and no other does."""
    sent: list[tuple[str, dict]] = []
    send = ControlPlane.send

    def recording(self, operation, ids=None, **kwargs):
        sent.append((operation, kwargs))
        return send(self, operation, ids, **kwargs)

    hook = WebhookReceiver().start()
    with RunningServer(Settings(deterministic=True)) as server:
        import httpx

        view = ScopedControlPlane(server, "sk_test_client")
        made = httpx.post(f"{server.url}/api/v1/webhooks", json={"url": hook.url},
                          cookies={"stagepro_session": view.console_session()})
        assert made.status_code == 201, made.text
        ctx = {"endpoint": made.json()["id"]}
        monkeypatch.setattr(ControlPlane, "send", recording)
        for name, call in CALLS.items():
            if name != "reset":  # the view resets its own key, not sk_test_other
                call(view, ctx)
        view.reset()
    hook.stop()
    for operation, kwargs in sent:
        where = OPERATIONS[operation].key
        carried = {"query": kwargs.get("params"), "body": kwargs.get("json")}
        for slot, value in carried.items():
            has_key = bool(value) and isinstance(value, dict) and "api_key" in value
            assert has_key == (slot == where), (operation, slot, kwargs)
            if slot == where:
                assert value["api_key"] == "sk_test_client", (operation, value)
    assert {op for op, _ in sent} >= {o for o, b in OPERATIONS.items() if b.key}
