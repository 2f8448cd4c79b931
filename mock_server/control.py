"""One client for a running mock's control plane (``/__mock/``), used by the pytest plugin,
``mock_server.testing.RunningServer``, the contract suites and the MCP server's mock-aware
tools.

It keeps one pooled HTTP connection, so the plugin's per-test resets cost a round trip on an
open socket rather than a new client each. Importing this module is cheap (httpx is imported
on first use), because pytest loads the plugin in every run wherever stagemock is installed.

Every action is written here once: ``OPERATIONS`` names the ``openapi/admin.yaml`` operation
each method calls (``tests/admin/test_control_client.py`` holds the table equal to the spec),
``mock_server.testing.RunningServer`` is a ``ControlPlane`` (it inherits every method), the
pytest plugin's server for ``--stagemock-url`` is one too, and the MCP server's mock-aware
tools call the same operations (``ControlPlane.send``). See ARCHITECTURE.md, "A control-plane
action".
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class ControlPlaneError(RuntimeError):
    """The control plane is unreachable or answered an error: the message says which."""


#: The control-plane operations this client calls: ``operationId`` of ``openapi/admin.yaml``
#: → (method, path under ``/__mock/``, ``{name}`` for a path parameter).
OPERATIONS: dict[str, tuple[str, str]] = {
    "getHealth": ("GET", "health"),
    "resetMock": ("POST", "reset"),
    "advanceClock": ("POST", "clock/advance"),
    "getJournal": ("GET", "journal"),
    "listWebhookDeliveries": ("GET", "webhooks/deliveries"),
    "createConsoleSession": ("POST", "console-sessions"),
    "getWebhookEndpoint": ("GET", "webhooks/endpoints/{endpoint_id}"),
    "createFault": ("POST", "faults"),
    "listFaults": ("GET", "faults"),
    "deleteFault": ("DELETE", "faults/{fault_id}"),
    "clearFaults": ("DELETE", "faults"),
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

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
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
             **kwargs: Any) -> httpx.Response:
        """Call the control-plane operation ``operation`` (an ``operationId`` of
        ``OPERATIONS``), its path parameters from ``ids``; the answer as it came."""
        method, path = OPERATIONS[operation]
        return self.request(method, path.format(**(ids or {})), **kwargs)

    def _ok(self, operation: str, ids: dict[str, str] | None = None, **kwargs: Any) -> Any:
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
    def health(self) -> dict[str, Any]:
        return self._ok("getHealth")

    def reset(self, api_key: str | None = None) -> None:
        """Forget all state, or one account's (``api_key``)."""
        self._ok("resetMock", json={"api_key": api_key} if api_key else None)

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock forward; returns the clock after the move."""
        return self._ok("advanceClock", json={"seconds": seconds})

    def journal(self, api_key: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """Journal entries, oldest first (``api_key`` and the endpoint's filters)."""
        return self.journal_page(api_key, **params)["entries"]

    def journal_page(self, api_key: str | None = None, **params: Any) -> dict[str, Any]:
        """The journal's whole answer: ``entries`` and the ring's ``total`` (the last ``seq``
        numbered since the server started or was fully reset), ``dropped``, ``capacity``."""
        if api_key:
            params["api_key"] = api_key
        return self._ok("getJournal", params=params)

    def deliveries(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """Every webhook event queued (each with its delivery attempts), all or one key's."""
        params = {"api_key": api_key} if api_key else None
        return self._ok("listWebhookDeliveries", params=params)["data"]

    def console_session(self, api_key: str) -> str:
        """A StagePro console session token for the account of ``api_key``."""
        return self._ok("createConsoleSession", json={"api_key": api_key})["token"]

    def wait_for_webhook(self, endpoint_id: str, timeout: float = 10.0) -> dict[str, Any]:
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
    def fault(self, api: str, action: str, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (``operation``, ``api_key``, ``status``, ``retry_after``,
        ``delay_ms``, ``delay_seconds``, ``after``, ``times``, ``probability``,
        ``lost_as``); returns it, with its ``id``."""
        return self._ok("createFault", json={"api": api, "action": action, **rule})

    def faults(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """The fault rules (with their ``hits``), all or one key's."""
        return self._ok("listFaults", params={"api_key": api_key} if api_key else None)[
            "data"
        ]

    def delete_fault(self, fault_id: str) -> None:
        self._ok("deleteFault", {"fault_id": fault_id})

    def clear_faults(self, api_key: str | None = None) -> None:
        """Remove every fault rule, or one key's."""
        self._ok("clearFaults", params={"api_key": api_key} if api_key else None)
