"""Routes built from the specs: one Starlette ``Route`` per spec path, dispatching by method
to the handler named by the operationId. Startup fails when an operation has no handler or a
handler no operation.

The path of one request: the app's front door (journal) → ``SpecRoutes.find`` →
``Dispatcher.dispatch`` (405, authentication, parameter and body validation, all compiled at
startup) → handler → response.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from ..errors import (
    ApiError,
    ErrorShape,
    InvalidJson,
    MethodNotAllowed,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from ..http import header, json_response
from ..limits import UPLOAD_MAX_BYTES
from .guesses import SUFFIX, mark
from .loader import ApiSpec, Operation
from .validation import JSON_TYPES, OperationValidator, coerce, compile_operation

log = logging.getLogger("stagemock")


def _parser_warnings_only(record: logging.LogRecord) -> bool:
    """python-multipart logs a warning ("Found invalid character … in header") right before
    it raises the ``MultipartParseError`` the dispatcher answers as a 400 naming the body and
    journals: the client's mistake, already reported to it, not the server's. Keep errors."""
    return record.levelno >= logging.ERROR


logging.getLogger("python_multipart.multipart").addFilter(_parser_warnings_only)

MAX_JSON_BYTES = 1 * 1024 * 1024
FORM_URLENCODED = "application/x-www-form-urlencoded"
MAX_UPLOAD_BYTES = UPLOAD_MAX_BYTES
#: Multipart framing on top of the file itself.
MULTIPART_OVERHEAD = 64 * 1024
JOURNAL_KEY = "stagemock.journal"
#: Every method reaches the dispatcher, which answers 405 itself (JSON, full Allow).
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


class Call:
    """What a handler gets: the parsed, validated request and who made it."""

    __slots__ = ("request", "operation", "path", "query", "body", "principal", "context")

    def __init__(
        self,
        request: Request,
        operation: Operation,
        path: dict[str, Any],
        query: dict[str, Any],
        body: Any,
        principal: Any,
        context: Any,
    ) -> None:
        self.request = request
        self.operation = operation
        self.path = path
        self.query = query
        self.body = body
        self.principal = principal
        self.context = context


Handler = Callable[[Call], Awaitable[Response]]
Authenticator = Callable[[Operation, Request], Any]


@dataclass
class ApiBinding:
    """One API as the app serves it: its spec, its handlers, how it authenticates callers,
    and the error body it speaks."""

    spec: ApiSpec
    handlers: Mapping[str, Handler]
    authenticate: Authenticator
    error_shape: ErrorShape
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    #: Operations that speak another error format (GCS XML): operationId → renderer.
    error_renderers: Mapping[str, Callable[[ApiError], Response]] = field(default_factory=dict)
    #: Optional: reword a violation for the API's users, ``fn(violation, body) -> violation``.
    explain: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    #: Optional: the caller's image work due by now (futures), awaited before the handler
    #: runs, so a handler never waits for a worker on the event loop.
    due_work: Callable[[Any], list[Any]] | None = None
    #: Read a body sent as ``application/x-www-form-urlencoded`` as JSON when it parses as
    #: JSON (``curl -d`` without ``-H 'Content-Type: application/json'`` sends that type, and
    #: Stager AI's reference never shows the header); the journal entry gets a warning.
    json_sent_as_form: bool = False

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


def _media_type(request: Request) -> str:
    return (header(request, b"content-type") or "").split(";", 1)[0].strip().lower()


def _alternatives(
    names: tuple[str, ...], files: dict[str, UploadFile], problems: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Exactly one of ``names`` as a file part (the spec's ``oneOf`` of ``required``)."""
    sent = [n for n in names if n in files]
    others = ", ".join(f"`{n}`" for n in names[1:])
    if not sent and not any(isinstance(p["field"], str) and p["field"] in names
                            for p in problems):
        message = f"is required (a file part; {others} is accepted too)"
        return [{"field": names[0], "message": message}]
    if len(sent) > 1:
        message = f"send only one of these file parts: {', '.join(sent)}"
        return [{"field": sent[1], "message": message}]
    return []


class Dispatcher:
    """The endpoint of one spec path: every method of that path lands here."""

    def __init__(
        self,
        binding: ApiBinding,
        operations: list[Operation],
        context: Any,
    ) -> None:
        self.binding = binding
        self.context = context
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

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI entry: the dispatcher answers every error itself, so Starlette's per-route
        request/exception wrapper is not needed."""
        response = await self.dispatch(Request(scope, receive, send))
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        entry = request.scope.get(JOURNAL_KEY)
        if entry is not None:
            entry.api = self.binding.spec.name
        found = self.by_method.get(request.method)
        if found is None:
            if entry is not None:
                entry.conformant = False
                entry.violations = [
                    {"field": None, "message": f"{request.method} is not allowed here"}
                ]
            err = MethodNotAllowed(
                f"{request.method} is not allowed on {request.url.path}; allowed: {self.allow}",
                headers={"Allow": self.allow},
            )
            if self.renderer is not None:
                return self.renderer(err)
            return self.binding.error_response(err)
        op, validator, handler = found
        if entry is not None:
            entry.operation_id = op.operation_id
        try:
            return await self._handle(request, op, validator, handler, entry)
        except ApiError as err:
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

    async def _handle(
        self,
        request: Request,
        op: Operation,
        validator: OperationValidator,
        handler: Handler,
        entry: Any,
    ) -> Response:
        violations: list[dict[str, Any]] = []
        auth_error: ApiError | None = None
        principal = None
        try:
            principal = self.binding.authenticate(op, request)
        except Unauthorized as err:
            auth_error = err
            if entry is not None:
                # an unknown, malformed or revoked key is journaled as it was sent
                entry.api_key = getattr(err, "sent_key", None)
            if getattr(err, "missing", False):
                violations.append({"field": err.field, "message": err.message})
        if entry is not None and principal is not None:
            entry.api_key = getattr(principal, "api_key", None)

        path = {
            p.name: coerce(request.path_params[p.name], p.schema)
            for p in op.parameters
            if p.location == "path" and p.name in request.path_params
        }
        query = self._query(request, op)
        violations += validator.check("path", path)
        violations += validator.check("query", query)
        if "header" in validator.params:
            headers = {
                p.name.lower(): coerce(request.headers[p.name], p.schema)
                for p in op.parameters
                if p.location == "header" and p.name in request.headers
            }
            violations += validator.check("header", headers)

        body = None
        try:
            body, body_violations = await self._body(request, op, validator, entry)
            violations += body_violations
        except ApiError as err:
            if auth_error is None:
                self._record(entry, [{"field": err.field, "message": err.message}])
                raise
        if (
            violations
            and auth_error is None
            and self.lenient
            and all(v.get("guess") for v in violations)
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
            first = violations[0]
            field = first["field"]
            where = f"`{field}` " if isinstance(field, str) else ""
            raise ValidationFailed(
                f"{where}{first['message']}",
                field=field,
                # the guess's reason is for the journal; the vendor's error shape stays as is
                details=[{k: v for k, v in d.items() if k != "guess"} for d in violations],
            )
        if self.binding.due_work is not None and principal is not None:
            due = self.binding.due_work(principal)
            if due:
                await self.context.await_work(due)
        return await handler(
            Call(request, op, path, query, body, principal, self.context)
        )

    @property
    def lenient(self) -> bool:
        settings = getattr(self.context, "settings", None)
        return bool(getattr(settings, "lenient", False))

    @staticmethod
    def _warn_guesses(entry: Any, violations: list[dict[str, Any]]) -> None:
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
    def _record(entry: Any, violations: list[dict[str, Any]]) -> None:
        if entry is not None and violations:
            entry.conformant = False
            entry.violations = violations

    @staticmethod
    def _query(request: Request, op: Operation) -> dict[str, Any]:
        query: dict[str, Any] = {}
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

    async def _body(
        self, request: Request, op: Operation, validator: OperationValidator, entry: Any = None
    ) -> tuple[Any, list[dict[str, Any]]]:
        if not op.body_content:
            return None, []
        media = _media_type(request)
        length = header(request, b"content-length")
        empty = length == "0" or (
            length is None and header(request, b"transfer-encoding") is None
        )
        if empty:
            if op.body_required:
                return None, [{"field": None, "message": "a request body is required"}]
            return None, []
        if media not in validator.bodies:
            json_body = any(m in JSON_TYPES for m in validator.bodies)
            if not media and json_body:
                media = "application/json"  # lenient: no Content-Type at all
            elif not media and "application/octet-stream" in validator.bodies:
                media = "application/octet-stream"
            elif media == FORM_URLENCODED and json_body and self.binding.json_sent_as_form:
                return await self._json_sent_as_form(request, op, validator, entry)
            elif "*/*" in validator.bodies:  # any type (a GCS upload): the bytes, as sent
                raw = await self._read(request, self.binding.max_upload_bytes)
                return {"media_type": media or None, "data": raw}, []
            else:
                raise UnsupportedMediaType(
                    f"Content-Type {media or '(none)'} is not accepted here; "
                    f"send {', '.join(validator.bodies)}",
                    field="Content-Type",
                )
        rule = validator.bodies[media]
        if media in JSON_TYPES:
            raw = await self._read(request, MAX_JSON_BYTES)
            if not raw.strip():
                if op.body_required:
                    return None, [{"field": None, "message": "a request body is required"}]
                return None, []
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise InvalidJson(f"the request body is not valid JSON: {exc}") from None
            return body, validator.check_body(media, body)
        if media == "multipart/form-data":
            limit = self.binding.max_upload_bytes
            if length is not None and length.isdigit() and int(length) > limit + MULTIPART_OVERHEAD:
                raise PayloadTooLarge(
                    f"the upload is larger than {limit} bytes", field="file"
                )
            try:
                form = await request.form(
                    max_files=10, max_fields=100, max_part_size=limit + 1
                )
            except Exception as exc:  # multipart errors, part too large
                text = str(exc)
                if "size" in text.lower() or "large" in text.lower():
                    raise PayloadTooLarge(
                        f"the upload is larger than {limit} bytes", field="file"
                    ) from None
                raise ValidationFailed(f"malformed multipart body: {text}") from None
            fields: dict[str, Any] = {}
            files: dict[str, UploadFile] = {}
            problems: list[dict[str, Any]] = []
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if rule.strict and key not in rule.file_fields:
                        problems.append(
                            mark(
                                {"field": key, "message": "is not a known field (strict body)"},
                                rule.strict_guess,
                            )
                        )
                        continue
                    files[key] = value
                elif key in rule.file_fields:
                    problems.append({"field": key, "message": "must be a file part"})
                else:
                    schema = rule.properties.get(key, {})
                    fields[key] = coerce(value, schema)
            for name in rule.required_fields & rule.file_fields:
                if name not in files and not any(p["field"] == name for p in problems):
                    problems.append({"field": name, "message": "is required (a file part)"})
            if rule.file_alternatives:
                problems += _alternatives(rule.file_alternatives, files, problems)
            problems += validator.check_body(media, fields)
            return {"fields": fields, "files": files}, problems
        raw = await self._read(request, self.binding.max_upload_bytes)
        return {"media_type": media, "data": raw}, []

    async def _json_sent_as_form(
        self, request: Request, op: Operation, validator: OperationValidator, entry: Any
    ) -> tuple[Any, list[dict[str, Any]]]:
        """``curl -d '{...}'`` without the JSON header: read as JSON if it parses, with a
        warning in the journal (not a violation); anything else is still a 415."""
        raw = await self._read(request, MAX_JSON_BYTES)
        if not raw.strip():
            if op.body_required:
                return None, [{"field": None, "message": "a request body is required"}]
            return None, []
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise UnsupportedMediaType(
                f"Content-Type {FORM_URLENCODED} is not accepted here and the body is not "
                f"JSON; send {', '.join(validator.bodies)}",
                field="Content-Type",
            ) from None
        if entry is not None:
            entry.warnings.append(
                {
                    "field": "Content-Type",
                    "message": f"the body was sent as {FORM_URLENCODED} and read as JSON "
                    "(curl -d without -H 'Content-Type: application/json'); the spec "
                    "documents application/json",
                }
            )
        media = next(m for m in validator.bodies if m in JSON_TYPES)
        return body, validator.check_body(media, body)

    @staticmethod
    async def _read(request: Request, limit: int) -> bytes:
        """The whole body, refused once past ``limit``. Reads the ASGI messages directly
        (Starlette's ``stream()`` is an async generator: a measurable cost per request)."""
        length = header(request, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
        chunks = []
        size = 0
        receive = request.receive
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class SpecRoutes(BaseRoute):
    """All routes of one API as a single Starlette route: literal paths are found in a dict,
    templated ones by their regexes (checked only when the API's prefix matches), so a
    request costs one lookup instead of trying every route of the app in turn."""

    KEY = "stagemock.route"

    def __init__(self, prefix: str, routes: list[Route]) -> None:
        self.prefix = prefix
        self.literal = {r.path: r for r in routes if "{" not in r.path}
        #: templated routes by their first path segment after the prefix ("jobs", "api"...)
        self.templated: dict[str, list[Route]] = {}
        for r in routes:
            if "{" in r.path:
                self.templated.setdefault(self._segment(r.path), []).append(r)
        #: routes ending in a catch-all parameter (GCS objects): every path under their
        #: literal start reaches them, even one Starlette's converters refuse (an empty
        #: segment, a newline), so the operation answers it in its own format and the
        #: parameters' schemas name what is wrong. (literal start, route, parameter names)
        self.loose: list[tuple[str, Route, list[str]]] = []
        for r in routes:
            if r.path.endswith(":path}"):
                start = r.path.split("{", 1)[0]
                self.loose.append((start, r, list(r.param_convertors)))

    def _segment(self, path: str) -> str:
        return path[len(self.prefix):].split("/", 2)[1] if "/" in path[len(self.prefix):] else ""

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path = scope["path"]
        if self.prefix and not path.startswith(self.prefix):
            return Match.NONE, {}
        route = self.literal.get(path)
        candidates = [route] if route is not None else self.templated.get(self._segment(path), ())
        for candidate in candidates:
            match, child = candidate.matches(scope)
            if match is not Match.NONE:
                child[self.KEY] = candidate
                return match, child
        for start, route, names in self.loose:
            if path.startswith(start) or path == start.rstrip("/"):
                # The segments in order, the last parameter takes the rest ("" when absent).
                parts = path[len(start):].split("/", len(names) - 1)
                parts += [""] * (len(names) - len(parts))
                params = dict(zip(names, parts, strict=True))
                return Match.FULL, {self.KEY: route, "endpoint": route.endpoint,
                                    "path_params": params}
        return Match.NONE, {}

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        await scope.pop(self.KEY).handle(scope, receive, send)

    def find(self, scope: Any) -> tuple[Dispatcher, dict[str, Any]] | None:
        """The dispatcher and path parameters of a request this API serves, for the app's
        front door to call directly (``None``: let the Starlette router answer)."""
        match, child = self.matches(scope)
        if match is not Match.FULL:
            return None
        return child[self.KEY].endpoint, child["path_params"]


def build_routes(binding: ApiBinding, context: Any) -> list[BaseRoute]:
    """One Route per spec path, bundled in a ``SpecRoutes`` per API."""
    binding.check_handlers()
    by_path: dict[str, list[Operation]] = {}
    for op in binding.spec.operations:
        by_path.setdefault(op.route_path, []).append(op)
    # Literal paths before templated ones, so /jobs/batch never loses to /jobs/{id}.
    ordered = sorted(by_path.items(), key=lambda kv: (kv[0].count("{"), kv[0]))
    routes = [
        Route(path, endpoint=Dispatcher(binding, ops, context), methods=ALL_METHODS)
        for path, ops in ordered
    ]
    return [SpecRoutes(binding.spec.prefix, routes)]
