"""The plugin's per-test view of one API (``MockApi``, what ``stagepro_mock`` and
``stagerai_mock`` give a test) and the ``httpx`` options its clients take. Imported by
``mock_server.pytest_plugin``, which re-exports these names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypedDict, Unpack

from .control import ControlPlane, ScopedControlPlane
from .jsontypes import Json, JsonObject

if TYPE_CHECKING:  # imported on first use: pytest loads the plugin in every run
    import ssl

    import httpx
    from httpx._client import EventHook
    from httpx._types import (
        AuthTypes,
        CertTypes,
        CookieTypes,
        HeaderTypes,
        ProxyTypes,
        QueryParamTypes,
        TimeoutTypes,
    )


class _ClientOptions(TypedDict, total=False):
    """The keyword arguments of ``httpx.Client`` but ``base_url``, ``headers`` and
    ``cookies``: ``MockApi.client()`` and ``console()`` pass them on as given."""

    auth: AuthTypes | None
    params: QueryParamTypes | None
    verify: ssl.SSLContext | str | bool
    cert: CertTypes | None
    trust_env: bool
    http1: bool
    http2: bool
    proxy: ProxyTypes | None
    mounts: Mapping[str, httpx.BaseTransport | None] | None
    timeout: TimeoutTypes
    follow_redirects: bool
    limits: httpx.Limits
    max_redirects: int
    event_hooks: Mapping[str, list[EventHook]] | None
    transport: httpx.BaseTransport | None
    default_encoding: str | Callable[[bytes], str]


class ClientOptions(_ClientOptions, total=False):
    """``MockApi.client()``'s (its ``headers`` are a parameter of its own)."""

    cookies: CookieTypes | None


class ConsoleOptions(_ClientOptions, total=False):
    """``MockApi.console()``'s (the console's cookie is its own)."""

    headers: HeaderTypes | None


class MockApi(ScopedControlPlane):
    """One test's view of one API of the mock: every control-plane action of ``ControlPlane``
    (``advance``, ``journal``, ``reset``, ``faults``, ``wait_for_webhook``...), scoped to this
    test's key wherever the operation takes one (``ScopedControlPlane``); ``server`` has them
    unscoped. Plus what a test of a client needs: ``base_url``, ``client()``, ``console()``,
    ``violations()``, ``resilience()``, and ``fault()`` naming the action first."""

    def __init__(self, server: ControlPlane, base_url: str, api_key: str,
                 auth_headers: dict[str, str], api: str = "stagepro") -> None:
        super().__init__(server, api_key)
        self.base_url = base_url
        self.auth_headers = auth_headers
        #: ``stagepro`` or ``stagerai``: what ``fault()`` targets unless told otherwise
        self.api = api

    def violations(self) -> list[JsonObject]:
        return [e for e in self.journal() if not e["conformant"]]

    def client(self, *, headers: Mapping[str, str] | None = None,
               **kwargs: Unpack[ClientOptions]) -> httpx.Client:
        """An ``httpx.Client`` on the API's base URL with this test's key (``headers`` given
        are added to it)."""
        import httpx

        kwargs.setdefault("timeout", 30)
        merged = {**self.auth_headers, **(headers or {})}
        return httpx.Client(base_url=self.base_url, headers=merged, **kwargs)

    def console(self, **kwargs: Unpack[ConsoleOptions]) -> httpx.Client:
        """An ``httpx.Client`` on the API's base URL signed in to the console of this test's
        account (``Cookie: stagepro_session=...``): for the keys and webhooks endpoints."""
        import httpx

        token = self.console_session()
        kwargs.setdefault("timeout", 30)
        return httpx.Client(
            base_url=self.base_url, cookies={"stagepro_session": token}, **kwargs
        )

    # A test names the action first (its API is the fixture's): the plugin's signature since
    # its start, unlike ``ControlPlane.fault(api, action)``.
    def fault(  # type: ignore[override]
        self, action: str, operation: str | None = None, *, api: str | None = None, **rule: Json
    ) -> JsonObject:
        """Rehearse a failure: a fault rule scoped to this test's key (no other test sees
        it), removed when the test ends. ``api`` defaults to this fixture's API; ``"gcs"``
        (Stager AI's signed storage) and ``"webhooks"`` (StagePro's deliveries; ``operation``
        is then an event type) are the others. The rest as ``POST /__mock/faults``:
        ``status``, ``retry_after``, ``delay_ms``, ``delay_seconds``, ``after``, ``times``,
        ``probability``, ``lost_as``. Returns the rule (``id``, ``hits``, ``remaining``)."""
        if operation is not None:
            rule["operation"] = operation
        return super().fault(api or self.api, action, **rule)

    def resilience(self, max_retries: int | None = None) -> list[str]:
        """What the client did wrong after the faults injected so far, in words (empty: it
        handled them): a duplicate after a lost response, a retry sooner than Retry-After,
        too many retries in a row, a 503 never retried. The findings of
        ``resilience_report()`` (``GET /__mock/resilience``, this test's key), one line
        each."""
        found = self.resilience_report(max_retries=max_retries)["resilience"]
        return [f"[{f['kind']}] {f['message']}" for f in found]
