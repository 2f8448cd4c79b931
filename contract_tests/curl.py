"""A ``curl`` command for every problem ``stagemock check`` reports, and the operation a
request belongs to.

Schemathesis's NDJSON events carry each failing case's request (method, URI, headers, body)
with credentials filtered; the property suites record their last request (an
``httpx.Request``). Both become one shell line, written by ``mock_server.curl`` (the
writer replay and drift use too). A test key (``sk_test_``/``stager_test_``) is
printed as sent; any other credential as ``$STAGEMOCK_API_KEY`` / ``$STAGEMOCK_CONSOLE_SESSION``,
so a live key never lands in a CI log.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mock_server.curl import Value, Var, curl
from mock_server.jsontypes import JsonObject

if TYPE_CHECKING:
    import httpx

#: Headers that carry credentials, and the variable printed instead of a non-test value.
SECRET_HEADERS = {
    "authorization": "STAGEMOCK_API_KEY",
    "stager-api-key": "STAGEMOCK_API_KEY",
    "cookie": "STAGEMOCK_CONSOLE_SESSION",
}
TEST_KEY = re.compile(r"(sk_test_|stager_test_)[A-Za-z0-9_]*")
SKIP = {"host", "content-length", "accept", "accept-encoding", "connection", "user-agent",
        "x-schemathesis-testcaseid"}
MAX_BODY = 2000
#: Checks whose failing request carries a credential schemathesis made up on purpose (it
#: filters every credential in its events): putting the configured key back would
#: reproduce a different request, so the curl shows an invalid one instead.
INVALID_CREDENTIAL_CHECKS = frozenset({"ignored_auth"})
INVALID_CREDENTIAL = "not-a-valid-key"


class LastRequest:
    """The last request a property test sent to the API."""

    def __init__(self) -> None:
        self._request: httpx.Request | None = None

    def set(self, request: httpx.Request) -> None:
        self._request = request

    def get(self) -> httpx.Request | None:
        return self._request

    def clear(self) -> None:
        self._request = None


def _header(name: str, value: str, credentials: dict[str, str] | None = None) -> Value:
    """What the line shows of a header: its value, or a credential's variable
    (``SECRET_HEADERS``) where the value is filtered or not a test key."""
    var = SECRET_HEADERS.get(name.lower())
    if var is None:
        return value
    if value == "[Filtered]" and credentials and name.lower() in credentials:
        value = credentials[name.lower()]
    if value.endswith(INVALID_CREDENTIAL):  # made up by the check: nothing secret
        return value
    if value == "[Filtered]" or (value and not TEST_KEY.search(value)):
        prefix = {"authorization": "Bearer ", "cookie": "stagepro_session="}.get(name.lower(), "")
        return (prefix, Var(var))
    return value


def command(method: str, url: str, headers: dict[str, str], body: bytes | None,
            credentials: dict[str, str] | None = None) -> str:
    """The request as one curl line (``mock_server.curl``): the client's own headers
    (``SKIP``) left out, a long body cut at ``MAX_BODY`` characters."""
    shown = [(name, _header(name, value, credentials)) for name, value in headers.items()
             if name.lower() not in SKIP]
    return curl(method.upper(), url, shown, body, text_flag="--data-binary", limit=MAX_BODY,
                binary=f"@<{len(body or b'')} bytes of binary body>")


def as_curl(request: httpx.Request) -> str:
    """An ``httpx.Request`` as one curl line."""
    try:
        body = request.content
    except Exception:  # a streamed body that was not read
        body = None
    return command(request.method, str(request.url), dict(request.headers), body)


def from_interaction(
    request: JsonObject, credentials: dict[str, str] | None = None, check: str = ""
) -> str:
    """A request as schemathesis's NDJSON records it (``interactions[id].request``). The
    filtered credentials become the configured ones, except for a check that sends an
    invalid credential on purpose (``INVALID_CREDENTIAL_CHECKS``)."""
    headers: dict[str, str] = {}
    invalid = check in INVALID_CREDENTIAL_CHECKS
    for name, value in (request.get("headers") or {}).items():
        headers[name] = value[0] if isinstance(value, list) and value else str(value)
        if invalid and headers[name] == "[Filtered]" and name.lower() in SECRET_HEADERS:
            prefix = {"authorization": "Bearer ", "cookie": "stagepro_session="}.get(
                name.lower(), "")
            headers[name] = prefix + INVALID_CREDENTIAL
    raw = request.get("body")
    body: bytes | None = None
    if isinstance(raw, dict) and "$base64" in raw:
        body = base64.b64decode(raw["$base64"])
    elif isinstance(raw, str):
        body = raw.encode()
    return command(str(request.get("method", "GET")), str(request.get("uri", "")), headers, body,
                   credentials)


@lru_cache(maxsize=4)
def _templates(api: str) -> list[tuple[re.Pattern[str], str, str, str]]:
    from mock_server.spec.loader import read_document

    from .target import SPECS

    doc = read_document(SPECS[api])
    out = []
    loose = []
    for path, item in doc["paths"].items():
        exact = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
        pattern = re.compile("^" + exact + "$")
        # a path ending in a parameter also matches a value with slashes in it (a GCS object
        # name), after every exact match was tried
        tail = re.compile("^" + exact[: -len("[^/]+")] + ".+$") if path.endswith("}") else None
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                out.append((pattern, method.upper(), path, op["operationId"]))
                if tail is not None:
                    loose.append((tail, method.upper(), path, op["operationId"]))
    # literal paths before templated ones (``/jobs/batch`` before ``/jobs/{id}``)
    out.sort(key=lambda t: t[2].count("{"))
    return out + loose


def operation_of(api: str, method: str, path: str, base_url: str) -> str:
    """'getJob (GET /jobs/{id})' for ``GET /api/v1/jobs/job_1`` under base ``…/api/v1``."""
    base_path = urlsplit(base_url).path.rstrip("/")
    if base_path and path.startswith(base_path):
        path = path[len(base_path):] or "/"
    for pattern, meth, template, op_id in _templates(api):
        if meth == method.upper() and pattern.match(path):
            return f"{op_id} ({meth} {template})"
    return f"{method.upper()} {path}"
