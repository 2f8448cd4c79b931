"""The endpoint of one spec path: picks the operation by method (405 otherwise),
authenticates, validates parameters and body, calls the handler and answers every error in
the API's own shape (a bug becomes a logged 500, never a hang)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..errors import (
    ApiError,
    MethodNotAllowed,
    Unauthorized,
    ValidationFailed,
)
from ..jsontypes import JsonObject
from .binding import JOURNAL_KEY, ApiBinding, Call, Handler
from .body import read_body
from .guesses import SUFFIX
from .loader import Operation
from .validation import OperationValidator, coerce, compile_operation

if TYPE_CHECKING:
    from ..context import AppContext
    from ..journal import JournalEntry

log = logging.getLogger("stagemock")

#: A violation's fields for the journal only, never in the API's error body.
JOURNAL_ONLY = frozenset({"guess", "rule", "source", "keyword"})


class Stage(Protocol):
    """What the app may put around every operation's run (``AppContext.stage``; today the
    faults layer, ``mock_server.faults.layer``). While ``armed`` is false the dispatcher runs
    the operation directly: that attribute is the one check a request pays."""

    armed: bool

    def around(self, request: Request, op: Operation, binding: ApiBinding,
               entry: JournalEntry | None,
               run: Callable[[], Awaitable[Response]]) -> Awaitable[Response]:
        """The answer to the request: ``run()`` is the operation's own."""
        ...


def refusal(violations: list[JsonObject]) -> ValidationFailed:
    """The 400 for a request's violations, in the API's shape: the first one's field and
    message, every one in ``details`` (without the journal's verdict fields)."""
    first = violations[0]
    field = first["field"]
    where = f"`{field}` " if isinstance(field, str) else ""
    return ValidationFailed(
        f"{where}{first['message']}",
        field=field,
        # the verdict is for the journal; the vendor's error shape stays as is
        details=[{k: v for k, v in d.items() if k not in JOURNAL_ONLY} for d in violations],
    )


class Dispatcher:
    """The endpoint of one spec path: every method of that path lands here."""

    def __init__(
        self,
        binding: ApiBinding,
        operations: list[Operation],
        context: AppContext,
    ) -> None:
        self.binding = binding
        self.context = context
        #: ``stagemock serve --lenient`` (Settings are frozen: read once, not per request)
        self.lenient = bool(getattr(getattr(context, "settings", None), "lenient", False))
        self.by_method: dict[str, tuple[Operation, OperationValidator, Handler]] = {}
        for op in operations:
            validator = compile_operation(binding.spec.document, op)
            self.by_method[op.method] = (op, validator, binding.handlers[op.operation_id])
        if "GET" in self.by_method and "HEAD" not in self.by_method:
            self.by_method["HEAD"] = self.by_method["GET"]
        self.allow = ", ".join(sorted(m for m in self.by_method if m != "HEAD"))
        #: the error format shared by every operation of the path (GCS XML), for its 405
        renderers = {binding.error_renderers.get(op.operation_id) for op in operations}
        self.renderer = renderers.pop() if len(renderers) == 1 else None
        #: What the app puts around each operation's run (``Stage``): its ``armed`` is the one
        #: check a request pays while it has nothing to do.
        self.stage: Stage = context.stage
        #: per operation, computed once: its path parameters (name, schema), and its header
        #: parameters by lower-case raw name → (name as validated, schema)
        self.path_params: dict[str, tuple[tuple[str, JsonObject], ...]] = {}
        self.header_params: dict[str, dict[bytes, tuple[str, JsonObject]]] = {}
        for op in operations:
            self.path_params[op.operation_id] = tuple(
                (p.name, p.schema) for p in op.parameters if p.location == "path"
            )
            self.header_params[op.operation_id] = {
                p.name.lower().encode("latin-1"): (p.name.lower(), p.schema)
                for p in op.parameters
                if p.location == "header"
            }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry: the dispatcher answers every error itself, so Starlette's per-route
        request/exception wrapper is not needed."""
        response = await self.dispatch(Request(scope, receive, send))
        await response(scope, receive, send)

    def dispatch(self, request: Request) -> Awaitable[Response]:
        """The awaitable answer (a plain function: the request pays no coroutine of its own
        before the operation's)."""
        entry: JournalEntry | None = request.scope.get(JOURNAL_KEY)
        if entry is not None:
            entry.api = self.binding.spec.name
        found = self.by_method.get(request.method)
        if found is None:
            if entry is not None:
                entry.conformant = False
                entry.violations = [
                    {"field": None, "message": f"{request.method} is not allowed here"}
                ]
                if self.binding.caller_key is not None:  # the client's violation: its key
                    entry.api_key = self.binding.caller_key(None, request)
            err = MethodNotAllowed(
                f"{request.method} is not allowed on {request.url.path}; allowed: {self.allow}",
                headers={"Allow": self.allow},
            )
            return _ready(self.renderer(err) if self.renderer is not None
                          else self.binding.error_response(err))
        op, validator, handler = found
        if entry is not None:
            entry.operation_id = op.operation_id
        if self.stage.armed:
            return self.stage.around(
                request, op, self.binding, entry,
                lambda: self._run(request, op, validator, handler, entry),
            )
        return self._run(request, op, validator, handler, entry)

    async def _run(
        self,
        request: Request,
        op: Operation,
        validator: OperationValidator,
        handler: Handler,
        entry: JournalEntry | None,
    ) -> Response:
        # One coroutine for the whole request (the hot path pays no extra frame): parameters,
        # body, authentication, then the handler; every error answered in the API's shape.
        try:
            violations: list[JsonObject] = []
            auth_error: ApiError | None = None
            principal = None
            try:
                principal = self.binding.authenticate(op, request)
            except Unauthorized as err:
                auth_error = err
                if entry is not None:
                    # an unknown, malformed or revoked key is journaled as it was sent
                    entry.api_key = err.sent_key
                if err.missing:
                    violations.append({"field": err.field, "message": err.message})
            if entry is not None and principal is not None:
                entry.api_key = getattr(principal, "api_key", None) or entry.api_key

            path_params = request.scope.get("path_params") or {}
            path = {
                name: coerce(path_params[name], schema)
                for name, schema in self.path_params[op.operation_id]
                if name in path_params
            }
            query = self._query(request, op)
            violations += validator.check("path", path)
            violations += validator.check("query", query)
            wanted = self.header_params[op.operation_id]
            if wanted:
                # Straight from the ASGI scope (the first of a repeated header, as Starlette's
                # ``Headers`` would give), with the lower-case names computed at startup.
                headers: JsonObject = {}
                for raw_name, raw_value in request.scope["headers"]:
                    found = wanted.get(raw_name)
                    if found is not None and found[0] not in headers:
                        headers[found[0]] = coerce(raw_value.decode("latin-1"), found[1])
                violations += validator.check("header", headers)

            body = None
            try:
                body, body_violations = await read_body(
                    self.binding, request, op, validator, entry, self.lenient
                )
                violations += body_violations
            except ApiError as err:
                if auth_error is None:
                    self._record(entry, [{"field": err.field, "message": err.message}])
                    raise
            if (
                violations
                and auth_error is None
                and self.lenient
                and all(v.get("guess") and v.get("keyword") != "type" for v in violations)
            ):
                # ``stagemock serve --lenient``: the request breaks only rules the vendor's
                # reference does not state; let it through and say so in the journal.
                self._warn_guesses(entry, violations)
                violations = []
            if violations or auth_error is not None:
                self._record(entry, violations)
            if auth_error is not None:
                raise auth_error
            if violations:
                if self.binding.explain is not None:
                    violations = [self.binding.explain(v, body) for v in violations]
                raise refusal(violations)
            if self.binding.due_work is not None and principal is not None:
                due = self.binding.due_work(principal)
                if due:
                    await self.context.await_work(due)
            # ``principal`` is None only for operations without security, whose handlers never
            # read it (``Call``): typed ``Principal`` for every handler that does.
            return await handler(
                Call(request, op, path, query, body, principal, self.context),  # type: ignore[arg-type]
            )
        except ApiError as err:
            # the error is answered, not re-raised: its traceback would hold this frame, and
            # the frame the error (``auth_error``), a cycle that leaves each refused request
            # (its scope, headers, body) to the collector
            err.__traceback__ = None
            renderer = self.binding.error_renderers.get(op.operation_id)
            return renderer(err) if renderer else self.binding.error_response(err)
        except ClientDisconnect:
            # The client left mid-body: nothing was done; the journal shows 499 (nginx's
            # "client closed request") and the answer goes nowhere.
            return Response(status_code=499)
        except Exception:  # a bug of ours: still answer in the API's shape, never hang
            log.exception("unhandled error in %s", op.operation_id)
            return self.binding.error_response(
                ApiError("internal error in the mock (this is a bug)", status=500, code="internal")
            )

    @staticmethod
    def _warn_guesses(entry: JournalEntry | None, violations: list[JsonObject]) -> None:
        if entry is None:
            return
        for v in violations:
            where = f"`{v['field']}` " if isinstance(v.get("field"), str) else ""
            message = v["message"].removesuffix(SUFFIX).rstrip()
            entry.warnings.append(
                {
                    "field": v.get("field"),
                    "message": f"accepted (--lenient) although {where}{message}: a guess of "
                    f"this mock, not stated by the vendor's reference ({v['guess']})",
                    "guess": v["guess"],
                }
            )

    @staticmethod
    def _record(entry: JournalEntry | None, violations: list[JsonObject]) -> None:
        if entry is not None and violations:
            entry.conformant = False
            entry.violations = violations

    @staticmethod
    def _query(request: Request, op: Operation) -> JsonObject:
        query: JsonObject = {}
        if not op.has_query or not request.scope.get("query_string"):
            return query
        params = request.query_params
        for p in op.parameters:
            if p.location != "query" or p.name not in params:
                continue
            if p.schema.get("type") == "array":
                query[p.name] = coerce(params.getlist(p.name), p.schema)
            else:
                query[p.name] = coerce(params[p.name], p.schema)
        return query


async def _ready(response: Response) -> Response:
    """An answer known at once, as the awaitable ``Dispatcher.dispatch`` returns."""
    return response
