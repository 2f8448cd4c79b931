"""Secrets never reach the proxy's journal or a recording: API keys (StagePro bearer keys,
Stager AI's ``stager-api-key``), console session cookies and tokens, webhook secrets, GCS
URL signatures.

A key keeps its prefix and a fingerprint of the whole key: ``.`` and the first six hex digits
of its SHA-256 (``sk_test_.3f9a1c``). Two keys stay distinct however short or alike they are
(``sk_test_one`` and ``sk_test_two`` once both became ``sk_test_<redacted>``), the same key
always reads the same in every journal and recording, and the form is plain ASCII that no
shell treats specially (bash, zsh even with ``extendedglob``, fish, PowerShell: not ``~``,
``<``, ``…``), so it is typed as is (``replay --key-map sk_test_.3f9a1c=KEY``). Six hex
digits never give the key back: they only tell keys apart. The ``.`` keeps a masked key from
looking like, or being masked again as, a real one (key characters are ``[A-Za-z0-9_]``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from ..jsontypes import Json

REDACTED = "<redacted>"
#: Request or response headers whose whole value is a secret (or carries one).
SECRET_HEADERS = frozenset({"authorization", "stager-api-key", "cookie", "set-cookie",
                            "proxy-authorization", "x-stagepro-signature"})
#: JSON fields whose value is a secret whatever it looks like.
SECRET_FIELDS = frozenset({"secret", "token", "api_key", "key", "cookie", "password"})

_PATTERNS = (
    (re.compile(r"\b(sk_(?:test|live)_)([A-Za-z0-9_]+)"), "key"),
    (re.compile(r"\b(stager_(?:test_)?)([A-Za-z0-9_]+)"), "key"),
    (re.compile(r"\b(whsec_)([A-Za-z0-9]+)"), "all"),
    (re.compile(r"\b(cs_)([0-9a-f]{16,})"), "all"),
    (re.compile(r"((?:X-Goog-Signature|x-goog-signature)=)([0-9A-Fa-f]+)"), "all"),
)


#: Hex digits of the fingerprint: 16.7 million values, so the keys of one recording (a few,
#: rarely hundreds) differ; short enough to read out and type.
FINGERPRINT_DIGITS = 6


def fingerprint(key: str) -> str:
    """``.`` and the first hex digits of the SHA-256 of the whole key (stable, ASCII)."""
    return "." + hashlib.sha256(key.encode()).hexdigest()[:FINGERPRINT_DIGITS]


def mask_key(value: str) -> str:
    """``sk_test_abcdef123456`` → ``sk_test_.<6 hex>`` (the prefix and a fingerprint of the
    whole key); a webhook secret or a signature → its prefix and ``<redacted>``; anything
    else → ``<redacted>``."""
    stripped = value.strip()
    for pattern, how in _PATTERNS:
        m = pattern.fullmatch(stripped)
        if m is not None:
            if how == "key":
                return f"{m.group(1)}{fingerprint(stripped)}"
            return f"{m.group(1)}{REDACTED}"
    return REDACTED


def text(value: str) -> str:
    """Every secret inside a string (a URL, a message, a body) masked."""
    for pattern, how in _PATTERNS:
        value = pattern.sub(_masker(how), value)
    return value


def _masker(how: str) -> Callable[[re.Match[str]], str]:
    def mask(m: re.Match[str]) -> str:
        return mask_key(m.group(0)) if how == "key" else f"{m.group(1)}{REDACTED}"

    return mask


def header(name: str, value: str) -> str:
    lower = name.lower()
    if lower in ("authorization", "proxy-authorization"):
        scheme, _, credential = value.partition(" ")
        return f"{scheme} {mask_key(credential)}" if credential else REDACTED
    if lower == "stager-api-key":
        return mask_key(value)
    if lower in ("cookie", "set-cookie"):
        return re.sub(r"=([^;,\s]+)", lambda m: "=" + REDACTED, value)
    if lower == "x-stagepro-signature":
        return re.sub(r"v1=[0-9a-f]+", "v1=" + REDACTED, value)
    return text(value)


def headers(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, header(k, v)) for k, v in items]


def json_value(value: Json, key: str | None = None) -> Json:
    if isinstance(value, dict):
        return {k: json_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, str):
        if key is not None and key.lower() in SECRET_FIELDS:
            return mask_key(value)
        return text(value)
    return value
