"""Magic inputs (like Stripe's test cards) and the vendor's app-only tools: decided from the
request alone, before anything is created."""

from __future__ import annotations

from urllib.parse import urlsplit

from .catalog import APP_ONLY_TOOLS


def fail_code_of(name: str | None) -> str | None:
    """Magic input: a last path segment starting with ``fail-`` fails the job with the rest
    of the segment (without extension) as ``error.code``."""
    if not name or "fail-" not in name:  # the common case, without parsing a URL
        return None
    segment = urlsplit(name).path.rsplit("/", 1)[-1] if "://" in name else name.rsplit("/", 1)[-1]
    if not segment.startswith("fail-"):
        return None
    code = segment[len("fail-"):].rsplit(".", 1)[0]
    return code or "processing_failed"


def app_only_message(value: object) -> str | None:
    if isinstance(value, str) and value in APP_ONLY_TOOLS:
        return (f"{APP_ONLY_TOOLS[value]} ({value}) is app-only (interactive UI) and is not "
                "available through the API")
    return None
