"""HAR 1.2 both ways: the traffic users already have (browser devtools, Playwright's
``record_har_path``, mitmproxy's ``hardump``, Charles, Proxyman...) read by ``stagemock replay``
and ``stagemock drift``, and ``--record FILE.har`` (``proxy`` and ``serve``) written as HAR.

Reading (``load``) turns a HAR file into the recording's in-memory header and exchanges
(``record``), so replay and drift treat both formats alike:

- entries in ``startedDateTime`` order (ties keep the file's order);
- bodies inline as text, or base64 (``"encoding": "base64"``; a request's ``postData`` may say
  so with ``encoding`` or ``_encoding``), or beside the file (Playwright's ``_file``);
- each entry is matched against both specs (StagePro under ``/api/v1``, Stager AI at the root
  and its storage under ``/gcs/`` or on storage.googleapis.com); entries of other hosts and
  entries no operation matches (the page, scripts, images, preflights) are skipped, and the
  header says how many (``"skipped"``);
- ``_``-prefixed custom fields are kept under each exchange's ``"har"``; stagemock's own
  (``_stagemock``: its sequence number, API, operation, verdicts, error) are used as such.

Writing: ``har_record`` (``HarRecorder``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from ..jsontypes import Json, JsonObject
from ..media import media_type, media_type_of
from ..mounts import BASE_PATHS
from ..resources import data_dir
from ..spec.loader import load_spec
from ..spec.routing import SpecRoutes
from .flow import TEXT_TYPES
from .routes import ByMethod, find, spec_routes

#: Path parameters that take slashes (a GCS object name).
CATCH_ALL = {"stagerai": frozenset({"object"})}
#: Hosts serving Stager AI's signed uploads and results: their paths have no ``/gcs`` prefix.
GCS_HOSTS = frozenset({"storage.googleapis.com"})


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


class Operations:
    """Which API and operation a HAR entry's method and path are, from both specs."""

    def __init__(self, bases: dict[str, list[str]]) -> None:
        #: each API under each base path, matched by the mock's router (``routes``)
        self.routes: list[tuple[str, str, SpecRoutes[ByMethod[str]]]] = []
        #: The header an operation's credential goes in, and a stand-in for a HAR exported
        #: without it (Chrome's sanitized export drops Authorization and cookies).
        self.credentials: dict[str, list[str]] = {}
        for api, prefixes in bases.items():
            for base in dict.fromkeys(prefixes):
                spec = load_spec(api, data_dir("openapi") / f"{api}.yaml", base,
                                 CATCH_ALL.get(api, frozenset()))
                schemes = spec.document.get("components", {}).get("securitySchemes", {})
                for op in spec.operations:
                    for name in (op.security or ({},))[0]:
                        self.credentials[op.operation_id] = _credential(schemes.get(name, {}))
                self.routes.append((api, base, spec_routes(spec, lambda op: op.operation_id)))

    def match(self, method: str, host: str, path: str) -> tuple[str, str, str] | None:
        """(api, base path, operationId), or ``None``."""
        if host.split(":", 1)[0].lower() in GCS_HOSTS:
            path = "/gcs" + path  # the mock's path of the storage operation
        for api, base, routes in self.routes:
            found = find(routes, method, path)[0]
            if found is not None:
                return api, base, found
        return None


def _credential(scheme: JsonObject) -> list[str]:
    removed = "<removed from the HAR>"
    if scheme.get("type") == "http":
        return ["Authorization", f"{str(scheme.get('scheme', 'bearer')).title()} {removed}"]
    if scheme.get("in") == "cookie":
        return ["Cookie", f"{scheme.get('name')}={removed}"]
    return [str(scheme.get("name")), removed]


def _bytes(part: JsonObject, folder: Path) -> bytes | None:
    """A HAR ``content`` or ``postData`` as bytes (``None``: the file holds none)."""
    if part.get("_file"):  # Playwright's attach mode: the body beside the HAR
        return (folder / str(part["_file"])).read_bytes()
    text = part.get("text")
    if text is None:
        params = part.get("params") or []
        if params and "urlencoded" in str(part.get("mimeType", "")):
            return urlencode([(p.get("name", ""), p.get("value", "")) for p in params]).encode()
        return None
    encoding = part.get("encoding") or part.get("_encoding")
    return base64.b64decode(text) if encoding == "base64" else str(text).encode()


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def body_of(raw: bytes | None, media: str) -> JsonObject | None:
    """Bytes as a recorded body: JSON parsed, text as text, anything else base64."""
    if not raw:
        return None
    out: JsonObject = {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    if media:
        out["content_type"] = media
    textual = _is_json(media) or not media or media.startswith(TEXT_TYPES)
    text = _utf8(raw) if textual else None
    if text is not None and (_is_json(media) or not media):
        with contextlib.suppress(ValueError):
            out["json"] = json.loads(text)
            return out
    if text is not None:
        out["text"] = text
    else:
        out["base64"] = base64.b64encode(raw).decode()
    return out


def _extras(part: Json) -> JsonObject:
    return ({k: v for k, v in part.items() if k.startswith("_") and k != "_stagemock"}
            if isinstance(part, dict) else {})


def _when(entry: JsonObject) -> float:
    try:
        return datetime.fromisoformat(str(entry.get("startedDateTime"))).timestamp()
    except ValueError:
        return 0.0


def _headers(part: JsonObject) -> list[list[str]]:
    return [[str(h.get("name", "")), str(h.get("value", ""))] for h in part.get("headers") or []
            if not str(h.get("name", "")).startswith(":")]  # HTTP/2 pseudo-headers


def load(path: str | Path) -> tuple[JsonObject, list[JsonObject]]:
    """A HAR file as a recording's header and exchanges (``record.load``'s answer)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise ValueError(f"{path} is not a HAR file (not JSON: {exc})") from None
    log = doc.get("log") if isinstance(doc, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise ValueError(f"{path} is not a HAR file (no log.entries)")
    found_own = log.get("_stagemock")
    mine: JsonObject = found_own if isinstance(found_own, dict) else {}
    # where each API's paths start on the vendor and on ``stagemock serve`` (the same)
    bases = {api: [base] for api, base in BASE_PATHS.items()}
    if mine.get("api") in bases and mine.get("base_path") is not None:
        bases[mine["api"]].insert(0, str(mine["base_path"]))
    operations = Operations(bases)
    ordered = sorted(enumerate(log["entries"]),
                     key=lambda p: (_when(p[1]), (p[1].get("_stagemock") or {}).get("seq", 0),
                                    p[0]))
    matched: list[tuple[JsonObject, str, str | None, str, str | None]] = []
    for _, entry in ordered:
        request = entry.get("request") or {}
        parts = urlsplit(str(request.get("url", "")))
        method = str(request.get("method", "GET")).upper()
        own = entry.get("_stagemock") or {}
        found = operations.match(method, parts.netloc, parts.path)
        api, base, op = found if found else (own.get("api"), None, own.get("operation_id"))
        matched.append((entry, parts.netloc, api, base or "", op))
    # the API's hosts: where an entry other than a storage one matched an operation
    api_hosts = {host for _, host, api, _, _ in matched
                 if api is not None and host.split(":", 1)[0].lower() not in GCS_HOSTS}
    exchanges: list[JsonObject] = []
    other_hosts: Counter[str] = Counter()
    unmatched = stripped = 0
    used_bases: dict[str, Counter[str]] = {}
    for entry, host, api, base, op in matched:
        gcs = host.split(":", 1)[0].lower() in GCS_HOSTS and api is not None
        if host not in api_hosts and not gcs:
            other_hosts[host] += 1
            continue
        if api is None:
            unmatched += 1
            continue
        used_bases.setdefault(api, Counter())[base] += 1
        exchanges.append(_exchange(entry, len(exchanges) + 1, api, op, path.parent))
        needed = operations.credentials.get(op or "")
        sent = {k.lower() for k, _ in exchanges[-1]["request"]["headers"]}
        if needed and needed[0].lower() not in sent:
            exchanges[-1]["request"]["headers"].append(needed)
            stripped += 1
    apis = sorted(used_bases)
    api = apis[0] if len(apis) == 1 else str(mine.get("api") or "both")
    if api not in BASE_PATHS:
        api = "both"
    skipped = []
    if other_hosts:
        skipped.append(f"{sum(other_hosts.values())} HAR entries of other hosts than the "
                       f"API's ({', '.join(sorted(other_hosts))})")
    if unmatched:
        skipped.append(f"{unmatched} HAR entries no operation of the spec matches (pages, "
                       "static files, preflights)")
    if stripped:
        # Read after "skipped " like the notes above, and true whether or not they exist.
        skipped.append(f"none of the {stripped} HAR entries without a credential (a "
                       "sanitized export): they are sent with the replay's key")
    host = next(iter(sorted(api_hosts)), "")
    header: JsonObject = {
        "format": "har", "version": str(log.get("version", "")), "api": api,
        "upstream": mine.get("upstream") or (f"http://{host}" if host else ""),
        "base_path": (used_bases[api].most_common(1)[0][0] if api in used_bases else ""),
        "created": mine.get("created"), "creator": log.get("creator"),
        "skipped": skipped, "har": _extras(log),
    }
    return header, exchanges


def _exchange(entry: JsonObject, seq: int, api: str, op: str | None,
              folder: Path) -> JsonObject:
    request = entry.get("request") or {}
    response = entry.get("response") or {}
    own = entry.get("_stagemock") or {}
    parts = urlsplit(str(request.get("url", "")))
    req_headers = _headers(request)
    post = request.get("postData")
    req_media = ((media_type(str(post.get("mimeType", ""))) if isinstance(post, dict) else "")
                 or media_type_of(req_headers))
    status = int(response.get("status") or 0)
    answer: JsonObject | None = None
    if status > 0:
        res_headers = _headers(response)
        content = response.get("content") or {}
        media = media_type(str(content.get("mimeType", ""))) or media_type_of(res_headers)
        answer = {"status": status, "headers": res_headers,
                  "body": body_of(_bytes(content, folder), media)}
    har = {k: v for k, v in (("entry", _extras(entry)), ("request", _extras(request)),
                             ("response", _extras(response))) if v}
    timings = entry.get("timings") or {}
    wait = timings.get("wait")
    error = own.get("error")
    if answer is None and not error:
        error = entry.get("_error") or "the HAR entry has no response (status 0)"
    return {
        "seq": own.get("seq", seq), "time": entry.get("startedDateTime"),
        "duration_ms": entry.get("time"),
        "first_byte_ms": own.get("first_byte_ms",
                                 wait if isinstance(wait, int | float) and wait >= 0 else None),
        "operation_id": op, "api": api,
        "request": {"method": str(request.get("method", "GET")).upper(), "path": parts.path,
                    "query": parts.query, "headers": req_headers,
                    "body": body_of(_bytes(post, folder), req_media)
                    if isinstance(post, dict) else None},
        "response": answer,
        "error": error,
        "verdicts": own.get("verdicts") or {},
        "har": har,
    }

