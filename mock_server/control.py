"""One client for a running mock's control plane (``/__mock/``), used by the pytest plugin,
``mock_server.testing.RunningServer``, the contract suites and the MCP server's mock-aware
tools.

It keeps one pooled HTTP connection, so the plugin's per-test resets cost a round trip on an
open socket rather than a new client each. Importing this module is cheap (httpx is imported
on first use), because pytest loads the plugin in every run wherever stagemock is installed.

Every action is written here once (ARCHITECTURE.md, "A control-plane action"):

- ``OPERATIONS`` binds each ``openapi/admin.yaml`` operation the client calls: its method and
  path, where it takes ``api_key`` (``key``) and, when agents get it, its MCP tool (``tool``).
  ``tests/admin/test_control_client.py`` holds the table equal to the spec.
- ``ControlPlane`` has one method per action. ``mock_server.testing.RunningServer`` and the
  pytest plugin's server for ``--stagemock-url`` are ``ControlPlane``\\ s (they inherit every
  method); ``ScopedControlPlane`` is the same client seen by one key (every operation with a
  ``key`` gets it): the plugin's ``stagepro_mock`` / ``stagerai_mock`` are those.
- The MCP server offers every operation with a ``tool`` (``mock_server.mcp.mock_tools``), its
  input schema read from admin.yaml.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypedDict, Unpack

from .jsontypes import Json, JsonObject

if TYPE_CHECKING:
    import httpx
    from httpx._types import (
        AuthTypes,
        CookieTypes,
        HeaderTypes,
        PrimitiveData,
        RequestContent,
        RequestData,
        RequestExtensions,
        RequestFiles,
        TimeoutTypes,
    )


class RequestOptions(TypedDict, total=False):
    """The keyword arguments of httpx's ``Client.request``: what a control-plane call (and
    the MCP server's client) passes on as given."""

    content: RequestContent | None
    data: RequestData | None
    files: RequestFiles | None
    json: Json
    #: a mapping (httpx also takes pairs or a string): ``ScopedControlPlane`` adds its key
    params: Mapping[str, PrimitiveData | Sequence[PrimitiveData]] | None
    headers: HeaderTypes | None
    cookies: CookieTypes | None
    auth: AuthTypes | None
    follow_redirects: bool
    timeout: TimeoutTypes
    extensions: RequestExtensions | None


class ControlPlaneError(RuntimeError):
    """The control plane is unreachable or answered an error: the message says which."""


@dataclass(frozen=True)
class Tool:
    """How the MCP server offers an operation to an agent: the tool's name, title and what to
    tell the model (what it does, when to use it)."""

    name: str
    title: str
    description: str
    read_only: bool = False


@dataclass(frozen=True)
class Operation:
    """One control-plane operation of ``openapi/admin.yaml``, as every layer reaches it."""

    method: str
    #: under ``/__mock/``; ``{name}`` for a path parameter
    path: str
    #: where the operation takes ``api_key`` (``query`` or ``body``): a view scoped to one key
    #: (``ScopedControlPlane``, the MCP tools) sends its own unless told otherwise
    key: Literal["query", "body"] | None = None
    #: the MCP tool offering it (``None``: agents do not get it)
    tool: Tool | None = None


#: The control-plane operations this client calls, by ``operationId`` of ``openapi/admin.yaml``.
OPERATIONS: dict[str, Operation] = {
    "getHealth": Operation("GET", "health"),
    "resetMock": Operation("POST", "reset", key="body"),
    "advanceClock": Operation("POST", "clock/advance", tool=Tool(
        "advance_clock", "Advance the mock clock",
        "stagemock only: move the mock's clock forward so queued and processing jobs "
        "progress at once (a job takes a few seconds of mock time). Use it in tests "
        "instead of waiting, then get_job or wait_for_job. Free.")),
    "advanceUntilIdle": Operation("POST", "clock/advance-until-idle", tool=Tool(
        "advance_until_idle", "Advance the mock clock until every job has ended",
        "stagemock only: move the mock's clock, event by event, to the moment no job is "
        "queued or processing any more (at most max_seconds, default an hour), instead of "
        "guessing how far to advance_clock. Answers the clock, advanced_seconds and idle "
        "(false: jobs were still running at max_seconds). Free.")),
    "getJournal": Operation("GET", "journal", key="query", tool=Tool(
        "read_journal", "Read the mock's request journal",
        "stagemock only: the requests the mock received (method, path, status, the "
        "operation matched, whether it conformed to the spec and why not), oldest "
        "first; by default only this API key's and the last 20. Free.", read_only=True)),
    "getResilience": Operation("GET", "resilience", key="query", tool=Tool(
        "read_resilience", "Read what the client did after the injected faults",
        "stagemock only: after inject_fault, the resilience findings read from the "
        "journal: a duplicate created after a lost response, a retry sooner than "
        "Retry-After, more than max_retries failing retries in a row, a failure never "
        "retried. Answers faults_injected and the resilience list (empty: every fault "
        "was handled); by default only this API key's requests. Free.", read_only=True)),
    "listWebhookDeliveries": Operation("GET", "webhooks/deliveries", key="query"),
    "createConsoleSession": Operation("POST", "console-sessions", key="body"),
    "getWebhookEndpoint": Operation("GET", "webhooks/endpoints/{endpoint_id}"),
    "createFault": Operation("POST", "faults", key="body", tool=Tool(
        "inject_fault", "Make the mock fail on purpose",
        "stagemock only: rehearse a failure of the real service. The next matching "
        "call (or `times` of them; null: until cleared) gets `action`: error (status "
        "429/500/502/503/504, Retry-After), delay (delay_ms), reset (no response), "
        "truncate (half a body), lose_response (the job is created, the answer lost); "
        "api 'webhooks' with duplicate, reorder or delay (delay_seconds) changes "
        "deliveries. Scoped to this server's API key unless api_key is given. Free.")),
    "listFaults": Operation("GET", "faults", key="query"),
    "deleteFault": Operation("DELETE", "faults/{fault_id}"),
    "clearFaults": Operation("DELETE", "faults", key="query", tool=Tool(
        "clear_faults", "Remove the mock's fault rules",
        "stagemock only: remove the fault rules set for this API key (all_keys: every "
        "rule). Free.")),
}


class ControlPlane:
    """``/__mock/`` of the mock whose root URL is ``url`` (``http://host:port``).

    ``token`` is sent as ``Authorization: Bearer`` (needed when the mock listens on a
    non-loopback address)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    # the HTTP part ----------------------------------------------------------------------
    def _http(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import httpx

                    headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
                    self._client = httpx.Client(
                        base_url=f"{self.url}/__mock/", headers=headers, timeout=self.timeout
                    )
        return self._client

    def request(self, method: str, path: str,
                **kwargs: Unpack[RequestOptions]) -> httpx.Response:
        """Any control-plane call; ``path`` is relative to ``/__mock/``. Raises
        ``ControlPlaneError`` (one line, no traceback worth reading) when nothing answers."""
        import httpx

        try:
            return self._http().request(method, path.lstrip("/"), **kwargs)
        except httpx.TransportError as exc:
            raise ControlPlaneError(
                f"no stagemock control plane answers at {self.url}/__mock/ "
                f"({type(exc).__name__}: {exc}); is the mock running?"
            ) from None

    def send(self, operation: str, ids: dict[str, str] | None = None,
             **kwargs: Unpack[RequestOptions]) -> httpx.Response:
        """Call the control-plane operation ``operation`` (an ``operationId`` of
        ``OPERATIONS``), its path parameters from ``ids``; the answer as it came."""
        op = OPERATIONS[operation]
        return self.request(op.method, op.path.format(**(ids or {})), **kwargs)

    def _ok(self, operation: str, ids: dict[str, str] | None = None,
            **kwargs: Unpack[RequestOptions]) -> Json:
        r = self.send(operation, ids, **kwargs)
        if r.status_code >= 400:
            raise ControlPlaneError(
                f"{r.request.method} {r.request.url} ({operation}) answered "
                f"{r.status_code}: {r.text[:300]}"
            )
        return r.json() if r.content else None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # the operations ---------------------------------------------------------------------
    def health(self) -> JsonObject:
        return self._ok("getHealth")

    def reset(self, api_key: str | None = None) -> None:
        """Forget all state, or one account's (``api_key``)."""
        self._ok("resetMock", json={"api_key": api_key} if api_key else None)

    def advance(self, seconds: float) -> JsonObject:
        """Move the clock forward; returns the clock after the move."""
        return self._ok("advanceClock", json={"seconds": seconds})

    def advance_until_idle(self, max_seconds: float | None = None) -> JsonObject:
        """Move the clock to the moment no job is queued or processing (at most
        ``max_seconds``, the server's default an hour); returns the clock after the move with
        ``advanced_seconds`` and ``idle`` (``False``: jobs still running at the limit)."""
        body = {} if max_seconds is None else {"max_seconds": max_seconds}
        return self._ok("advanceUntilIdle", json=body)

    def journal(self, api_key: str | None = None,
                **params: PrimitiveData | Sequence[PrimitiveData]) -> list[JsonObject]:
        """Journal entries, oldest first (``api_key`` and the endpoint's filters)."""
        return self.journal_page(api_key, **params)["entries"]

    def journal_page(self, api_key: str | None = None,
                     **params: PrimitiveData | Sequence[PrimitiveData]) -> JsonObject:
        """The journal's whole answer: ``entries`` and the ring's ``total`` (the last ``seq``
        numbered since the server started or was fully reset), ``dropped``, ``capacity``."""
        if api_key:
            params["api_key"] = api_key
        return self._ok("getJournal", params=params)

    def resilience_report(self, api_key: str | None = None,
                          max_retries: int | None = None) -> JsonObject:
        """What a client did after the faults injected so far (all or one key's requests):
        ``GET /__mock/resilience``'s answer, ``faults_injected``, ``max_retries`` and the
        ``resilience`` findings (each ``kind``, ``api_key``, ``operation_id``, ``seq``,
        ``message``; empty: every fault was handled). ``max_retries``: more failing retries
        in a row than this is a finding (the server's default 5). The plugin's
        ``resilience()`` is the same findings as one line each."""
        params: dict[str, PrimitiveData] = {}
        if api_key:
            params["api_key"] = api_key
        if max_retries is not None:
            params["max_retries"] = max_retries
        return self._ok("getResilience", params=params or None)

    def deliveries(self, api_key: str | None = None) -> list[JsonObject]:
        """Every webhook event queued (each with its delivery attempts), all or one key's."""
        params = {"api_key": api_key} if api_key else None
        return self._ok("listWebhookDeliveries", params=params)["data"]

    def duplicated_events(self, api_key: str | None = None) -> list[str]:
        """The ids of the webhook events a ``duplicate`` fault delivered twice (all or one
        key's): what a test asserts its handler acted on once each."""
        from .faults.resilience import duplicated_events

        return duplicated_events(self.deliveries(api_key))

    def reordered_events(self, api_key: str | None = None) -> list[str]:
        """The ids of the webhook events a ``reorder`` fault delivered newest first."""
        from .faults.resilience import reordered_events

        return reordered_events(self.deliveries(api_key))

    def console_session(self, api_key: str | None = None) -> str:
        """A StagePro console session token for the account of ``api_key`` (on a
        ``ScopedControlPlane``, its key by default)."""
        body = {"api_key": api_key} if api_key else {}
        return self._ok("createConsoleSession", json=body)["token"]

    def wait_for_webhook(self, endpoint_id: str, timeout: float = 10.0) -> JsonObject:
        """Wait until a new webhook endpoint has answered its verification challenge (a real
        request the mock sends at once) and return it, ``active``. A failed verification, or
        none within ``timeout`` seconds, raises ``ControlPlaneError`` saying why."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            endpoint = self._ok("getWebhookEndpoint", {"endpoint_id": endpoint_id})
            if endpoint["status"] == "active":
                return endpoint
            if endpoint["status"] == "verification_failed":
                why = (endpoint.get("last_verification") or {}).get("error") or "no reason"
                raise ControlPlaneError(
                    f"webhook endpoint {endpoint_id} failed its verification: {why}"
                )
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    f"webhook endpoint {endpoint_id} is still {endpoint['status']} after "
                    f"{timeout:g} s: does its URL answer the challenge?"
                )
            time.sleep(0.01)

    # faults (docs/faults.md) ------------------------------------------------------------
    def fault(self, api: str, action: str, **rule: Json) -> JsonObject:
        """Add a fault rule (``operation``, ``api_key``, ``status``, ``retry_after``,
        ``delay_ms``, ``delay_seconds``, ``after``, ``times``, ``probability``,
        ``lost_as``); returns it, with its ``id``."""
        return self._ok("createFault", json={"api": api, "action": action, **rule})

    def faults(self, api_key: str | None = None) -> list[JsonObject]:
        """The fault rules (with their ``hits``), all or one key's."""
        return self._ok("listFaults", params={"api_key": api_key} if api_key else None)[
            "data"
        ]

    def delete_fault(self, fault_id: str) -> None:
        self._ok("deleteFault", {"fault_id": fault_id})

    def clear_faults(self, api_key: str | None = None) -> None:
        """Remove every fault rule, or one key's."""
        self._ok("clearFaults", params={"api_key": api_key} if api_key else None)


class ScopedControlPlane(ControlPlane):
    """``server``'s control plane seen by one key: every operation that takes ``api_key``
    (``Operation.key``) is sent with ``api_key`` unless the call names another, so each
    ``ControlPlane`` method (``journal()``, ``reset()``, ``faults()``...) acts on this key's
    state only. It shares the server's connection."""

    def __init__(self, server: ControlPlane, api_key: str) -> None:
        super().__init__(server.url, server.token, server.timeout)
        self.server = server
        self.api_key = api_key

    def request(self, method: str, path: str,
                **kwargs: Unpack[RequestOptions]) -> httpx.Response:
        return self.server.request(method, path, **kwargs)

    def send(self, operation: str, ids: dict[str, str] | None = None,
             **kwargs: Unpack[RequestOptions]) -> httpx.Response:
        where = OPERATIONS[operation].key
        if where is not None:
            slot: Literal["params", "json"] = "params" if where == "query" else "json"
            given = dict(kwargs.get(slot) or {})
            if given.get("api_key") is None:
                given["api_key"] = self.api_key
            kwargs[slot] = given
        return super().send(operation, ids, **kwargs)
