"""One error type for every designed failure. Handlers and models raise; the dispatcher turns
the error into the body of the API that was called (``ErrorShape``), in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict, Unpack

from .jsontypes import JsonObject


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | list[str] | None = None,
        details: list[JsonObject] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details
        self.headers = headers or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def payload(self) -> JsonObject:
        body: JsonObject = {"code": self.code, "message": self.message, "field": self.field}
        if self.details:
            body["details"] = self.details
        return body


class ErrorOptions(TypedDict, total=False):
    """The keyword arguments of ``ApiError`` (what a subclass passes on)."""

    field: str | list[str] | None
    details: list[JsonObject] | None
    headers: dict[str, str] | None
    status: int | None
    code: str | None


class ValidationFailed(ApiError):
    """A 400 about the request's content. A ``validation_error`` always carries ``details``
    (every violation, the first one being ``field``): one entry when the raiser gave none."""

    status, code = 400, "validation_error"

    def __init__(self, message: str, **kwargs: Unpack[ErrorOptions]) -> None:
        super().__init__(message, **kwargs)
        if not self.details and self.code == "validation_error":
            self.details = [{"field": self.field, "message": self.message}]


class InvalidJson(ApiError):
    status, code = 400, "invalid_json"


class Unauthorized(ApiError):
    """A 401 naming the credential (``Authorization``, ``stager-api-key``, the console
    cookie). ``missing``: the credential was absent, which is also a spec violation (the
    journal records it so); ``sent_key``: the key as sent when it was refused (unknown,
    malformed, revoked), journaled so that ``?api_key=`` finds refused requests too."""

    status, code = 401, "unauthorized"

    def __init__(
        self, message: str, *, field: str | list[str] | None = "Authorization",
        missing: bool = False, sent_key: str | None = None, code: str | None = None,
        headers: dict[str, str] | None = None, status: int | None = None,
    ) -> None:
        super().__init__(message, field=field, code=code, headers=headers, status=status)
        self.missing = missing
        self.sent_key = sent_key


def unauthorized(
    message: str, *, field: str | None = "Authorization", missing: bool = False,
    code: str = "unauthorized", sent_key: str | None = None,
) -> Unauthorized:
    """A generic 401 (see ``Unauthorized``)."""
    return Unauthorized(message, field=field, code=code, missing=missing, sent_key=sent_key)


class PaymentRequired(ApiError):
    status, code = 402, "insufficient_credits"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"


class Conflict(ApiError):
    status, code = 409, "conflict"


def account_exists(api_key: str) -> Conflict:
    """``POST /__mock/accounts`` for a key that already has an account (never replaced)."""
    return Conflict(
        f"the key {api_key!r} already has an account: change it with "
        "PATCH /__mock/accounts/{api_key}, or reset it first (POST /__mock/reset)",
        field="api_key", code="account_exists",
    )


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(ApiError):
    status, code = 422, "unprocessable"


# Injected by a fault rule or the rate limit (``mock_server/faults``): never raised by an
# API's own logic. The vendors' references state no such codes: each is this mock's choice.


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class InternalServerError(ApiError):
    status, code = 500, "internal_error"


class BadGateway(ApiError):
    status, code = 502, "bad_gateway"


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"


class GatewayTimeout(ApiError):
    status, code = 504, "gateway_timeout"


ErrorShape = Callable[[ApiError], JsonObject]


def stagepro_shape(err: ApiError) -> JsonObject:
    """StagePro and the control plane: ``{"error": {"code", "message", "field"}}``."""
    return {"error": err.payload()}


def stagerai_shape(err: ApiError) -> JsonObject:
    """Stager AI: ``{"success": false, "error": {"code", "message", "field"}}``."""
    return {"success": False, "error": err.payload()}
