"""Response helpers shared by every handler (orjson everywhere)."""

from __future__ import annotations

import orjson
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import Receive

from .jsontypes import Json

JSON = "application/json"


def dumps(body: Json) -> bytes:
    return orjson.dumps(body)


class RawJSON(Response):
    """An already serialised JSON body with no extra headers: Starlette's ``Response``
    without building the header list per call (the hot GET/POST job answers)."""

    media_type = JSON

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]


def json_response(body: Json, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, headers=headers, media_type=JSON)


async def read_body(receive: Receive) -> bytes:
    """The whole body of an ASGI request, unbounded (test helpers, not the API path)."""
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def header(request: HTTPConnection, name: bytes) -> str | None:
    """One request header (``name`` lower-case), read straight from the ASGI scope: cheaper
    than Starlette's ``Headers`` on the hot path."""
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def base_url(request: HTTPConnection, public_url: str | None) -> str:
    """The origin clients should use for URLs the mock generates: ``public_url`` if set, else
    the scheme and ``Host`` the request came with (read from the ASGI scope: building
    Starlette's ``URL`` is a measurable part of a request; see bench/RESULTS.md)."""
    if public_url:
        return public_url.rstrip("/")
    scope = request.scope
    host_header = header(request, b"host")
    if host_header is not None:
        return f"{scope['scheme']}://{host_header}"
    host, port = scope.get("server") or ("127.0.0.1", 80)
    default = 443 if scope["scheme"] == "https" else 80
    return f"{scope['scheme']}://{host}" + ("" if port == default else f":{port}")
