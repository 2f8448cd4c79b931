"""StagePro's error codes, each written once: one class per code the API raises, ``status``
and ``code`` set here as class attributes (the bases are in ``mock_server/errors.py``). The
codes are those of the table in ``openapi/stagepro.yaml`` (``info.description``, "Errors");
``tests/spec/test_error_codes.py`` keeps the two in step. Generic codes (``validation_error``,
``not_found``, ``unauthorized``...) are raised as the base classes themselves."""

from __future__ import annotations

from ..errors import (
    Conflict,
    Forbidden,
    PaymentRequired,
    Unauthorized,
    Unprocessable,
    ValidationFailed,
)

# 400 ---------------------------------------------------------------------------------------


class InvalidImage(ValidationFailed):
    """400: the uploaded file is not a decodable image, or is truncated or corrupt."""

    code = "invalid_image"


class UnsupportedFormat(ValidationFailed):
    """400: the uploaded file is an image, but not JPEG, PNG or WebP."""

    code = "unsupported_format"


# 401 ---------------------------------------------------------------------------------------


class InvalidApiKey(Unauthorized):
    """401: the bearer key is malformed, or an unknown ``sk_live_`` key."""

    code = "invalid_api_key"


class RevokedApiKey(Unauthorized):
    """401: the bearer key has been revoked."""

    code = "revoked_api_key"


class InvalidSession(Unauthorized):
    """401: the console session cookie is unknown, or its key has been revoked."""

    code = "invalid_session"


# 402 / 403 ---------------------------------------------------------------------------------


class InsufficientCredits(PaymentRequired):
    """402: a live key's balance cannot cover the job, batch, workflow or render."""

    code = "insufficient_credits"


class StorageLimitExceeded(Forbidden):
    """403: the plan's storage is full, or this upload or output would exceed it."""

    code = "storage_limit_exceeded"


# 409 ---------------------------------------------------------------------------------------


class JobNotCompleted(Conflict):
    """409: a regeneration of a job that is not ``completed``."""

    code = "job_not_completed"


class NotReadyToRender(Conflict):
    """409: an agent session rendered before it is ``readyToRender``."""

    code = "not_ready_to_render"


class IdempotencyConflict(Conflict):
    """409: an ``idempotency_key`` already used with a different request body."""

    code = "idempotency_conflict"


# 422 ---------------------------------------------------------------------------------------


class UploadNotFound(Unprocessable):
    """422: a job input names an ``upload_id`` this account does not have."""

    code = "upload_not_found"


class UploadExpired(Unprocessable):
    """422: a job input names an upload past its 24 h lifetime."""

    code = "upload_expired"


class ImageTooLarge(Unprocessable):
    """422: the uploaded image has too many pixels (or is a decompression bomb)."""

    code = "image_too_large"


class SessionExpired(Unprocessable):
    """422: an agent session used after its 24 h lifetime."""

    code = "session_expired"


#: ``images.decode.ImageDecodeError.code`` → the 400 an upload answers with it (the other
#: decode code, ``image_too_large``, is ``ImageTooLarge``'s 422).
NOT_AN_IMAGE: dict[str, type[ValidationFailed]] = {
    cls.code: cls for cls in (InvalidImage, UnsupportedFormat)
}
