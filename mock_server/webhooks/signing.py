"""``X-StagePro-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>``, one
``v1=`` per active secret during a rotation. ``verify_signature`` is for integrators."""

from __future__ import annotations

import hashlib
import hmac
import time


class SignatureVerificationError(Exception):
    """The webhook's signature does not verify: the message says why."""


def compute(secret: str, timestamp: int, payload: bytes) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign_header(payload: bytes, secrets: list[str], timestamp: int) -> str:
    return ",".join([f"t={timestamp}"] + [f"v1={compute(s, timestamp, payload)}" for s in secrets])


def verify_signature(
    payload: bytes | str,
    header: str,
    secret: str,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """Check a StagePro webhook: returns True, or raises ``SignatureVerificationError`` saying
    why (malformed header, no matching v1 signature, timestamp outside ``tolerance`` seconds).
    ``payload`` is the raw body, as bytes or as the text a framework decoded (UTF-8);
    ``now`` defaults to ``time.time()``: pass the mock's clock when it is not the wall's.

        from mock_server import verify_signature
        verify_signature(request_body, headers["X-StagePro-Signature"], "whsec_...")
    """
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureVerificationError("malformed X-StagePro-Signature header")
    # Bytes: ``compare_digest`` raises TypeError on a ``str`` holding non-ASCII characters; a
    # forged header like that is a signature that does not match, not a crash.
    expected = compute(secret, timestamp, payload).encode()
    if not any(
        hmac.compare_digest(expected, s.encode("utf-8", "surrogatepass")) for s in signatures
    ):
        raise SignatureVerificationError("no v1 signature matches this secret and payload")
    current = time.time() if now is None else now
    if tolerance and abs(current - timestamp) > tolerance:
        raise SignatureVerificationError(
            f"timestamp {timestamp} is outside the tolerance of {tolerance} s"
        )
    return True
