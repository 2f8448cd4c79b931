"""What a handler gets (``Call``) and what an API gives the router (``ApiBinding``: its spec,
its handlers by operationId, how it authenticates callers and shapes its errors)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic

from starlette.requests import Request
from starlette.responses import Response

from ..backend import Principal, WorkT
from ..errors import ApiError, ErrorShape
from ..http import json_response
from ..jsontypes import Json, JsonObject
from ..limits import UPLOAD_MAX_BYTES
from .loader import ApiSpec, Operation

if TYPE_CHECKING:
    from ..context import AppContext

#: Where the front door leaves the request's journal entry in the ASGI scope.
JOURNAL_KEY = "stagemock.journal"


class Call:
    """What a handler gets: the parsed, validated request, who made it, and the app's
    services. ``principal`` is ``None`` only for operations without security (the control
    plane, signed storage), whose handlers never read it. ``body`` is the JSON body as
    parsed; a multipart body is ``{"fields": {...}, "files": {name: UploadFile}}`` and any
    other body ``{"media_type", "data": bytes}`` (``spec.body.read_body``), both read as the
    handlers of those operations expect."""

    __slots__ = ("request", "operation", "path", "query", "body", "principal", "context")

    def __init__(
        self,
        request: Request,
        operation: Operation,
        path: JsonObject,
        query: JsonObject,
        body: Json,
        principal: Principal,
        context: AppContext,
    ) -> None:
        self.request = request
        self.operation = operation
        self.path = path
        self.query = query
        self.body = body
        self.principal = principal
        self.context = context


Handler = Callable[[Call], Awaitable[Response]]
Authenticator = Callable[[Operation, Request], Principal | None]


@dataclass
class ApiBinding(Generic[WorkT]):
    """One API as the app serves it: its spec, its handlers, how it authenticates callers,
    and the error body it speaks (``WorkT``: what its image work computes)."""

    spec: ApiSpec
    handlers: Mapping[str, Handler]
    authenticate: Authenticator
    error_shape: ErrorShape
    max_upload_bytes: int = UPLOAD_MAX_BYTES
    #: Operations that speak another error format (GCS XML): operationId → renderer.
    error_renderers: Mapping[str, Callable[[ApiError], Response]] = field(default_factory=dict)
    #: Optional: reword a violation for the API's users, ``fn(violation, body) -> violation``.
    explain: Callable[[JsonObject, Json], JsonObject] | None = None
    #: Optional: the caller's image work due by now (futures), awaited before the handler
    #: runs, so a handler never waits for a worker on the event loop.
    due_work: Callable[[Principal], Sequence[Future[WorkT]]] | None = None
    #: Read a body sent as ``application/x-www-form-urlencoded`` as JSON when it parses as
    #: JSON (``curl -d`` without ``-H 'Content-Type: application/json'`` sends that type, and
    #: Stager AI's reference lists no such header among the required ones); the journal
    #: entry gets a warning.
    json_sent_as_form: bool = False
    #: Fault rules (``mock_server.faults``) name an operation's API: the spec's name, unless
    #: listed here (Stager AI's signed storage is ``gcs``).
    fault_apis: Mapping[str, str] = field(default_factory=dict)
    #: The key a request was sent with, read before (and whatever) authentication decides:
    #: fault rules and the rate limit are scoped by it, and the journal files a request no
    #: operation answers (``None``: a path or method of no operation) under it.
    caller_key: Callable[[Operation | None, Request], str | None] | None = None
    #: Where this API's answers name what they created, most specific first (one level
    #: under ``data`` too): the faults layer journals it, and the resilience report names a
    #: duplicate by it.
    created_ids: tuple[str, ...] = ("id",)

    def check_handlers(self) -> None:
        ops = {op.operation_id for op in self.spec.operations}
        missing = sorted(ops - set(self.handlers))
        extra = sorted(set(self.handlers) - ops)
        if missing or extra:
            raise RuntimeError(
                f"{self.spec.name}: operations without a handler: {missing}; "
                f"handlers without an operation: {extra}"
            )

    def error_response(self, err: ApiError) -> Response:
        return json_response(self.error_shape(err), err.status, err.headers or None)


