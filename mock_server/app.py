"""``create_app(settings)``: the one factory that wires specs, backends, control plane,
journal and error handling into a Starlette app."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .admin.handlers import admin_binding
from .context import AppContext
from .errors import (
    ApiError,
    ErrorShape,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
    stagepro_shape,
)
from .http import json_response
from .pages import index, sample_photos, serve_file, serve_spec
from .settings import Settings
from .spec.binding import JOURNAL_KEY, ApiBinding
from .spec.loader import load_spec
from .spec.routing import SpecRoutes, build_routes
from .stagepro.backend import StageProBackend
from .stagerai.backend import StagerAIBackend
from .webhooks.dispatcher import WebhookHub

if TYPE_CHECKING:
    from .journal import JournalEntry
    from .proxy.capture import Capture

UNJOURNALED = ("/__mock/", "/openapi/")
CONTROL_PLANE = "/__mock/"
#: The dashboard's login sets this cookie; the control plane takes it like the bearer header.
ADMIN_COOKIE = "stagemock_admin"
#: Reachable without the token: the dashboard's page and assets (they hold no data; the page
#: asks for the token when the JSON it polls answers 401).
OPEN_CONTROL_PATHS = ("/__mock/ui",)


def _open_control_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPEN_CONTROL_PATHS)


def _presented_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
        elif name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, token = part.strip().partition("=")
                if key == ADMIN_COOKIE:
                    return token
    return None


async def _refuse_control_plane(scope: Scope, receive: Receive, send: Send) -> None:
    err = Unauthorized(
        "the control plane needs its token on a non-loopback address: send "
        "'Authorization: Bearer <token>' (stagemock serve --admin-token, STAGEMOCK_ADMIN_TOKEN, "
        "or the token printed at startup)",
        field="Authorization",
    )
    response = json_response(stagepro_shape(err), err.status)
    await response(scope, receive, send)


class FrontDoor:
    """Pure ASGI, the first of our layers. Every request a spec describes, the vendor APIs'
    and the control plane's alike, goes straight to its path's ``Dispatcher`` (which answers
    every error itself, in its API's shape); the vendor APIs' requests are journaled. Only
    the rest (``/``, ``/openapi/``, ``/files/``, unknown paths) reaches Starlette's router.
    Skipping the router, its exception middleware and the per-message ``send`` wrappers is
    measurable on the hot path (docs/performance.md)."""

    def __init__(
        self,
        app: ASGIApp,
        ctx: AppContext,
        fast: list[SpecRoutes],
        control: SpecRoutes,
        control_binding: ApiBinding,
        admin_token: str | None,
        capture: Capture | None = None,
    ) -> None:
        self.app = app
        self.ctx = ctx
        self.fast = fast
        self.control = control
        self.control_binding = control_binding
        self.admin_token = admin_token  # None: the control plane is open (loopback)
        self.capture = capture

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain function returning the awaitable that answers: the hot path pays one
        # coroutine fewer (``StagemockApp.__call__``, the ASGI entry, stays a coroutine).
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith(CONTROL_PLANE):
            return self._control_plane(scope, receive, send)
        if path.startswith(UNJOURNALED) or path == "/":  # the index: not a request to an API
            return self.app(scope, receive, send)
        start = time.perf_counter()
        entry = self.ctx.journal.open(
            self.ctx.clock.now(),
            scope["method"],
            path,
            scope.get("query_string", b"").decode("latin-1"),
        )
        scope[JOURNAL_KEY] = entry
        if self.capture is not None:  # ``serve --record``: the exchange, as it passes
            return self._captured(self.capture, scope, receive, send, entry, start)
        return self._journaled(scope, receive, send, entry, start)

    async def _captured(self, capture: Capture, scope: Scope, receive: Receive, send: Send,
                        entry: JournalEntry, start: float) -> None:
        receive, send, done = capture.wrap(scope, receive, send, entry)
        try:
            await self._journaled(scope, receive, send, entry, start)
        finally:
            done()

    async def _journaled(self, scope: Scope, receive: Receive, send: Send, entry: JournalEntry,
                         start: float) -> None:
        for routes in self.fast:
            found = routes.find(scope)
            if found is not None:
                dispatcher, path_params = found
                scope["path_params"] = path_params
                response = await dispatcher.dispatch(Request(scope, receive, send))
                entry.status = response.status_code
                entry.duration_ms = (time.perf_counter() - start) * 1000
                if type(response).__call__ is Response.__call__ and response.background is None:
                    # A whole body (the answers the dispatchers build): sent here, without
                    # the response's own coroutine.
                    await send({"type": "http.response.start", "status": response.status_code,
                                "headers": response.raw_headers})
                    await send({"type": "http.response.body", "body": response.body})
                else:  # streamed or dropped (a fault's reset or truncation)
                    await response(scope, receive, send)
                return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                entry.duration_ms = (time.perf_counter() - start) * 1000
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _control_plane(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``/__mock/...``: the token first (off loopback), then the path's dispatcher, like
        a vendor API's request but never journaled; an unknown path gets a JSON 404."""
        path = scope["path"]
        if (
            self.admin_token is not None
            and not _open_control_path(path)
            and not hmac.compare_digest(
                (_presented_token(scope) or "").encode(), self.admin_token.encode()
            )
        ):
            await _refuse_control_plane(scope, receive, send)
            return
        found = self.control.find(scope)
        if found is None:
            err = NotFound(f"no operation matches {scope['method']} {path}")
            response = self.control_binding.error_response(err)
        else:
            dispatcher, scope["path_params"] = found
            response = await dispatcher.dispatch(Request(scope, receive, send))
        await response(scope, receive, send)


class PathOwners:
    """Which API a path belongs to, read from each spec (its mount prefix and the first
    segment of each of its paths, the longest match winning: ``/api/v1/...`` is StagePro's,
    ``/api/...`` and ``/gcs/...`` Stager AI's), so an unknown path or a wrong method is
    answered in that API's error shape; anything else in the control plane's. Each API's
    ``caller_key`` reads the key such a request was sent with: the journal files the
    client's violation under it."""

    def __init__(self, bindings: list[ApiBinding]) -> None:
        prefixes: dict[str, tuple[str, ErrorShape]] = {}
        self.caller_keys = {b.spec.name: b.caller_key for b in bindings}
        for binding in bindings:
            spec = binding.spec
            for op in spec.operations:
                first = op.path.lstrip("/").split("/", 1)[0]
                prefix = spec.prefix if spec.prefix else f"/{first}"
                prefixes[prefix + "/"] = (spec.name, binding.error_shape)
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[0]))

    def owner(self, path: str) -> tuple[str | None, ErrorShape]:
        for prefix, (api, shape) in self.prefixes:
            if path.startswith(prefix) or path == prefix[:-1]:
                return api, shape
        return None, stagepro_shape


async def http_exception(request: Request, exc: Exception) -> Response:
    """Router-level 404/405 in the API's own JSON error shape (Allow kept)."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    err: ApiError
    if exc.status_code == 405:
        err = MethodNotAllowed(
            f"{request.method} is not allowed on {path}", headers=dict(exc.headers or {})
        )
    elif exc.status_code == 404:
        err = NotFound(f"no operation matches {request.method} {path}")
    else:
        err = ApiError(str(exc.detail), status=exc.status_code, code="http_error")
    owners: PathOwners = request.app.state.path_owners
    api, shape = owners.owner(path)
    entry = request.scope.get(JOURNAL_KEY)
    if entry is not None:
        entry.api = api
        entry.conformant = False
        entry.violations = [{"field": None, "message": err.message}]
        caller_key = owners.caller_keys.get(api) if api is not None else None
        if caller_key is not None:
            entry.api_key = caller_key(None, request)
    return json_response(shape(err), err.status, err.headers or None)


class StagemockApp(Starlette):
    """Starlette behind the front door: every request meets the ``FrontDoor`` first, which
    dispatches the specs' paths itself and hands the rest (``/``, ``/openapi/``, ``/files/``,
    unknown paths, lifespan) to Starlette's own stack (server-error and exception middleware,
    router). The dispatchers answer every error themselves, so the spec paths skip
    Starlette's middleware and its ``send`` wrapper (measurable per request:
    docs/performance.md). An injected fault reaches the connection through the server's
    connection hook (``mock_server.serving.hook``)."""

    front_door: FrontDoor | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        door = self.front_door
        if door is None:
            await super().__call__(scope, receive, send)
        else:
            await door(scope, receive, send)

    async def starlette(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Starlette's stack, behind the front door."""
        await super().__call__(scope, receive, send)


def _learn_fault_targets(ctx: AppContext, bindings: list[ApiBinding]) -> None:
    """Which operations (and webhook events) fault rules may name, from the specs."""
    for binding in bindings:
        for op in binding.spec.operations:
            api = binding.fault_apis.get(op.operation_id, binding.spec.name)
            ctx.learn_operations(api, {op.operation_id})
        events = binding.spec.document.get("webhooks") or {}
        if events:
            ctx.learn_operations("webhooks", {e for e in events if e != "webhook.verification"})


def _capture(settings: Settings) -> Capture | None:
    """``serve --record FILE``: every vendor exchange written as a recording."""
    if not settings.record:
        return None
    from .proxy.capture import Capture

    return Capture(settings.record)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    ctx = AppContext(settings)
    # The components, in the order they are ticked and reset: the two APIs, then StagePro's
    # webhook hub (it delivers what the StagePro backend's tick publishes).
    webhooks = WebhookHub(ctx)
    ctx.register_apis(StageProBackend(ctx, webhooks), StagerAIBackend(ctx))
    ctx.add(webhooks)

    # The vendor APIs first (the hot paths), then the control plane and static files.
    # Every spec path goes through the front door to its dispatcher; the router keeps the rest.
    bindings: list[ApiBinding] = [backend.binding(ctx) for backend in ctx.backends.values()]
    _learn_fault_targets(ctx, bindings)
    ctx.add_startup_faults()
    vendor_routes = [build_routes(binding, ctx) for binding in bindings]
    control = admin_binding(load_spec("admin", settings.openapi_dir / "admin.yaml", ""))
    control_routes = build_routes(control, ctx)
    routes: list[BaseRoute] = [
        Route("/", index(ctx), methods=["GET"]),
        Route("/openapi/{name}", serve_spec(ctx), methods=["GET"]),
        Route("/files/{key:path}", serve_file(ctx), methods=["GET"]),
        Route("/fixtures/", sample_photos(ctx), methods=["GET"]),
        Route("/fixtures/{folder}/{name}", sample_photos(ctx), methods=["GET"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await ctx.start()
        try:
            yield
        finally:
            await ctx.stop()

    admin_token = None
    if settings.control_plane_needs_token:
        # Never open on a reachable address: without a configured token, one nobody can guess
        # (the CLI passes its own, printed at startup; create_app's caller reads app.state).
        admin_token = settings.admin_token or secrets.token_urlsafe(24)
    app = StagemockApp(
        routes=routes,
        exception_handlers={HTTPException: http_exception},
        lifespan=lifespan,
    )
    app.front_door = FrontDoor(app.starlette, ctx=ctx, fast=vendor_routes,
                               control=control_routes, control_binding=control,
                               admin_token=admin_token, capture=_capture(settings))
    app.state.ctx = ctx
    app.state.path_owners = PathOwners(bindings)
    app.state.admin_token = admin_token
    return app
