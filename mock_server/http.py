"""Response helpers shared by every handler (orjson everywhere)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

JSON = "application/json"


def dumps(body: Any) -> bytes:
    return orjson.dumps(body)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, headers=headers, media_type=JSON)


def base_url(request: Any, public_url: str | None) -> str:
    """The origin clients should use for URLs the mock generates."""
    if public_url:
        return public_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"
