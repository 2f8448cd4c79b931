"""What an injected fault sends: an error in the API's own envelope, a dropped connection, a
body cut short. The edge of the faults package (ASGI); the rules themselves are pure
(``models``).

A dropped or cut connection goes through the request's connection hook
(``mock_server.serving.hook``), which the mock's own server offers; under a server without
one the hook raises ``NoSocket`` saying what it cannot do, and the client sees a broken
request all the same.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..errors import (
    ApiError,
    BadGateway,
    GatewayTimeout,
    InternalServerError,
    ServiceUnavailable,
    TooManyRequests,
)
from ..serving.hook import connection_of

ERRORS: dict[int, type[ApiError]] = {
    429: TooManyRequests,
    500: InternalServerError,
    502: BadGateway,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}
#: GCS's XML error codes for the same statuses (a guess: Google documents the statuses of
#: its XML API, and these codes are the S3-style names it uses for them).
GCS_CODES = {
    429: "SlowDown",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def error_message(fault_id: str, status: int) -> str:
    what = {429: "too many requests", 500: "internal server error", 502: "bad gateway",
            503: "service unavailable", 504: "gateway timeout"}[status]
    return f"{what} (injected by stagemock: fault {fault_id})"


def api_error(fault_id: str, status: int, retry_after: int | None) -> ApiError:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return ERRORS[status](error_message(fault_id, status), headers=headers)


def gcs_error(fault_id: str, status: int, retry_after: int | None) -> Response:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><Error>"
        f"<Code>{GCS_CODES[status]}</Code>"
        f"<Message>{escape(error_message(fault_id, status))}</Message></Error>"
    ).encode()
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(body, status, headers=headers, media_type="application/xml")


class ResetResponse(Response):
    """No response at all: the connection is aborted (the client sees a reset)."""

    def __init__(self) -> None:
        self.status_code = None  # type: ignore[assignment]  # journaled as "no status"
        self.background = None
        self.body = b""
        self.raw_headers = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection_of(scope).abort()


class TruncatedResponse(Response):
    """The real status line and headers (its full ``Content-Length`` included), then half the
    body, then the connection closes: the client reads an incomplete body."""

    def __init__(self, inner: Response) -> None:
        self.inner = inner
        self.status_code = inner.status_code
        self.background = None
        self.body = getattr(inner, "body", b"")
        self.raw_headers = inner.raw_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        if body:
            await send({"type": "http.response.body", "body": body[: len(body) // 2],
                        "more_body": True})
        connection_of(scope).truncate(len(body) // 2)  # the body stays short
