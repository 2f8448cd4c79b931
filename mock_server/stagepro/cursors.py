"""The two digests StagePro makes of requests: the opaque ``next_cursor`` of ``GET /jobs``
(the position, tied by an HMAC to the account and the filters of the listing that issued it)
and the fingerprint of an idempotent create (its operation and body). Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac

import orjson

from ..errors import ValidationFailed
from ..jsontypes import Json


def fingerprint(operation: str, body: Json) -> str:
    """The request an idempotency key was first used with: its operation and JSON body."""
    raw = orjson.dumps({"op": operation, "body": body}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()


def _cursor_mac(secret: bytes, key: str, filters: tuple[str | None, ...], seq: int) -> str:
    raw = orjson.dumps({"key": key, "filters": list(filters), "after": seq})
    return hmac.new(secret, raw, hashlib.sha256).hexdigest()[:24]


def encode_cursor(secret: bytes, key: str, filters: tuple[str | None, ...], seq: int) -> str:
    """An opaque cursor: the position, tied by an HMAC (per-server secret) to the account and
    the filters of the listing that issued it."""
    pos = base64.urlsafe_b64encode(orjson.dumps({"after": seq})).decode().rstrip("=")
    return f"{pos}.{_cursor_mac(secret, key, filters, seq)}"


def decode_cursor(secret: bytes, key: str, filters: tuple[str | None, ...], cursor: str) -> int:
    bad = ValidationFailed(
        "`cursor` is not a cursor this API issued for this key and these filters: pass "
        "next_cursor from the previous page, with the same listing_id and status",
        field="cursor",
    )
    try:
        pos, mac = cursor.split(".")
        padded = pos + "=" * (-len(pos) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        seq = data["after"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise bad from None
    # Bytes: ``compare_digest`` raises TypeError on a non-ASCII ``str`` (the cursor is the
    # client's text), and an edited cursor is a 400, never a 500.
    expected = _cursor_mac(secret, key, filters, seq).encode()
    if not hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), expected):
        raise bad
    return seq
