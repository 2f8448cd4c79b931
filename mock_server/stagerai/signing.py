"""Google Cloud Storage V4 signed URLs, emulated: the same query parameters, canonical request
and string-to-sign as GCS (HMAC-SHA256 flavour), keyed with a secret only the mock knows."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from ..limits import SIGNED_URL_SECONDS

ALGORITHM = "GOOG4-HMAC-SHA256"
SERVICE_ACCOUNT = "stagemock@stager-ai.iam.gserviceaccount.com"
DEFAULT_EXPIRES = SIGNED_URL_SECONDS
#: The host every canonical request names, whatever Host the URL is issued or used through:
#: GCS signs for its one fixed host (``storage.googleapis.com``); the mock answers on
#: ``localhost``, ``127.0.0.1``, a ``--public-url`` or a proxy alike, so the signature covers
#: the method, the path and the query, never the Host header of either request.
SIGNED_HOST = "storage.googleapis.com"
DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")
REQUIRED = (
    "X-Goog-Algorithm",
    "X-Goog-Credential",
    "X-Goog-Date",
    "X-Goog-Expires",
    "X-Goog-SignedHeaders",
    "X-Goog-Signature",
)


class SignedUrlError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y%m%dT%H%M%SZ")


def _parse_stamp(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()


def _canonical_query(params: dict[str, str]) -> str:
    return "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(params.items())
        if k != "X-Goog-Signature"
    )


def _string_to_sign(
    method: str, path: str, params: dict[str, str], host: str = SIGNED_HOST
) -> str:
    canonical = "\n".join(
        [
            method,
            quote(path, safe="/-_.~"),
            _canonical_query(params),
            f"host:{host}\n",
            "host",
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = (
        params["X-Goog-Credential"].split("/", 1)[1] if "/" in params["X-Goog-Credential"] else ""
    )
    return "\n".join(
        [ALGORITHM, params["X-Goog-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )


@dataclass(frozen=True)
class Signer:
    secret: bytes

    def sign(
        self, method: str, path: str, now: float, expires: int = DEFAULT_EXPIRES
    ) -> dict[str, str]:
        stamp = _stamp(now)
        params = {
            "X-Goog-Algorithm": ALGORITHM,
            "X-Goog-Credential": f"{SERVICE_ACCOUNT}/{stamp[:8]}/auto/storage/goog4_request",
            "X-Goog-Date": stamp,
            "X-Goog-Expires": str(expires),
            "X-Goog-SignedHeaders": "host",
        }
        sts = _string_to_sign(method, path, params)
        params["X-Goog-Signature"] = hmac.new(self.secret, sts.encode(), hashlib.sha256).hexdigest()
        return params

    def verify(self, method: str, path: str, params: dict[str, str], now: float) -> None:
        """Raise ``SignedUrlError`` as GCS would: malformed → 400, tampered → 403,
        expired → 400 ExpiredToken."""
        missing = [k for k in REQUIRED if not params.get(k)]
        if missing:
            raise SignedUrlError(
                400,
                "AuthorizationQueryParametersError",
                f"Query-string authentication requires {', '.join(missing)}.",
            )
        if params["X-Goog-Algorithm"] != ALGORITHM:
            raise SignedUrlError(
                400, "InvalidArgument", f"Unsupported algorithm {params['X-Goog-Algorithm']!r}."
            )
        if not DATE_RE.match(params["X-Goog-Date"]) or not params["X-Goog-Expires"].isdigit():
            raise SignedUrlError(
                400,
                "AuthorizationQueryParametersError",
                "X-Goog-Date or X-Goog-Expires is malformed.",
            )
        sts = _string_to_sign(method, path, params)
        expected = hmac.new(self.secret, sts.encode(), hashlib.sha256).hexdigest()
        # Bytes on both sides: ``compare_digest`` refuses a ``str`` holding non-ASCII
        # characters (TypeError, a 500), and a signature like that simply does not match.
        presented = params["X-Goog-Signature"].lower().encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(expected.encode(), presented):
            raise SignedUrlError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your Google secret key and signing method.",
            )
        if now > _parse_stamp(params["X-Goog-Date"]) + int(params["X-Goog-Expires"]):
            raise SignedUrlError(
                400, "ExpiredToken", "Invalid argument: the signed URL has expired."
            )


def xml_error(code: str, message: str, details: str = "") -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?><Error>"
        f"<Code>{code}</Code><Message>{message}</Message>"
        + (f"<Details>{details}</Details>" if details else "")
        + "</Error>"
    ).encode()
