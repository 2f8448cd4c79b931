"""What the spec says of one exchange seen by the proxy: which operation it is, whether the
client's request conformed (the client's problems) and whether the upstream's response did
(the upstream's problems), each deviation classified as breaking a documented rule or
contradicting a guess of this mock (``x-stagemock-guess``, with its reason). Pure: bytes and
headers in, violations out; the validators are compiled once per spec.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field

import jsonschema_rs
import orjson

from ..jsontypes import JsonObject
from ..media import media_type
from ..spec.guesses import mark
from ..spec.loader import ApiSpec, Operation, declared_response, resolve
from ..spec.rules import DOCUMENTED, GUESS, UNSPECIFIED, rulebook
from ..spec.validation import (
    OperationValidator,
    _compile,
    coerce,
    compile_operation,
    describe_errors,
)
from .flow import Form
from .routes import find, spec_routes

JSON_TYPES = ("application/json",)
#: Response bodies larger than this are not validated (their size and hash are still kept).
VALIDATE_LIMIT = 8 * 1024 * 1024




@dataclass
class ResponseRule:
    status: str
    bodies: dict[str, tuple[jsonschema_rs.Validator, JsonObject]] = field(
        default_factory=dict
    )


@dataclass
class OperationRules:
    operation: Operation
    request: OperationValidator
    responses: dict[str, ResponseRule]


class SpecIndex:
    """One vendor spec, as the proxy checks traffic against it."""

    def __init__(self, spec: ApiSpec) -> None:
        self.spec = spec
        self.document = spec.document
        self.book = rulebook(spec.document)
        #: the operations by path and method, matched by the mock's router (``SpecRoutes``)
        self.routes = spec_routes(spec, self._rules)

    def _rules(self, op: Operation) -> OperationRules:
        responses = {}
        for status, response in (op.responses or {}).items():
            response = resolve(self.document, response)
            rule = ResponseRule(str(status))
            for media, content in (response.get("content") or {}).items():
                schema = content.get("schema")
                if schema is not None:
                    rule.bodies[media] = (_compile(self.document, schema), schema)
            responses[str(status)] = rule
        return OperationRules(op, compile_operation(self.document, op), responses)

    def match(self, method: str, path: str) -> tuple[OperationRules | None, dict[str, str]]:
        """The operation of ``method path`` (``None`` if the spec has no such path or
        method) and its path parameters."""
        found = find(self.routes, method, path)
        return found[0], found[1]

    # the request ------------------------------------------------------------------------
    def check_request(
        self, rules: OperationRules | None, method: str, path: str,
        path_params: dict[str, str], query: dict[str, list[str]], headers: dict[str, str],
        body: bytes | None, body_complete: bool, form: Form | None = None,
    ) -> list[JsonObject]:
        """The client's violations (``[]``: conformant). ``rules`` and ``path_params`` are
        what ``match`` found; ``body`` is the captured request body (``None`` past the
        capture limit); ``form`` the parts of a multipart body read as it streamed (fields
        and files' sizes)."""
        if rules is None:
            return [{"field": None, "message": f"no operation of the spec matches {method} "
                                               f"{path}", "rule": UNSPECIFIED}]
        op, validator = rules.operation, rules.request
        out: list[JsonObject] = []
        values = {p.name: coerce(path_params[p.name], p.schema)
                  for p in op.parameters if p.location == "path" and p.name in path_params}
        out += validator.check("path", values)
        q: JsonObject = {}
        for p in op.parameters:
            if p.location == "query" and p.name in query:
                raw = query[p.name]
                q[p.name] = coerce(raw if p.schema.get("type") == "array" else raw[-1],
                                   p.schema)
        out += validator.check("query", q)
        if "header" in validator.params:
            h = {p.name.lower(): coerce(headers[p.name.lower()], p.schema)
                 for p in op.parameters
                 if p.location == "header" and p.name.lower() in headers}
            out += validator.check("header", h)
        out += self._check_auth(op, headers)
        if op.body_content:
            out += self._check_body(rules, headers, body, body_complete, form)
        for v in out:  # the checks beside the schema's: a guess says so, the rest is the spec's
            v.setdefault("rule", GUESS if v.get("guess") else DOCUMENTED)
        return out

    def _check_auth(self, op: Operation, headers: dict[str, str]) -> list[JsonObject]:
        if not op.security or any(not req for req in op.security):
            return []
        schemes = self.document.get("components", {}).get("securitySchemes", {})
        for requirement in op.security:
            if all(_credential_sent(schemes.get(name, {}), headers) for name in requirement):
                return []
        names = " or ".join(sorted(op.security_schemes))
        return [{"field": None, "message": f"no credential sent ({names})"}]

    def _check_body(self, rules: OperationRules, headers: dict[str, str], body: bytes | None,
                    complete: bool, form: Form | None) -> list[JsonObject]:
        op, validator = rules.operation, rules.request
        media = media_type(headers.get("content-type"))
        empty = body is not None and complete and not body.strip()
        if empty:
            return ([{"field": None, "message": "a request body is required"}]
                    if op.body_required else [])
        if media not in validator.bodies:
            if "*/*" in validator.bodies:
                return []
            return [{"field": "Content-Type", "message": f"Content-Type {media or '(none)'} is "
                     f"not one the operation accepts ({', '.join(validator.bodies)})"}]
        if media in JSON_TYPES:
            if body is None or not complete:
                return []  # past the capture limit: not validated (said in the journal)
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                return [{"field": None, "message": f"the request body is not valid JSON: {exc}"}]
            return validator.check_body(media, data)
        if media == "multipart/form-data" and form is not None:
            rule = validator.bodies[media]
            out: list[JsonObject] = []
            fields = {k: coerce(v, rule.properties.get(k, {}))
                      for k, v in form["fields"].items()}
            for name in form["files"]:
                if rule.strict and name not in rule.file_fields:
                    out.append(mark({"field": name, "message": "is not a known field"},
                                    rule.strict_guess))
            for name in rule.required_fields & rule.file_fields:
                if name not in form["files"]:
                    out.append({"field": name, "message": "is required (a file part)"})
            if rule.file_alternatives:
                sent = [n for n in rule.file_alternatives if n in form["files"]]
                if len(sent) != 1:
                    out.append({"field": rule.file_alternatives[0],
                                "message": "exactly one of the file parts "
                                f"{', '.join(rule.file_alternatives)} is required"})
            return out + validator.check_body(media, fields)
        return []

    def success_schema(self, rules: OperationRules) -> JsonObject | None:
        """The JSON schema of the operation's first success answer."""
        for status, rule in sorted(rules.responses.items()):
            if status.startswith("2") and "application/json" in rule.bodies:
                return rule.bodies["application/json"][1]
        return None

    # the response -----------------------------------------------------------------------
    def check_response(
        self, rules: OperationRules | None, status: int, headers: dict[str, str],
        body: bytes | None, body_complete: bool,
    ) -> list[JsonObject]:
        """The upstream's violations, each with its verdict (``spec.rules``: ``rule`` and
        ``source`` or ``guess``): a status the operation does not declare is
        ``unspecified``; a body under it is still checked, for the documented rules of the
        operation's success answer when the status is a 2xx (a renamed documented field
        under an undeclared 201 is a documented finding)."""
        if rules is None:
            return []
        found = self._check_response(rules, status, headers, body, body_complete)
        path = self.book.path(rules.operation)
        if path.rule != DOCUMENTED:  # nothing of a path the references never name is
            for v in found:          # documented (the /gcs/ storage emulation)
                if v.get("rule") == DOCUMENTED:
                    v.update(rule=GUESS, guess=path.guess)
                    v.pop("source", None)
        return found

    def _check_response(
        self, rules: OperationRules, status: int, headers: dict[str, str],
        body: bytes | None, body_complete: bool,
    ) -> list[JsonObject]:
        documented = rules.responses
        code = str(status)
        rule = declared_response(documented, code)  # the status, its range (5XX), or default
        out: list[JsonObject] = []
        verdict = self.book.status(rules.operation, status)
        only_documented = False
        if rule is None:
            listed = ", ".join(sorted(documented))
            out.append({"field": "status", "message": f"{status} is not a status the spec lists "
                        f"for {rules.operation.operation_id} ({listed})", **verdict.fields()})
            success = [r for s, r in sorted(documented.items()) if s.startswith("2")]
            if not code.startswith("2") or not success:
                return out
            rule, only_documented = success[0], True
        media = media_type(headers.get("content-type"))
        if rule.bodies and media not in rule.bodies and not _wildcard(rule.bodies, media):
            if not only_documented:
                out.append({"field": "Content-Type", "message": f"status {status} answered "
                            f"{media or 'no content type'}; the spec gives "
                            f"{', '.join(rule.bodies)}", **verdict.fields()})
            return out
        found = rule.bodies.get(media)
        if found is None or body is None or not body_complete or len(body) > VALIDATE_LIMIT:
            return out
        validator, schema = found
        data = _decode(body, headers.get("content-encoding"))
        if data is None:
            return out
        if media in JSON_TYPES:
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                return out + [{"field": None, "message": f"the body is not valid JSON: {exc}",
                               **verdict.fields()}]
            values = [value]
        elif media == "text/event-stream":
            values = list(_sse_events(data))
        else:
            return out
        for value in values:
            if validator.is_valid(value):  # the common case: no error objects built
                continue
            errors = list(validator.iter_errors(value))
            for v in describe_errors(self.document, schema, errors, "body", request=False,
                                     body=verdict):
                if only_documented and v.get("rule") != DOCUMENTED:
                    continue
                v.pop("keyword", None)
                out.append(v)
        return out


def _wildcard(bodies: Collection[str], media: str) -> bool:
    return any(m.endswith("/*") and media.startswith(m[:-1]) for m in bodies) or "*/*" in bodies


def _credential_sent(scheme: JsonObject, headers: dict[str, str]) -> bool:
    kind = scheme.get("type")
    if kind == "http":
        return headers.get("authorization", "").lower().startswith(
            (scheme.get("scheme") or "bearer").lower() + " ")
    if kind == "apiKey":
        name = str(scheme.get("name", "")).lower()
        where = scheme.get("in")
        if where == "header":
            return bool(headers.get(name))
        if where == "cookie":
            return f"{name}=" in headers.get("cookie", "")
        return True
    return True


def _decode(body: bytes, encoding: str | None) -> bytes | None:
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return body
    try:
        if encoding == "gzip":
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return zlib.decompress(body)
    except zlib.error:
        return None
    return None  # br and others: not validated


def _sse_events(data: bytes) -> list[dict[str, str]]:
    """``event:`` / ``data:`` blocks of a Server-Sent Events stream, as the spec's
    ``{event, data}`` objects."""
    out = []
    for block in re.split(rb"\r?\n\r?\n", data):
        event: dict[str, str] = {}
        lines = []
        for line in block.splitlines():
            name, _, value = line.decode("utf-8", "replace").partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                lines.append(value)
            elif name in ("event", "id"):
                event[name] = value
        if lines:
            event["data"] = "\n".join(lines)
        if event:
            out.append(event)
    return out


