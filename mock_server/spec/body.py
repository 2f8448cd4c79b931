"""Request bodies: read from the ASGI messages within the operation's size limits, parsed as
JSON or multipart (python-multipart), and validated against the operation's schemas. JSON
sent by ``curl -d`` without its header is read as JSON where the API allows it."""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from ..errors import (
    InvalidJson,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from ..http import header
from ..jsontypes import Json, JsonObject
from ..limits import JSON_MAX_BYTES, LENIENT_BODY_CEILING_BYTES
from ..media import media_type
from .binding import ApiBinding
from .guesses import GUESS, SUFFIX, mark
from .loader import Operation
from .validation import JSON_TYPES, OperationValidator, coerce

if TYPE_CHECKING:
    from ..journal import JournalEntry


def _parser_warnings_only(record: logging.LogRecord) -> bool:
    """python-multipart logs a warning ("Found invalid character … in header") right before
    it raises the ``MultipartParseError`` the dispatcher answers as a 400 naming the body and
    journals: the client's mistake, already reported to it, not the server's. Keep errors."""
    return record.levelno >= logging.ERROR


logging.getLogger("python_multipart.multipart").addFilter(_parser_warnings_only)

#: Why a size limit the spec does not document at all (no 413 on the operation) is a guess.
UNDOCUMENTED_LIMIT = "the operation documents no size limit; this one is the mock's own"
FORM_URLENCODED = "application/x-www-form-urlencoded"
#: Multipart framing on top of the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def _no_body(op: Operation) -> tuple[None, list[JsonObject]]:
    """An empty body: fine, or the one violation when the operation requires a body."""
    if op.body_required:
        return None, [{"field": None, "message": "a request body is required"}]
    return None, []


def _alternatives(
    names: tuple[str, ...], files: dict[str, UploadFile], problems: list[JsonObject]
) -> list[JsonObject]:
    """Exactly one of ``names`` as a file part (the spec's ``oneOf`` of ``required``)."""
    sent = [n for n in names if n in files]
    others = ", ".join(f"`{n}`" for n in names[1:])
    if not sent and not any(isinstance(p["field"], str) and p["field"] in names
                            for p in problems):
        message = f"is required (a file part; {others} is accepted too)"
        return [{"field": names[0], "message": message}]
    if len(sent) > 1:
        message = f"send only one of these file parts: {', '.join(sent)}"
        return [{"field": sent[1], "message": message}]
    return []


class SizeRule:
    """A body size limit of one request. Both limits are guesses of this mock (the 413
    response carries ``x-stagemock-guess``): by default a body over ``limit`` is a 413 whose
    message says so; under ``--lenient`` it is read up to ``ceiling`` and journaled as a
    warning naming the guess. Past ``ceiling`` it is a 413 in every mode."""

    __slots__ = ("limit", "ceiling", "guess", "what", "field", "entry")

    def __init__(
        self, op: Operation, limit: int, lenient: bool, entry: JournalEntry | None, what: str,
        field: str | None = None,
    ) -> None:
        response = op.responses.get("413")
        if isinstance(response, dict):  # documented 413: its mark says whether it is a guess
            guess = response.get(GUESS)
            self.guess: str | None = guess if isinstance(guess, str) else None
        else:  # no 413 in the spec at all: the limit is the mock's alone
            self.guess = UNDOCUMENTED_LIMIT
        self.limit = limit
        self.ceiling = max(limit, LENIENT_BODY_CEILING_BYTES) if lenient and self.guess else limit
        self.what = what  # "the request body", "the upload"
        self.field = field
        self.entry = entry

    def journaled(self, entry: JournalEntry) -> SizeRule:
        """The same rule, warning in ``entry``."""
        rule = copy.copy(self)
        rule.entry = entry
        return rule

    def plus(self, extra: int) -> SizeRule:
        """The same rule over ``extra`` more bytes (multipart framing), warning nobody."""
        rule = copy.copy(self)
        rule.limit += extra
        rule.ceiling += extra
        rule.entry = None
        return rule

    def too_large(self) -> PayloadTooLarge:
        if self.ceiling > self.limit:
            return PayloadTooLarge(
                f"{self.what} is larger than {self.ceiling} bytes, the most this mock reads "
                "even with --lenient", field=self.field,
            )
        suffix = f" {SUFFIX}" if self.guess else ""
        return PayloadTooLarge(
            f"{self.what} is larger than {self.limit} bytes{suffix}", field=self.field
        )

    def check(self, size: int, field: str | None = None) -> None:
        """``size`` bytes were read: refuse past the ceiling, warn past a guessed limit."""
        if size > self.ceiling:
            raise self.too_large()
        if size > self.limit and self.entry is not None:
            self.entry.warnings.append({
                "field": field or self.field,
                "message": f"accepted (--lenient) although {self.what} is {size} bytes, over "
                f"the limit of {self.limit}: a guess of this mock, not stated by the vendor's "
                f"reference ({self.guess})",
                "guess": self.guess,
            })


async def read_body(
    binding: ApiBinding, request: Request, op: Operation, validator: OperationValidator,
    entry: JournalEntry | None = None, lenient: bool = False,
) -> tuple[Json, list[JsonObject]]:
    """The request's body parsed for ``op`` (JSON, multipart, or raw bytes) and the
    violations found in it (validated against the operation's compiled schemas)."""
    if not op.body_content:
        return None, []
    media = media_type(header(request, b"content-type"))
    length = header(request, b"content-length")
    empty = length == "0" or (
        length is None and header(request, b"transfer-encoding") is None
    )
    if empty:
        return _no_body(op)
    if media not in validator.bodies:
        json_body = any(m in JSON_TYPES for m in validator.bodies)
        if not media and json_body:
            media = "application/json"  # lenient: no Content-Type at all
        elif not media and "application/octet-stream" in validator.bodies:
            media = "application/octet-stream"
        elif media == FORM_URLENCODED and json_body and binding.json_sent_as_form:
            json_rule = SizeRule(op, JSON_MAX_BYTES, lenient, entry, "the request body")
            return await json_sent_as_form(request, op, validator, entry, json_rule)
        elif "*/*" in validator.bodies:  # any type (a GCS upload): the bytes, as sent
            upload = SizeRule(op, binding.max_upload_bytes, lenient, entry, "the upload")
            raw = await read_limited(request, upload)
            return {"media_type": media or None, "data": raw}, []
        else:
            raise UnsupportedMediaType(
                f"Content-Type {media or '(none)'} is not accepted here; "
                f"send {', '.join(validator.bodies)}",
                field="Content-Type",
            )
    rule = validator.bodies[media]
    if media in JSON_TYPES:
        # The operation's JSON size rule is built once; the journal entry joins it only when
        # a body goes over the (guessed) limit under --lenient.
        built = validator.size_rules.get(lenient)
        if built is None:
            built = validator.size_rules[lenient] = SizeRule(
                op, JSON_MAX_BYTES, lenient, None, "the request body")
        raw = await read_limited(request, built, entry)
        if not raw.strip():
            return _no_body(op)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidJson(f"the request body is not valid JSON: {exc}") from None
        return body, validator.check_body(media, body)
    if media == "multipart/form-data":
        upload = SizeRule(op, binding.max_upload_bytes, lenient, entry, "the upload", "file")
        # The whole body first, bounded (a chunked upload has no Content-Length to refuse
        # early, and Starlette's parser bounds only the non-file parts), then parsed from it.
        try:
            raw = await read_limited(request, upload.plus(MULTIPART_OVERHEAD))
        except PayloadTooLarge:
            raise upload.too_large() from None

        async def replay() -> Message:
            return {"type": "http.request", "body": raw, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(
                max_files=10, max_fields=100, max_part_size=JSON_MAX_BYTES
            )
        except Exception as exc:  # multipart errors, a non-file part too large
            if "maximum size" in str(exc):
                raise PayloadTooLarge(
                    f"a form field (not a file part) is larger than {JSON_MAX_BYTES} bytes"
                ) from None
            raise ValidationFailed(f"malformed multipart body: {exc}") from None
        fields: JsonObject = {}
        files: dict[str, UploadFile] = {}
        problems: list[JsonObject] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                upload.check(value.size or 0, field=key)
                if rule.strict and key not in rule.file_fields:
                    problems.append(
                        mark(
                            {"field": key, "message": "is not a known field (strict body)"},
                            rule.strict_guess,
                        )
                    )
                    continue
                files[key] = value
            elif key in rule.file_fields:
                problems.append({"field": key, "message": "must be a file part"})
            else:
                schema = rule.properties.get(key, {})
                fields[key] = coerce(value, schema)
        for name in rule.required_fields & rule.file_fields:
            if name not in files and not any(p["field"] == name for p in problems):
                problems.append({"field": name, "message": "is required (a file part)"})
        if rule.file_alternatives:
            problems += _alternatives(rule.file_alternatives, files, problems)
        problems += validator.check_body(media, fields)
        return {"fields": fields, "files": files}, problems
    raw = await read_limited(
        request, SizeRule(op, binding.max_upload_bytes, lenient, entry, "the upload")
    )
    return {"media_type": media, "data": raw}, []

async def json_sent_as_form(
    request: Request, op: Operation, validator: OperationValidator, entry: JournalEntry | None,
    rule: SizeRule,
) -> tuple[Json, list[JsonObject]]:
    """``curl -d '{...}'`` without the JSON header: read as JSON if it parses, with a
    warning in the journal (not a violation); anything else is still a 415."""
    raw = await read_limited(request, rule)
    if not raw.strip():
        return _no_body(op)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise UnsupportedMediaType(
            f"Content-Type {FORM_URLENCODED} is not accepted here and the body is not "
            f"JSON; send {', '.join(validator.bodies)}",
            field="Content-Type",
        ) from None
    if entry is not None:
        entry.warnings.append(
            {
                "field": "Content-Type",
                "message": f"the body was sent as {FORM_URLENCODED} and read as JSON "
                "(curl -d without -H 'Content-Type: application/json'); the spec "
                "documents application/json",
            }
        )
    media = next(m for m in validator.bodies if m in JSON_TYPES)
    return body, validator.check_body(media, body)

async def read_limited(
    request: Request, rule: SizeRule, entry: JournalEntry | None = None
) -> bytes:
    """The whole body, refused once past the rule's ceiling, a warning past its (guessed)
    limit under ``--lenient`` (in ``entry`` when given, else in the rule's). Reads the ASGI
    messages directly (Starlette's ``stream()`` is an async generator: a measurable cost per
    request)."""
    limit = rule.ceiling
    length = header(request, b"content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise rule.too_large()
    chunks = []
    size = 0
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise rule.too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if size > rule.limit:
        (rule if entry is None else rule.journaled(entry)).check(size)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
