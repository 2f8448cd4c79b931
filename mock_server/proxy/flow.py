"""One flow object per exchange the proxy relays (as mitmproxy has): the request and the
response as they pass, each body seen through a ``Tap`` that hashes every byte, keeps a
bounded copy for validation and recording, and (when recording) spools the rest to disk, so a
20 MiB upload never sits in memory. Pure: no sockets here."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from typing import BinaryIO, TypedDict

from python_multipart.multipart import MultipartParser, parse_options_header

from ..media import media_type

#: A JSON or text body up to this size is kept in memory (validated; recorded inline).
CAPTURE_LIMIT = 2 * 1024 * 1024
#: Of any other body (an upload, an image) only this much is kept: it is hashed, measured,
#: spooled to disk when recording, and (multipart) parsed as it streams.
BINARY_CAPTURE = 64 * 1024
TEXT_TYPES = ("application/json", "text/", "application/xml", "application/problem+json",
              "application/x-www-form-urlencoded")


def capture_for(content_type: str | None) -> int:
    media = media_type(content_type)
    return CAPTURE_LIMIT if not media or media.startswith(TEXT_TYPES) else BINARY_CAPTURE
#: A form field (not a file part) larger than this is not kept for validation.
FIELD_LIMIT = 64 * 1024


class FilePart(TypedDict):
    """A file part of a multipart body, as it streamed past (never its bytes)."""

    filename: str
    content_type: str | None
    size: int


class Form(TypedDict):
    """A multipart body as the verdicts see it: the fields' values and the file parts."""

    fields: dict[str, str]
    files: dict[str, FilePart]


class Tap:
    """Sees a body chunk by chunk: size, sha256, the first ``CAPTURE_LIMIT`` bytes, and when
    ``spool`` is set, every byte in a temporary file (the recording keeps large bodies
    beside itself, by hash)."""

    def __init__(self, spool_dir: str | None = None, capture: int = CAPTURE_LIMIT) -> None:
        self.capture = capture
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.kept = bytearray()
        self.complete = False
        self._spool: BinaryIO | None = None
        self.spool_path: str | None = None
        if spool_dir is not None:
            self.spool(spool_dir)
        self.multipart: MultipartTap | None = None

    def spool(self, spool_dir: str) -> None:
        """Keep every byte from now on in a temporary file under ``spool_dir`` (called before
        the first chunk: the proxy's recorder hook asks for it when the request arrives)."""
        if self._spool is None and self.spool_path is None:
            fd, self.spool_path = tempfile.mkstemp(dir=spool_dir, prefix=".body-")
            self._spool = os.fdopen(fd, "wb")

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        self.sha256.update(chunk)
        if len(self.kept) < self.capture:
            self.kept += chunk[: self.capture - len(self.kept)]
        if self._spool is not None:
            self._spool.write(chunk)
        if self.multipart is not None:
            self.multipart.feed(chunk)

    def close(self, complete: bool = True) -> None:
        self.complete = complete
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    @property
    def body(self) -> bytes | None:
        """The whole body, when it fit in the capture; else ``None``."""
        return bytes(self.kept) if self.size <= self.capture else None

    @property
    def digest(self) -> str:
        return self.sha256.hexdigest()

    def discard(self) -> None:
        if self.spool_path is not None and os.path.exists(self.spool_path):
            os.unlink(self.spool_path)
        self.spool_path = None


class MultipartTap:
    """A multipart body parsed as it streams: the fields' values (small ones) and each file
    part's name, filename, type and size; never a file's bytes."""

    def __init__(self, content_type: str) -> None:
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        self.fields: dict[str, str] = {}
        self.files: dict[str, FilePart] = {}
        self.error: str | None = None
        self._headers: dict[str, str] = {}
        self._name = self._header = self._filename = ""
        self._value = bytearray()
        self._size = 0
        self._parser = None
        if not boundary:
            self.error = "the multipart Content-Type has no boundary"
            return
        callbacks = {
            "on_part_begin": self._begin,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
        }
        self._parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]

    def feed(self, chunk: bytes) -> None:
        if self._parser is None or self.error:
            return
        try:
            self._parser.write(chunk)
        except Exception as exc:  # a malformed body: said in the verdict, never raised
            self.error = f"malformed multipart body: {exc}"

    def _begin(self) -> None:
        self._headers, self._value, self._size = {}, bytearray(), 0

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end].decode("latin-1")

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._headers[self._header.lower()] = self._headers.get(
            self._header.lower(), "") + data[start:end].decode("latin-1")

    def _header_end(self) -> None:
        self._header = ""

    def _data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if "filename" not in self._headers.get("content-disposition", "") and \
                len(self._value) < FIELD_LIMIT:
            self._value += data[start:end]

    def _end(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if filename is not None:
            self.files[name] = {
                "filename": filename.decode("utf-8", "replace"),
                "content_type": self._headers.get("content-type"),
                "size": self._size,
            }
        else:
            self.fields[name] = self._value.decode("utf-8", "replace")

    def as_form(self) -> Form:
        return {"fields": self.fields, "files": self.files}


@dataclass
class Exchange:
    """One request and its response, as the proxy relayed them."""

    seq: int
    method: str
    path: str
    query: str
    request_headers: list[tuple[str, str]]
    started_wall: float
    request: Tap
    response: Tap | None = None
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    #: seconds from the start: the upstream's first byte, the end of the response
    first_byte: float | None = None
    finished: float | None = None
    #: the proxy's own answer when the upstream failed (502/504), and why
    error: str | None = None
    operation_id: str | None = None
    #: which API the exchange belongs to (a recording of ``stagemock serve`` holds both)
    api: str | None = None
