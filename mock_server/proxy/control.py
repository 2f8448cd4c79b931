"""The proxy's control plane (``/__mock/``), described by ``openapi/proxy-admin.yaml`` and
served from it: routed by the mock's router (``SpecRoutes``, through ``routes``) and
validated by the mock's validators (``compile_operation``), every error in the control
plane's envelope (StagePro's shape): an unknown path a 404, a method the path does not serve
a 405 with ``Allow``, an invalid parameter a 400 ``validation_error``.

Not the mock's ``Dispatcher``: its handlers take a Starlette ``Request`` and the mock's
``AppContext`` (accounts, clock, fault rules), none of which a pure-ASGI proxy has; what the
control plane needs of it (the route, the parameters' coercion and validation, the error
shape) is reused here as is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import orjson
from starlette.types import Scope, Send

from ..errors import ApiError, MethodNotAllowed, NotFound, ValidationFailed, stagepro_shape
from ..jsontypes import Json, JsonObject
from ..spec.dispatch import JOURNAL_ONLY
from ..spec.loader import Operation, load_spec
from ..spec.validation import OperationValidator, coerce, compile_operation
from .routes import find, spec_routes


@dataclass(frozen=True)
class ControlCall:
    """What a control-plane handler gets: its path and query parameters, coerced to their
    schemas' types and valid."""

    path: JsonObject
    query: JsonObject


ControlHandler = Callable[[ControlCall, Send], Awaitable[None]]


class ControlPlane:
    """The ASGI endpoint of every ``/__mock/`` request of a proxy."""

    def __init__(self, spec_file: Path, handlers: Mapping[str, ControlHandler]) -> None:
        spec = load_spec("proxy-admin", spec_file, "")
        ops = {op.operation_id for op in spec.operations}
        if ops != set(handlers):
            raise RuntimeError(f"{spec_file.name}: operations without a handler: "
                               f"{sorted(ops - set(handlers))}; handlers without an "
                               f"operation: {sorted(set(handlers) - ops)}")
        self.paths = ", ".join(sorted({op.path for op in spec.operations}))

        def bind(op: Operation) -> tuple[Operation, OperationValidator, ControlHandler]:
            return op, compile_operation(spec.document, op), handlers[op.operation_id]

        self.routes = spec_routes(spec, bind)

    async def __call__(self, scope: Scope, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        found, params, methods = find(self.routes, method, path)
        if methods is None:
            await error(send, NotFound(f"the proxy's control plane has no {method} {path} "
                                       f"(it serves {self.paths})"))
            return
        if found is None:
            await error(send, MethodNotAllowed(
                f"{method} is not allowed on {path}; allowed: {methods.allow}",
                headers={"Allow": methods.allow}))
            return
        op, validator, handler = found
        path_values: JsonObject = {p.name: coerce(params[p.name], p.schema)
                                   for p in op.parameters
                                   if p.location == "path" and p.name in params}
        raw = parse_qs(scope.get("query_string", b"").decode("latin-1"),
                       keep_blank_values=True)
        query: JsonObject = {}
        for p in op.parameters:
            if p.location == "query" and p.name in raw:
                values = raw[p.name]
                query[p.name] = coerce(values if p.schema.get("type") == "array"
                                       else values[-1], p.schema)
        violations = validator.check("path", path_values) + validator.check("query", query)
        if violations:
            first = violations[0]
            field = first.get("field")
            name = field if isinstance(field, str) else None
            await error(send, ValidationFailed(
                f"`{name}` {first['message']}" if name else str(first["message"]), field=name,
                details=[{k: v for k, v in d.items() if k not in JOURNAL_ONLY}
                         for d in violations]))
            return
        await handler(ControlCall(path_values, query), send)


async def error(send: Send, err: ApiError) -> None:
    """``err`` in the control plane's envelope."""
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
               for k, v in (err.headers or {}).items()]
    await json(send, stagepro_shape(err), err.status, headers)


async def json(send: Send, body: Json, status: int = 200,
               headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


async def file(send: Send, path: Path, media: str) -> None:
    data = path.read_bytes()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", media.encode()),
                            (b"content-length", str(len(data)).encode()),
                            (b"content-security-policy",
                             b"default-src 'self'; style-src 'self' 'unsafe-inline'; "
                             b"img-src data:")]})
    await send({"type": "http.response.body", "body": data})


async def no_content(send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
