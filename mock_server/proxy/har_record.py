"""``--record FILE.har`` (``stagemock proxy`` and ``stagemock serve``): each exchange written as
a HAR 1.2 entry, so the recording opens in browser devtools, Optic, WireMock... and ``replay``
and ``drift`` read it back (``har.load``).

The file is valid HAR after every exchange: the entries array is closed after each one and
reopened for the next by a seek back over the closing bytes, so a proxy stopped at any moment
leaves a file HAR tools open. Bodies are inline (HAR has no side files): JSON and text
redacted (``redact``), anything else base64. stagemock's own fields (sequence number, API,
operation, verdicts, error, the size and sha256 of each body as relayed) go under
``_stagemock``, as HAR asks of custom fields (a leading ``_``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import tempfile
import weakref
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from .._version import __version__
from ..jsontypes import JsonObject
from ..media import media_type_of
from . import redact
from .flow import TEXT_TYPES, Exchange, Tap
from .har import _is_json, _utf8
from .record import Recorder

HAR_VERSION = "1.2"
#: The end of a HAR file as ``HarRecorder`` writes it: the entries array, ``log``, the root.
TAIL = b"\n]}}\n"
PHRASES = {s.value: s.phrase for s in HTTPStatus}


def _millis(ts: float) -> str:
    """Unix seconds → ISO 8601 UTC with milliseconds (HAR's ``startedDateTime``)."""
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def content_of(body: JsonObject | None, media: str) -> JsonObject:
    """A recorded body as HAR's ``content`` (or ``postData``): text, or base64."""
    out: JsonObject = {"size": 0 if body is None else body.get("size", 0),
                       "mimeType": body.get("content_type", media) if body else media}
    if body is None:
        return out
    if "json" in body:
        out["text"] = json.dumps(body["json"], separators=(",", ":"), ensure_ascii=False)
    elif "text" in body:
        out["text"] = body["text"]
    elif "base64" in body:
        out["text"], out["encoding"] = body["base64"], "base64"
    return out


def _pairs(headers: list[list[str]]) -> list[JsonObject]:
    return [{"name": k, "value": v} for k, v in headers]

def entry_of(line: JsonObject, origin: str | None, started: str) -> JsonObject:
    """One exchange (as ``Recorder.exchange`` builds it) as a HAR 1.2 entry; ``origin`` is
    the API's scheme and host (``None``: the request's ``Host``)."""
    req = line["request"]
    if origin is None:
        host = next((v for k, v in req["headers"] if k.lower() == "host"), "127.0.0.1")
        origin = f"http://{host}"
    query = req.get("query") or ""
    request: JsonObject = {
        "method": req["method"], "url": origin + req["path"] + (f"?{query}" if query else ""),
        "httpVersion": "HTTP/1.1", "cookies": [], "headers": _pairs(req["headers"]),
        "queryString": [{"name": k, "value": v}
                        for k, v in parse_qsl(query, keep_blank_values=True)],
        "headersSize": -1, "bodySize": (req["body"] or {}).get("size", 0),
    }
    extras: JsonObject = {"seq": line["seq"], "api": line.get("api"),
                          "operation_id": line.get("operation_id"),
                          "first_byte_ms": line.get("first_byte_ms"),
                          "error": line.get("error"), "verdicts": line.get("verdicts")}
    if req["body"] is not None:
        post = content_of(req["body"], media_type_of(req["headers"]))
        request["postData"] = {"mimeType": post["mimeType"], "text": post.get("text", ""),
                               "params": []}
        if post.get("encoding"):
            request["postData"]["_encoding"] = post["encoding"]
        extras["request_body"] = {"size": req["body"]["size"], "sha256": req["body"]["sha256"]}
    resp = line.get("response")
    if resp is None:  # no answer (the upstream failed): HAR's convention is status 0
        response: JsonObject = {"status": 0, "statusText": "", "httpVersion": "HTTP/1.1",
                                "cookies": [], "headers": [],
                                "content": {"size": 0, "mimeType": "x-unknown"},
                                "redirectURL": "", "headersSize": -1, "bodySize": -1}
    else:
        media = media_type_of(resp["headers"])
        response = {
            "status": resp["status"], "statusText": PHRASES.get(resp["status"], ""),
            "httpVersion": "HTTP/1.1", "cookies": [], "headers": _pairs(resp["headers"]),
            "content": content_of(resp["body"], media or "x-unknown"),
            "redirectURL": next((v for k, v in resp["headers"] if k.lower() == "location"),
                                ""),
            "headersSize": -1, "bodySize": (resp["body"] or {}).get("size", 0),
        }
        if resp["body"] is not None:
            extras["response_body"] = {"size": resp["body"]["size"],
                                       "sha256": resp["body"]["sha256"]}
    total = float(line.get("duration_ms") or 0.0)
    wait = min(float(line.get("first_byte_ms") or total), total)
    return {"startedDateTime": started, "time": total, "request": request,
            "response": response, "cache": {},
            "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0,
                        "wait": wait, "receive": round(total - wait, 3)},
            "_stagemock": extras}


class HarRecorder(Recorder):
    """``--record FILE.har``: each exchange appended as a HAR 1.2 entry, the file valid
    after each one. Bodies are spooled to a temporary folder while they stream, then
    inlined."""

    def _start(self) -> Path:
        spool = Path(tempfile.mkdtemp(prefix="stagemock-har-"))
        weakref.finalize(self, shutil.rmtree, spool, True)
        parts = urlsplit(str(self.header.get("upstream", "")))
        self.origin = (f"{parts.scheme}://{parts.netloc}"
                       if parts.scheme in ("http", "https") else None)
        self._entries = 0
        log: JsonObject = {"version": HAR_VERSION,
                           "creator": {"name": "stagemock", "version": __version__},
                           "pages": [],
                           "_stagemock": {k: v for k, v in self.header.items()
                                          if k not in ("format", "version")}}
        head = json.dumps({"log": log}, ensure_ascii=False)[:-2]  # reopen log and the root
        with self.path.open("wb") as f:
            f.write(head.encode() + b', "entries": [' + TAIL)
        return spool

    def body(self, tap: Tap | None, headers: list[tuple[str, str]]) -> JsonObject | None:
        if tap is None or tap.size == 0:
            if tap is not None:
                tap.discard()
            return None
        raw = tap.body
        if raw is None and tap.spool_path is not None:
            raw = Path(tap.spool_path).read_bytes()
        tap.discard()
        media = media_type_of(headers)
        out: JsonObject = {"size": tap.size, "sha256": tap.digest}
        if media:
            out["content_type"] = media
        encoded = any(k.lower() == "content-encoding" and v.lower() not in ("", "identity")
                      for k, v in headers)
        text = (_utf8(raw) if raw is not None and not encoded
                and media.startswith(TEXT_TYPES) else None)
        if text is not None and _is_json(media):
            with contextlib.suppress(ValueError):
                out["json"] = redact.json_value(json.loads(text))
                return out
        if text is not None:
            out["text"] = redact.text(text)
        else:
            out["base64"] = base64.b64encode(raw or b"").decode()
        return out

    def write(self, flow: Exchange, verdicts: JsonObject) -> None:
        entry = entry_of(self.exchange(flow, verdicts), self.origin, _millis(flow.started_wall))
        data = json.dumps(entry, ensure_ascii=False).encode()
        with self._lock, self.path.open("r+b") as f:
            f.seek(-len(TAIL), 2)
            f.write((b",\n" if self._entries else b"\n") + data + TAIL)
            f.truncate()
            self._entries += 1
