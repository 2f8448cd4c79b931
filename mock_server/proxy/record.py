"""The recording format (``stagemock proxy --record FILE``, read by ``stagemock replay`` and
``stagemock drift``): JSON Lines, versioned, redacted.

- Line 1, the header: ``{"format": "stagemock-recording", "version": 1, "api", "upstream",
  "base_path", "created"}``.
- Then one line per exchange, in the order the requests arrived: ``{"seq", "time",
  "duration_ms", "first_byte_ms", "operation_id", "api", "request": {"method", "path", "query",
  "headers": [[name, value], ...], "body"}, "response": {"status", "headers", "body"} | null,
  "error", "verdicts": {"request": {...}, "response": {...}}}``.
- A body is ``null`` (none), or ``{"size", "sha256"}`` of the bytes as relayed plus one of
  ``"json"`` (the parsed, redacted document), ``"text"`` (redacted) or ``"file"`` (a path
  relative to the recording: ``<FILE>.bodies/<sha256>``, the bytes as relayed, for binary and
  large bodies, with its ``"content_type"`` when the headers give one). Secrets are masked
  (``mock_server.proxy.redact``) in headers, queries and inline bodies; binary files are kept
  as sent (an image carries no key).
- A body read from a HAR file may instead hold ``"base64"``: the bytes, inline.

A ``--record`` file ending ``.har`` is written as HAR 1.2 instead (``recorders`` picks the
writer: ``har_record``), and ``load`` reads one (``har``) into the same in-memory header and
exchanges.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from pathlib import Path

from ..core.clock import iso
from ..jsontypes import JsonObject
from ..media import media_type_of
from . import redact
from .flow import TEXT_TYPES, Exchange, Tap

FORMAT = "stagemock-recording"
VERSION = 1
#: Text bodies up to this size are written inline; larger ones beside the file.
INLINE_LIMIT = 64 * 1024


class Recorder:
    """Appends exchanges to a recording as they finish (one writer, thread-safe)."""

    def __init__(self, path: str | Path, api: str, upstream: str, base_path: str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.header: JsonObject = {"format": FORMAT, "version": VERSION, "api": api,
                                   "upstream": upstream, "base_path": base_path,
                                   "created": iso(time.time())}
        self.bodies = self._start()

    def _start(self) -> Path:
        """Write the file's beginning; the folder bodies are spooled to (and kept in)."""
        bodies = Path(str(self.path) + ".bodies")
        bodies.mkdir(parents=True, exist_ok=True)
        with self.path.open("w") as f:
            f.write(json.dumps(self.header) + "\n")
        return bodies

    @property
    def spool_dir(self) -> str:
        return str(self.bodies)

    def body(self, tap: Tap | None, headers: list[tuple[str, str]]) -> JsonObject | None:
        if tap is None or tap.size == 0:
            if tap is not None:
                tap.discard()
            return None
        media = media_type_of(headers)
        out: JsonObject = {"size": tap.size, "sha256": tap.digest}
        encoded = any(k.lower() == "content-encoding" and v.lower() not in ("", "identity")
                      for k, v in headers)
        inline = (tap.size <= INLINE_LIMIT and not encoded
                  and media.startswith(TEXT_TYPES))
        if inline and tap.body is not None:
            raw = tap.body
            tap.discard()
            if media == "application/json":
                try:
                    out["json"] = redact.json_value(json.loads(raw))
                    return out
                except ValueError:
                    pass
            out["text"] = redact.text(raw.decode("utf-8", "replace"))
            return out
        name = f"{tap.digest}"
        target = self.bodies / name
        if tap.spool_path is not None:
            if target.exists():
                tap.discard()
            else:
                os.replace(tap.spool_path, target)
                tap.spool_path = None
        out["file"] = f"{self.bodies.name}/{name}"
        if media:
            out["content_type"] = media
        return out

    def exchange(self, flow: Exchange, verdicts: JsonObject) -> JsonObject:
        """One exchange as the recording holds it (bodies through ``body``)."""
        return {
            "seq": flow.seq,
            "time": iso(flow.started_wall),
            "duration_ms": round((flow.finished or 0.0) * 1000, 3),
            "first_byte_ms": round(flow.first_byte * 1000, 3) if flow.first_byte else None,
            "operation_id": flow.operation_id,
            "api": flow.api,
            "request": {
                "method": flow.method,
                "path": flow.path,
                "query": redact.text(flow.query),
                "headers": [list(h) for h in redact.headers(flow.request_headers)],
                "body": self.body(flow.request, flow.request_headers),
            },
            "response": None if flow.status is None else {
                "status": flow.status,
                "headers": [list(h) for h in redact.headers(flow.response_headers)],
                "body": self.body(flow.response, flow.response_headers),
            },
            "error": flow.error,
            "verdicts": verdicts,
        }

    def write(self, flow: Exchange, verdicts: JsonObject) -> None:
        line = self.exchange(flow, verdicts)
        with self._lock, self.path.open("a") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def is_har(path: str | Path) -> bool:
    """Whether ``path`` names a HAR file (``.har``): written and read as HAR 1.2."""
    return str(path).lower().endswith(".har")


def load(path: str | Path) -> tuple[JsonObject, list[JsonObject]]:
    """A recording's header and exchanges; refuses another format or a newer version. A
    ``.har`` file is read as HAR 1.2 (``har.load``) into the same header and exchanges."""
    path = Path(path)
    if is_har(path):
        from .har import load as load_har

        return load_har(path)
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not lines or lines[0].get("format") != FORMAT:
        raise ValueError(f"{path} is not a stagemock recording (no {FORMAT!r} header line)")
    if lines[0].get("version", 0) > VERSION:
        raise ValueError(f"{path} is a version {lines[0]['version']} recording; this "
                         f"stagemock reads version {VERSION}")
    return lines[0], lines[1:]


def body_bytes(recording: Path, body: JsonObject | None) -> bytes | None:
    """The bytes a recorded body stands for (a redacted one re-encoded: secrets masked)."""
    if body is None:
        return None
    if "json" in body:
        return json.dumps(body["json"], separators=(",", ":"), ensure_ascii=False).encode()
    if "text" in body:
        return body["text"].encode()
    if "base64" in body:  # a binary body read from a HAR file
        return base64.b64decode(body["base64"])
    if "file" in body:
        return (recording.parent / body["file"]).read_bytes()
    return b""
